"""Words with several senses: a theme fires on its own sense only (nl, fr, en).

The table is written from the theme definitions in the codebook: each row is a short
sentence, a theme, and whether the zero-shot suggester must suggest it. The "no" rows
use a theme's word in another sense (a modal verb, the private sector, access to
rights, a Dutch compound or participle, an English phrasal verb or adjective).
"""

from __future__ import annotations

import pytest

from analysis import ThemeSuggester, default_codebook

YES, NO = True, False

TABLE = [
    # French
    (
        "fr",
        "Elle dépend entièrement de son fils, qui a tout le pouvoir sur ses démarches.",
        "dependency",
        YES,
    ),
    (
        "fr",
        "Le CPAS peut vous recevoir demain et nous pouvons remplir le formulaire.",
        "dependency",
        NO,
    ),
    ("fr", "Les pouvoirs publics ont lancé une nouvelle plateforme en ligne.", "dependency", NO),
    ("fr", "Pour pouvoir payer son loyer, il a changé de banque.", "dependency", NO),
    ("fr", "Elle m'a donné son mot de passe et son code PIN pour ses virements.", "privacy", YES),
    (
        "fr",
        "Une société privée gère la plateforme et revend les données personnelles.",
        "privacy",
        YES,
    ),
    ("fr", "Le secteur privé et le secteur public collaborent dans ce projet.", "privacy", NO),
    ("fr", "L'accès aux droits sociaux reste difficile pour beaucoup de familles.", "privacy", NO),
    ("fr", "Il faut tenir compte du personnel disponible dans chaque service.", "privacy", NO),
    (
        "fr",
        "Les guichets sont fermés et la banque envoie tout le monde chez nous.",
        "outsourcing",
        YES,
    ),
    ("fr", "L'économie locale se porte bien et elle a trouvé un nouveau poste.", "outsourcing", NO),
    (
        "fr",
        "Je ne suis pas informaticienne : ce n'est pas mon travail de réparer son ordinateur.",
        "role_confusion",
        YES,
    ),
    (
        "fr",
        "Le rapport décrit le rôle des communes et la formation continue.",
        "role_confusion",
        NO,
    ),
    # Dutch
    (
        "nl",
        "Zonder haar dochter kan ze niets regelen; ze is volledig afhankelijk van haar.",
        "dependency",
        YES,
    ),
    ("nl", "In de eerste plaats wil ik iedereen bedanken voor de komst.", "dependency", NO),
    (
        "nl",
        "Ze gaf mij haar pincode en het wachtwoord van haar bankapp, op een briefje.",
        "privacy",
        YES,
    ),
    ("nl", "Hij vroeg mij zijn bankwachtwoord op te schrijven.", "privacy", YES),
    ("nl", "De privésector investeert in nieuwe software voor scholen.", "privacy", NO),
    ("nl", "Toegang tot rechten is de kernopdracht van elk OCMW.", "privacy", NO),
    (
        "nl",
        "Het loket van de bank is gesloten, dus sturen ze iedereen naar het OCMW.",
        "outsourcing",
        YES,
    ),
    ("nl", "De overheidsdiensten en de gemeente werken aan de digitalisering.", "outsourcing", NO),
    ("nl", "Mensen die uitgesloten zijn, vinden de weg naar de dienst niet.", "outsourcing", NO),
    (
        "nl",
        "Het is niet mijn job om belastingaangiftes in te vullen, daar ben ik niet voor opgeleid.",
        "role_confusion",
        YES,
    ),
    (
        "nl",
        "Het rapport beschrijft de rol van de gemeente en de opleiding van het personeel.",
        "role_confusion",
        NO,
    ),
    # English
    ("en", "Without her son she is lost: she depends on him for every form.", "dependency", YES),
    (
        "en",
        "They cannot attend the meeting this week, so we come back to it later.",
        "dependency",
        NO,
    ),
    ("en", "The report takes into account the purchasing power of households.", "dependency", NO),
    ("en", "I know her PIN code and I log in to her bank account for her.", "privacy", YES),
    ("en", "The private sector runs most of the housing in the region.", "privacy", NO),
    ("en", "Access to rights remains uneven across the regions.", "privacy", NO),
    ("en", "The bank closed its branch and now sends everyone to us.", "outsourcing", YES),
    ("en", "She pointed out that the report was late.", "outsourcing", NO),
    ("en", "We have direct contact with the families we follow.", "outsourcing", NO),
    (
        "en",
        "It is not my job to fix their laptops; I was never trained for IT support.",
        "role_confusion",
        YES,
    ),
    (
        "en",
        "This has nothing to do with the budget or the role of the region.",
        "role_confusion",
        NO,
    ),
    # Non-take-up is dependency only when nobody is there to ask; equipment and skills
    # words are role confusion only when the worker's own role is in question.
    (
        "fr",
        "Le non-recours au tarif social est estimé à un tiers des ménages concernés.",
        "dependency",
        NO,
    ),
    (
        "fr",
        "Non-recours : elle n'a personne d'autre, elle dépend de son fils pour chaque demande.",
        "dependency",
        YES,
    ),
    (
        "fr",
        "La commune distribue des ordinateurs portables et des cours d'informatique pour "
        "renforcer les compétences des habitants.",
        "role_confusion",
        NO,
    ),
    (
        "nl",
        "Het niet-gebruik van het sociaal tarief wordt op een derde van de gezinnen geschat.",
        "dependency",
        NO,
    ),
    (
        "nl",
        "De gemeente deelt laptops uit en geeft computerlessen en lessen informatica aan bewoners.",
        "role_confusion",
        NO,
    ),
    (
        "nl",
        "Ik ben geen informaticus: haar laptop herstellen is niet mijn job.",
        "role_confusion",
        YES,
    ),
    (
        "en",
        "Non-take-up of the social energy tariff is estimated at a third of eligible homes.",
        "dependency",
        NO,
    ),
    (
        "en",
        "The municipality hands out laptops and computer courses to build residents' skills.",
        "role_confusion",
        NO,
    ),
    # Data are privacy when they are someone's data, not survey data or statistics.
    (
        "fr",
        "Les données de l'enquête montrent qu'un ménage sur trois n'a pas de connexion "
        "internet à domicile.",
        "privacy",
        NO,
    ),
    (
        "fr",
        "Une société privée gère la plateforme et revend les données de ses clients.",
        "privacy",
        YES,
    ),
    (
        "nl",
        "De gegevens van de enquête tonen dat een op drie gezinnen thuis geen internet heeft; "
        "de data van Statbel bevestigen dat.",
        "privacy",
        NO,
    ),
    (
        "nl",
        "Het bedrijf verkoopt de gegevens van zijn klanten zonder hun toestemming.",
        "privacy",
        YES,
    ),
    (
        "en",
        "The data from the survey and the data of the statistics office give the same account.",
        "privacy",
        NO,
    ),
    (
        "en",
        "The platform's owner sells the data of its users without their consent.",
        "privacy",
        YES,
    ),
    # Counter-evidence of the same span wins over the theme's word inside it.
    ("nl", "Wat is het wifi-wachtwoord hier? Mijn gsm vindt geen netwerk.", "privacy", NO),
    # "depending on" (according to) is not "depends on".
    ("en", "The procedures are really different depending on the embassy.", "dependency", NO),
    # "ben toch geen" is a worker saying what they are not; "is toch geen" is any judgement.
    (
        "nl",
        "Dat is toch geen gezonde situatie voor de bewoners van het rusthuis.",
        "role_confusion",
        NO,
    ),
    (
        "nl",
        "Wij zijn toch geen filiaal van de bank, zeg ik dan tegen mijn directeur.",
        "role_confusion",
        YES,
    ),
    # The helpdesk a worker has become weighs as in French and English.
    ("nl", "Ik ben ondertussen postloket en helpdesk tegelijk.", "role_confusion", YES),
]


