"""The same rule in nl, fr and en: a translation reads as the theme or as another sense alike.

Written from the theme definitions in the codebook, one situation per row group, in the
three languages. `EVIDENCE` rows say whether a word is shown as evidence for a theme (a
word whose translation needs the theme's context needs it in every language);
`SUGGESTED` rows say whether the zero-shot suggester suggests the theme for the passage,
and the three translations of a situation must get the same answer.
"""

from __future__ import annotations

import pytest

from analysis import ThemeSuggester, default_codebook

SHOWN, HIDDEN = True, False

# (language, passage, theme, word as written in the passage, shown as evidence?)
EVIDENCE = [
    # Sending something somewhere is not shifting work; sending people to the social
    # service after the counter closed is.
    ("en", "She sent the form to the tax office by post.", "outsourcing", "sent", HIDDEN),
    (
        "fr",
        "Elle a envoyé le formulaire au SPF Finances par la poste.",
        "outsourcing",
        "envoyé",
        HIDDEN,
    ),
    (
        "nl",
        "Ze stuurde het formulier per post naar de belastingdienst.",
        "outsourcing",
        "stuurde",
        HIDDEN,
    ),
    (
        "en",
        "The energy supplier sent the customers to the social service after the counter "
        "was closed.",
        "outsourcing",
        "sent",
        SHOWN,
    ),
    (
        "fr",
        "Le fournisseur d'énergie a envoyé les clients au service social après la fermeture "
        "du guichet.",
        "outsourcing",
        "envoyé",
        SHOWN,
    ),
    (
        "nl",
        "De energieleverancier stuurde de klanten naar de sociale dienst nadat het loket "
        "gesloten was.",
        "outsourcing",
        "stuurde",
        SHOWN,
    ),
    # Forwarding or transferring a document is not shifting work onto someone.
    (
        "nl",
        "Ze heeft de factuur doorgestuurd naar haar boekhouder.",
        "outsourcing",
        "doorgestuurd",
        HIDDEN,
    ),
    ("fr", "Elle a transféré la facture à son comptable.", "outsourcing", "transféré", HIDDEN),
    (
        "nl",
        "De bank heeft haar doorgestuurd naar het OCMW omdat het loket gesloten is.",
        "outsourcing",
        "doorgestuurd",
        SHOWN,
    ),
    # A policy oriented towards something, a reference in a report: not a referral.
    ("fr", "Une politique orientée vers l'emploi des jeunes.", "outsourcing", "orientée", HIDDEN),
    ("nl", "In het jaarverslag wordt verwezen naar de cijfers.", "outsourcing", "verwezen", HIDDEN),
    # A branch that opens, a bank transfer, results waiting: other senses.
    ("en", "The association opened a new branch in Liège.", "outsourcing", "branch", HIDDEN),
    ("nl", "De vereniging opende een nieuw filiaal in Luik.", "outsourcing", "filiaal", HIDDEN),
    ("en", "She made a bank transfer to pay the rent.", "outsourcing", "transfer", HIDDEN),
    (
        "en",
        "The results of the survey are still waiting for approval.",
        "outsourcing",
        "waiting",
        HIDDEN,
    ),
    # "Contactez" is the instruction to go elsewhere; contacting participants is method.
    (
        "fr",
        "Nous avons contacté les participants par téléphone.",
        "outsourcing",
        "contacté",
        HIDDEN,
    ),
    (
        "fr",
        "Le message de la banque dit : contactez votre CPAS pour remplir le formulaire.",
        "outsourcing",
        "contactez",
        SHOWN,
    ),
    # "Personne ne ... demandé" is nobody asked us; people who ask are not.
    (
        "fr",
        "Les personnes qui demandent une aide sont reçues le matin.",
        "outsourcing",
        "personnes qui demandent",
        HIDDEN,
    ),
    (
        "fr",
        "Personne ne nous a demandé notre avis avant de fermer le guichet.",
        "outsourcing",
        "Personne ne nous a demandé",
        SHOWN,
    ),
    # Doing in the person's place is role confusion; "in some places" is not.
    (
        "en",
        "The service is closed on Fridays in some places.",
        "role_confusion",
        "in some places",
        HIDDEN,
    ),
    (
        "en",
        "The worker filled in the tax return in her place.",
        "role_confusion",
        "in her place",
        SHOWN,
    ),
    (
        "nl",
        "De werker vult de belastingaangifte in de plaats van de cliënt in.",
        "role_confusion",
        "in de plaats van",
        SHOWN,
    ),
    # A bank's customer service is the bank's; the worker taken for it needs the theme.
    (
        "en",
        "The bank's customer service can be reached by phone.",
        "role_confusion",
        "customer service",
        HIDDEN,
    ),
    (
        "fr",
        "Le service clientèle de la banque est joignable par téléphone.",
        "role_confusion",
        "service clientèle",
        HIDDEN,
    ),
    (
        "nl",
        "De klantendienst van de bank is telefonisch bereikbaar.",
        "role_confusion",
        "klantendienst",
        HIDDEN,
    ),
    # A location is the person's whereabouts only beside the theme's words.
    (
        "nl",
        "De locatie van de nieuwe kantoren wordt volgend jaar bekend.",
        "privacy",
        "locatie",
        HIDDEN,
    ),
    (
        "en",
        "The location of the new offices will be known next year.",
        "privacy",
        "location",
        HIDDEN,
    ),
    # Handling everything for the person is a sign of dependency in every language.
    (
        "nl",
        "Haar zoon regelt alles voor haar: de bank, de brieven, de formulieren.",
        "dependency",
        "regelt alles",
        SHOWN,
    ),
]

