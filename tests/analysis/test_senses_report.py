"""Report prose: a theme's word used in another sense suggests nothing (nl, fr, en).

Written from the theme definitions in the codebook, in the register of reports and
studies, which describe policies, measures and figures: each row is a short passage, a
theme, and whether the zero-shot suggester must suggest it. The "no" rows use a
theme's words in another sense; the "yes" rows say what the definition means.
"""

from __future__ import annotations

import pytest

from analysis import ThemeSuggester, default_codebook

YES, NO = True, False

TABLE = [
    # Non-take-up of rights, and its verbs (not claiming, giving up one's rights), is
    # dependency only when nobody is there to ask.
    (
        "en",
        "Whoever does not claim a right does not appear in the registers, so non-take-up "
        "is hard to measure.",
        "dependency",
        NO,
    ),
    (
        "en",
        "She never claimed the allowance: she has nobody to ask and depends on her son, "
        "who lives abroad.",
        "dependency",
        YES,
    ),
    (
        "fr",
        "Les ménages qui renoncent à leurs droits n'apparaissent pas dans les registres de "
        "l'organisme payeur.",
        "dependency",
        NO,
    ),
    (
        "fr",
        "Elle renonce à ses droits : elle n'a personne à qui demander et dépend de son fils.",
        "dependency",
        YES,
    ),
    (
        "nl",
        "Wie zijn rechten niet opneemt, staat per definitie niet in de registers van de "
        "uitbetalende instelling.",
        "dependency",
        NO,
    ),
    (
        "nl",
        "Ze neemt haar rechten niet op: ze heeft niemand om te vragen en is afhankelijk van "
        "haar zoon.",
        "dependency",
        YES,
    ),
    # Digital exclusion, skills and missing equipment describe the population; dependency
    # is reaching one's rights only through someone else.
    (
        "en",
        "A third of adults have weak digital skills, one in ten has no internet at home and "
        "digital exclusion follows income.",
        "dependency",
        NO,
    ),
    (
        "en",
        "She has no internet and no computer, so she depends on her daughter for every form.",
        "dependency",
        YES,
    ),
    (
        "fr",
        "Un tiers des adultes a de faibles compétences numériques, un sur dix n'a pas d'internet "
        "et l'exclusion numérique suit le revenu.",
        "dependency",
        NO,
    ),
    (
        "fr",
        "Elle n'a pas d'internet ni d'ordinateur : elle dépend de sa fille pour chaque formulaire.",
        "dependency",
        YES,
    ),
    (
        "nl",
        "Een derde van de volwassenen heeft zwakke digitale vaardigheden, een op tien heeft geen "
        "internet en digitale uitsluiting volgt het inkomen.",
        "dependency",
        NO,
    ),
    (
        "nl",
        "Ze heeft geen internet en geen computer: ze is afhankelijk van haar dochter voor elk "
        "formulier.",
        "dependency",
        YES,
    ),
    # Outsourcing is about counters, branches and offices that close and send people
    # elsewhere; a closure of something else is another sense.
    (
        "en",
        "After the closure of the survey, the school published its annual results.",
        "outsourcing",
        NO,
    ),
    (
        "en",
        "Since the closure of the branch, the bank sends everyone to the CPAS.",
        "outsourcing",
        YES,
    ),
    (
        "fr",
        "La fermeture du dossier est prévue en juin ; la question reste fermée.",
        "outsourcing",
        NO,
    ),
    (
        "fr",
        "Depuis la fermeture de l'agence, la banque envoie tout le monde au CPAS.",
        "outsourcing",
        YES,
    ),
    (
        "nl",
        "Na de sluiting van de enquête publiceerde de school haar jaarresultaten.",
        "outsourcing",
        NO,
    ),
    (
        "nl",
        "Sinds de sluiting van het bankkantoor verwijst de bank iedereen door naar het OCMW.",
        "outsourcing",
        YES,
    ),
    # Naming social housing or the housing company says who, not that work is shifted.
    (
        "en",
        "Her application for social housing was accepted by the housing company in May.",
        "outsourcing",
        NO,
    ),
    (
        "en",
        "The housing company closed its counter and sends every tenant to us for the online form.",
        "outsourcing",
        YES,
    ),
    (
        "fr",
        "Sa demande de logement social a été acceptée par la société de logement en mai.",
        "outsourcing",
        NO,
    ),
    (
        "fr",
        "La société de logement a fermé son guichet et envoie tous les locataires chez nous "
        "pour le formulaire en ligne.",
        "outsourcing",
        YES,
    ),
    (
        "nl",
        "Haar aanvraag voor sociale huisvesting werd in mei door de huisvestingsmaatschappij "
        "aanvaard.",
        "outsourcing",
        NO,
    ),
    (
        "nl",
        "De huisvestingsmaatschappij heeft haar loket gesloten en stuurt alle huurders naar ons "
        "voor het online formulier.",
        "outsourcing",
        YES,
    ),
    # Power is a noun in its own form ("le pouvoir", "their power"), not the verb after a
    # pronoun ("ne le peut pas", "those who can").
    (
        "fr",
        "Selon le plan, ceux qui ne le peuvent pas ne sont pas exclus des services.",
        "dependency",
        NO,
    ),
    (
        "fr",
        "Son fils a tout le pouvoir sur ses démarches : elle dépend de lui pour chaque papier.",
        "dependency",
        YES,
    ),
    (
        "en",
        "Citizens who cannot or will not use a digital channel must not feel forced to use it.",
        "dependency",
        NO,
    ),
    (
        "en",
        "Her son has all the power over her paperwork: she depends on him for every letter.",
        "dependency",
        YES,
    ),
    (
        "nl",
        "Burgers die het niet kunnen of niet willen, mogen zich niet verplicht voelen om een "
        "digitaal kanaal te gebruiken.",
        "dependency",
        NO,
    ),
    (
        "nl",
        "Haar zoon heeft alle macht over haar papieren: ze is van hem afhankelijk voor elke brief.",
        "dependency",
        YES,
    ),
    # A neighbour who helps is a person; neighbouring countries or towns are places.
    (
        "en",
        "Compared with neighbouring countries, the gap in internet access is widest here; "
        "digital skills follow income.",
        "dependency",
        NO,
    ),
    (
        "en",
        "Her neighbour reads her letters and fills in every form; she cannot do it without him.",
        "dependency",
        YES,
    ),
    (
        "fr",
        "Comparé aux pays voisins et aux communes voisines, l'écart d'accès à internet est "
        "le plus grand ici.",
        "dependency",
        NO,
    ),
    (
        "fr",
        "Sa voisine lit son courrier et remplit ses formulaires : sans elle, il ne peut "
        "rien faire.",
        "dependency",
        YES,
    ),
    (
        "nl",
        "In vergelijking met de buurlanden en de buurgemeenten is de kloof hier het grootst.",
        "dependency",
        NO,
    ),
    (
        "nl",
        "Haar buurman leest haar brieven en vult alles in; zonder hem kan ze niets regelen.",
        "dependency",
        YES,
    ),
    # Civil servants named as the administration's own staff are not the worker's role;
    # role confusion is the worker taken for one ("part of the administration").
    (
        "en",
        "The plan provides training for regional and municipal civil servants in online tools.",
        "role_confusion",
        NO,
    ),
    (
        "en",
        "Users take me for a civil servant: to them I am part of the administration.",
        "role_confusion",
        YES,
    ),
    (
        "fr",
        "Le plan prévoit la formation des fonctionnaires régionaux et communaux aux outils en "
        "ligne.",
        "role_confusion",
        NO,
    ),
    (
        "fr",
        "Les usagers me prennent pour une fonctionnaire : pour eux, je suis un agent de "
        "l'administration.",
        "role_confusion",
        YES,
    ),
    (
        "nl",
        "Het plan voorziet in een opleiding van de gewestelijke en gemeentelijke ambtenaren in "
        "online toepassingen.",
        "role_confusion",
        NO,
    ),
    (
        "nl",
        "De gebruikers zien mij als een ambtenaar: voor hen ben ik deel van de administratie.",
        "role_confusion",
        YES,
    ),
    # A partnership or agreement is cooperation; outsourcing where work is shifted onto
    # the partner (beside the theme's words).
    (
        "en",
        "The programme runs in partnership with two telecom operators and the government, "
        "who provide refurbished laptops.",
        "outsourcing",
        NO,
    ),
    (
        "en",
        "Under the partnership the municipality shifts its online forms onto the association, "
        "without funding.",
        "outsourcing",
        YES,
    ),
    (
        "fr",
        "Le programme est mené en partenariat avec deux opérateurs télécoms et les pouvoirs "
        "publics, qui fournissent des ordinateurs.",
        "outsourcing",
        NO,
    ),
    (
        "fr",
        "Par ce partenariat, la commune se décharge sur l'association, sans moyens, de tous ses "
        "formulaires en ligne.",
        "outsourcing",
        YES,
    ),
    (
        "nl",
        "Het programma loopt in partnerschap met twee telecombedrijven en de overheid, die "
        "opgeknapte laptops leveren.",
        "outsourcing",
        NO,
    ),
    (
        "nl",
        "Via dit partnerschap schuift de gemeente al haar online formulieren af op de vereniging, "
        "zonder middelen.",
        "outsourcing",
        YES,
    ),
    # A code is the noun (a PIN or access code), not the researchers' coding.
    (
        "en",
        "She wrote her code on the bank card and gave her codes to her neighbour.",
        "privacy",
        YES,
    ),
    (
        "fr",
        "Elle a écrit son code sur la carte bancaire et donné ses codes à sa voisine.",
        "privacy",
        YES,
    ),
    (
        "nl",
        "Ze schreef haar code op de bankkaart en gaf haar codes aan de buurvrouw.",
        "privacy",
        YES,
    ),
]