@pytest.fixture(scope="module")
def suggestions() -> dict[str, list[str]]:
    """The zero-shot suggestions for every sentence of the table."""
    suggester = ThemeSuggester(default_codebook()).fit()
    items = [(f"{i}", text) for i, (_, text, _, _) in enumerate(TABLE)]
    languages = {lang for lang, *_ in TABLE}
    results = {}
    for language in sorted(languages):
        batch = [(i, text) for i, text in items if TABLE[int(i)][0] == language]
        for result in suggester.suggest(batch, language=language):
            results[result.id] = result.suggested()
    return results


@pytest.mark.parametrize(
    ("row", "case"), list(enumerate(TABLE)), ids=[f"{r[0]}-{r[2]}-{r[3]}" for r in TABLE]
)
def test_theme_fires_on_its_own_sense_only(suggestions, row, case):
    """A theme is suggested when the sentence means it, not for a word in another sense."""
    _, text, theme, fires = case
    assert (theme in suggestions[str(row)]) == fires, (text, suggestions[str(row)])


# A word in another sense is not shown as evidence for the theme, even where the
# sentence has other evidence for it.
NOT_EVIDENCE = [
    (
        "fr",
        "Elle peut compter sur sa fille, mais elle a honte de ne pas pouvoir le faire.",
        "dependency",
        {"peut", "pouvoir"},
    ),
    (
        "fr",
        "Les pouvoirs publics imposent la dépendance à une application.",
        "dependency",
        {"pouvoirs"},
    ),
    ("fr", "Le secteur privé exige son mot de passe et son code PIN.", "privacy", {"privé"}),
    ("fr", "L'accès aux droits passe par un mot de passe.", "privacy", {"accès"}),
    (
        "nl",
        "De overheidsdiensten sluiten hun loketten en sturen iedereen door.",
        "outsourcing",
        {"overheidsdiensten"},
    ),
    ("nl", "Wie uitgesloten is, staat voor een gesloten loket.", "outsourcing", {"uitgesloten"}),
    ("nl", "Toegang tot rechten vraagt nu een wachtwoord en een pincode.", "privacy", {"Toegang"}),
    (
        "en",
        "She pointed out that the counter was closed and the bank sent her to us.",
        "outsourcing",
        {"pointed"},
    ),
    (
        "en",
        "In direct contact with us, the bank sends everyone to the social service.",
        "outsourcing",
        {"direct"},
    ),
    ("en", "The private sector asks for her password and PIN code.", "privacy", {"private"}),
    # A verb form in a pattern does not match the noun of its lemma, nor a verb of the
    # same lemma in another sense ("pointed her to" is not the library's help point).
    (
        "en",
        "The help point of the library is closed, so the bank sends everyone to us.",
        "outsourcing",
        {"point"},
    ),
    (
        "fr",
        "Les demandes dépassent nos moyens, mais ce n'est pas mon travail de réparer un PC.",
        "role_confusion",
        {"dépassent"},
    ),
    (
        "fr",
        "Ils forment un groupe, mais ce n'est pas mon travail de réparer un ordinateur.",
        "role_confusion",
        {"forment"},
    ),
    (
        "nl",
        "Een groot deel van de klanten geeft hun pincode aan de buurman.",
        "privacy",
        {"deel"},
    ),
    (
        "nl",
        "De brief van de bank vraagt haar wachtwoord en haar pincode.",
        "privacy",
        {"brief"},
    ),
    (
        "fr",
        "Nous soumettons le dossier au CPAS : elle dépend entièrement de son fils.",
        "dependency",
        {"soumettons"},
    ),
    # "call" (a phone call) is context of outsourcing; "a project called" names something.
    (
        "en",
        "A project called Digital Bridge sends the bank's customers to the social service.",
        "outsourcing",
        {"called"},
    ),
]


@pytest.mark.parametrize(
    "case", NOT_EVIDENCE, ids=[f"{c[0]}-{c[2]}-{sorted(c[3])[0]}" for c in NOT_EVIDENCE]
)
def test_word_in_another_sense_is_not_shown_as_evidence(case):
    """The evidence listed for a theme leaves out a word used in another sense."""
    language, text, theme, words = case
    result = ThemeSuggester(default_codebook()).fit().suggest([("p", text)], language=language)
    shown = {e.text for t in result[0].themes if t.key == theme for e in t.evidence}
    assert shown, f"no evidence at all for {theme} in {text!r}"
    assert not {word for text in shown for word in text.split()} & words, shown