# (group, language, passage, theme, suggested?)
SUGGESTED = [
    # A service opening its own counters is not outsourcing ("ses guichets" is not "leur
    # guichet", the administration's counter that the workers became).
    ("counters", "en", "The CPAS opens its counters on Monday morning.", "outsourcing", False),
    ("counters", "fr", "Le CPAS ouvre ses guichets le lundi matin.", "outsourcing", False),
    ("counters", "nl", "Het OCMW opent zijn loketten op maandagochtend.", "outsourcing", False),
    (
        "became",
        "en",
        "We have become their counter: the bank sends all its customers to us.",
        "outsourcing",
        True,
    ),
    (
        "became",
        "fr",
        "Nous sommes devenus leur guichet : la banque envoie tous ses clients chez nous.",
        "outsourcing",
        True,
    ),
    (
        "became",
        "nl",
        "We zijn hun loket geworden: de bank stuurt al haar klanten naar ons.",
        "outsourcing",
        True,
    ),
    # The GDPR's data processing ("sous-traitance des données") is privacy, not work shifted.
    (
        "processing",
        "en",
        "The data processing agreement between the municipality and the platform is not public.",
        "outsourcing",
        False,
    ),
    (
        "processing",
        "fr",
        "Le contrat de sous-traitance des données entre la commune et la plateforme n'est "
        "pas public.",
        "outsourcing",
        False,
    ),
    (
        "processing",
        "nl",
        "De verwerkingsovereenkomst tussen de gemeente en het platform is niet openbaar.",
        "outsourcing",
        False,
    ),
    # The worker's own device or credentials, whoever's possessive.
    (
        "own",
        "en",
        "Several social workers use their own smartphone and their own itsme account for clients.",
        "role_confusion",
        True,
    ),
    (
        "own",
        "fr",
        "Plusieurs assistants sociaux utilisent leur propre smartphone et leur propre compte itsme "
        "pour des usagers.",
        "role_confusion",
        True,
    ),
    (
        "own",
        "nl",
        "Verschillende maatschappelijk werkers gebruiken hun eigen smartphone en hun eigen "
        "itsme-account voor cliënten.",
        "role_confusion",
        True,
    ),
    # Seen as part of the administration.
    (
        "extension",
        "en",
        "She feels more like an extension of the administration than a social worker.",
        "role_confusion",
        True,
    ),
    (
        "extension",
        "fr",
        "Elle se sent davantage un prolongement de l'administration qu'une assistante sociale.",
        "role_confusion",
        True,
    ),
    (
        "extension",
        "nl",
        "Ze voelt zich eerder een verlengstuk van de administratie dan een maatschappelijk werker.",
        "role_confusion",
        True,
    ),
    # An e-mail address asked for is a sign, not on its own privacy, in every language.
    ("email", "en", "You need an email address to register for the course.", "privacy", False),
    ("email", "fr", "Il faut une adresse mail pour s'inscrire au cours.", "privacy", False),
    (
        "email",
        "nl",
        "Je hebt een e-mailadres nodig om je in te schrijven voor de cursus.",
        "privacy",
        False,
    ),
    # Fraud on someone's account is privacy in every language.
    (
        "fraud",
        "en",
        "Her son was the victim of fraud: someone emptied his bank account.",
        "privacy",
        True,
    ),
    (
        "fraud",
        "fr",
        "Son fils a été victime d'une fraude : quelqu'un a vidé son compte bancaire.",
        "privacy",
        True,
    ),
    (
        "fraud",
        "nl",
        "Haar zoon werd het slachtoffer van fraude: iemand heeft zijn bankrekening leeggehaald.",
        "privacy",
        True,
    ),
    # Having to go through someone is dependency; figures "by themselves" are not.
    (
        "through",
        "en",
        "She has to go through the social worker for every appointment.",
        "dependency",
        True,
    ),
    (
        "through",
        "fr",
        "Elle doit passer par l'assistante sociale pour chaque rendez-vous.",
        "dependency",
        True,
    ),
    (
        "through",
        "nl",
        "Ze moet via de maatschappelijk werkster gaan voor elke afspraak.",
        "dependency",
        True,
    ),
    (
        "themselves",
        "en",
        "The figures by themselves say little about the causes of the problem.",
        "dependency",
        False,
    ),
    (
        "themselves",
        "fr",
        "Les chiffres eux-mêmes disent peu de chose sur les causes du problème.",
        "dependency",
        False,
    ),
    (
        "themselves",
        "nl",
        "De cijfers zelf zeggen weinig over de oorzaken van het probleem.",
        "dependency",
        False,
    ),
]