@pytest.fixture(scope="module")
def suggestions() -> dict[str, list[str]]:
    """The zero-shot suggestions for every passage of the table."""
    suggester = ThemeSuggester(default_codebook()).fit()
    results = {}
    for language in sorted({row[0] for row in TABLE}):
        batch = [(str(i), row[1]) for i, row in enumerate(TABLE) if row[0] == language]
        for result in suggester.suggest(batch, language=language):
            results[result.id] = result.suggested()
    return results


@pytest.mark.parametrize(
    ("row", "case"), list(enumerate(TABLE)), ids=[f"{r[0]}-{r[2]}-{r[3]}" for r in TABLE]
)
def test_report_theme_fires_on_its_own_sense_only(suggestions, row, case):
    """A theme is suggested when the passage means it, not for a word in another sense."""
    _, text, theme, fires = case
    assert (theme in suggestions[str(row)]) == fires, (text, suggestions[str(row)])


# A word in another sense is not shown as evidence, even where the passage has other
# evidence for the theme.
NOT_EVIDENCE = [
    (
        "en",
        "Unlike in neighbouring countries, she depends on her son for every form.",
        "dependency",
        {"neighbouring"},
    ),
    (
        "fr",
        "Comme dans les pays voisins, elle dépend de son fils pour chaque formulaire.",
        "dependency",
        {"voisins"},
    ),
    # Coding the material (research method) is not a code.
    (
        "en",
        "Two researchers coded the sheets; in one, her son knows her PIN code and password.",
        "privacy",
        {"coded"},
    ),
    (
        "fr",
        "Deux chercheurs ont codé les fiches ; dans l'une, son fils connaît son code PIN et son "
        "mot de passe.",
        "privacy",
        {"codé"},
    ),
    (
        "nl",
        "Twee onderzoekers codeerden de fiches; in één kent haar zoon haar pincode en wachtwoord.",
        "privacy",
        {"codeerden"},
    ),
]


@pytest.mark.parametrize(
    "case", NOT_EVIDENCE, ids=[f"{c[0]}-{c[2]}-{sorted(c[3])[0]}" for c in NOT_EVIDENCE]
)
def test_report_word_in_another_sense_is_not_shown_as_evidence(case):
    """The evidence listed for a theme leaves out a word used in another sense."""
    language, text, theme, words = case
    result = ThemeSuggester(default_codebook()).fit().suggest([("p", text)], language=language)
    shown = {e.text for t in result[0].themes if t.key == theme for e in t.evidence}
    assert shown, f"no evidence at all for {theme} in {text!r}"
    assert not shown & words, shown