# Translations whose theme evidence must weigh the same: (theme, {language: passage}).
SAME_SCORE = [
    # A map (landkaart, carte, map) is no bank card.
    (
        "privacy",
        {
            "en": "The report shows the map and the figures of the survey.",
            "fr": "Le rapport montre la carte et les chiffres de l'enquête.",
            "nl": "Het rapport toont de landkaart en de cijfers van de enquête.",
        },
    ),
    (
        "privacy",
        {
            "en": "Her son was the victim of fraud: someone emptied his bank account.",
            "fr": "Son fils a été victime d'une fraude : quelqu'un a vidé son compte bancaire.",
            "nl": "Haar zoon werd het slachtoffer van fraude: iemand heeft zijn bankrekening "
            "leeggehaald.",
        },
    ),
]


@pytest.fixture(scope="module")
def suggester() -> ThemeSuggester:
    """The zero-shot suggester of the default codebook."""
    return ThemeSuggester(default_codebook()).fit()


@pytest.mark.parametrize(
    "case",
    EVIDENCE,
    ids=[f"{c[0]}-{c[2]}-{c[3]}-{'shown' if c[4] else 'hidden'}" for c in EVIDENCE],
)
def test_word_is_evidence_only_in_the_theme_sense(suggester, case):
    """A word is shown as a theme's evidence in the theme's sense, in every language."""
    language, text, theme, word, shown = case
    result = suggester.suggest([("p", text)], language=language)[0]
    evidence = {e.text for t in result.themes if t.key == theme for e in t.evidence}
    assert (word in evidence) == shown, evidence


@pytest.mark.parametrize("case", SUGGESTED, ids=[f"{c[0]}-{c[1]}-{c[3]}-{c[4]}" for c in SUGGESTED])
def test_translations_get_the_same_suggestion(suggester, case):
    """The nl, fr and en versions of a situation are suggested the theme alike."""
    _, language, text, theme, fires = case
    result = suggester.suggest([("p", text)], language=language)[0]
    assert (theme in result.suggested()) == fires, [
        (t.key, t.score, [e.text for e in t.evidence]) for t in result.themes
    ]


@pytest.mark.parametrize(
    "case", SAME_SCORE, ids=[next(iter(c[1].values()))[:30] for c in SAME_SCORE]
)
def test_translations_get_the_same_score(suggester, case):
    """The nl, fr and en versions of a passage get the same score for the theme."""
    theme, texts = case
    scores = {}
    for language, text in texts.items():
        result = suggester.suggest([("p", text)], language=language)[0]
        scores[language] = next(round(t.score, 3) for t in result.themes if t.key == theme)
    assert len(set(scores.values())) == 1, scores
