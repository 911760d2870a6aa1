"""Spoken turns are not held to more evidence for their fillers, repeats and annotations.

The length rule of the zero-shot scores asks more evidence of a longer passage. A
transcript turn is long partly because of "euh", "zeg maar", "tu vois", "you know",
words said twice and "[laughs]": the same turn without them must score alike, and
written report prose (dense, no fillers) must be measured by its plain word count.
"""

from __future__ import annotations

import pytest

from analysis import ThemeSuggester, default_codebook, prepare
from analysis.spoken import fluent_words
from analysis.zeroshot import passage_length

CLEAN = {
    "nl": (
        "Een mevrouw kwam met een brief van haar energieleverancier. Het kantoor in de stad is"
        " gesloten en op de brief staat dat ze voor hulp bij haar online klantenzone naar het"
        " OCMW moet gaan. Wij hebben dat nooit afgesproken met die firma. Nu zitten wij elke"
        " week met hun klanten, hun wachtwoorden en hun facturen, en zij sturen gewoon door."
    ),
    "fr": (
        "Une dame est venue avec une lettre de son fournisseur d'énergie. Le guichet en ville"
        " a fermé et la lettre dit que pour l'aide avec son espace client en ligne elle doit"
        " aller au CPAS. Nous n'avons jamais rien convenu avec cette société. Maintenant nous"
        " avons chaque semaine leurs clients, leurs mots de passe et leurs factures, et eux"
        " renvoient simplement vers nous."
    ),
    "en": (
        "A woman came in with a letter from her energy supplier. Their office in town has"
        " closed and the letter says that for help with her online customer account she"
        " should go to the social welfare centre. We never agreed to anything with that"
        " company. Now every week we get their customers, their passwords and their bills,"
        " and they simply send people on to us."
    ),
}
SPOKEN = {
    "nl": (
        "Euh, een mevrouw, een mevrouw kwam met een brief van haar energieleverancier, hè."
        " Het kantoor in de stad is gesloten en, zeg maar, op de brief staat dat ze voor"
        " hulp bij haar online klantenzone naar het OCMW moet gaan. Allez, wij hebben dat"
        " nooit afgesproken met die firma, weet je. Ja. Nu zitten wij elke week, elke week"
        " met hun klanten, euh, hun wachtwoorden en hun facturen, en zij sturen gewoon door."
        " [lacht]"
    ),
    "fr": (
        "Euh, une dame, une dame est venue avec une lettre de son fournisseur d'énergie, hein."
        " Le guichet en ville a fermé et, tu vois, la lettre dit que pour l'aide avec son"
        " espace client en ligne elle doit aller au CPAS. Bon, nous n'avons jamais rien"
        " convenu avec cette société, quoi. Maintenant nous avons chaque semaine, chaque"
        " semaine leurs clients, euh, leurs mots de passe et leurs factures, et eux renvoient"
        " simplement vers nous. [rires]"
    ),
    "en": (
        "Um, a woman, a woman came in with a letter from her energy supplier, yeah. Their"
        " office in town has closed and, you know, the letter says that for help with her"
        " online customer account she should go to the social welfare centre. Like, we never"
        " agreed to anything with that company, I mean. Now every week, every week we get"
        " their customers, uh, their passwords and their bills, and they simply send people"
        " on to us. [laughs]"
    ),
}
REPORT = {
    "nl": (
        "Sinds de sluiting van de fysieke loketten verwijzen energieleveranciers hun klanten"
        " systematisch door naar openbare computerruimtes en sociale diensten. Deze"
        " organisaties ontvangen daarvoor geen middelen. Maatschappelijk werkers besteden"
        " wekelijks uren aan klantenzones, facturen en betalingsplannen van private bedrijven,"
        " terwijl hun eigen opdracht onder druk komt te staan."
    ),
    "fr": (
        "Depuis la fermeture des guichets physiques, les fournisseurs d'énergie renvoient"
        " systématiquement leurs clients vers les espaces publics numériques et les services"
        " sociaux. Ces organisations ne reçoivent aucun moyen supplémentaire. Les travailleurs"
        " sociaux consacrent chaque semaine des heures aux espaces clients, factures et plans"
        " de paiement d'entreprises privées, au détriment de leurs missions propres."
    ),
    "en": (
        "Since the closure of physical counters, energy suppliers systematically refer their"
        " customers to public computer rooms and social services. These organisations receive"
        " no additional funding. Social workers spend hours every week on customer accounts,"
        " invoices and payment plans of private companies, while their own mission comes"
        " under pressure. Respondents would like clearer agreements."
    ),
}


@pytest.fixture(scope="module")
def suggester():
    return ThemeSuggester(default_codebook())


def _scores(suggester, text: str, language: str) -> dict[str, float]:
    (result,) = suggester.suggest([(1, text)], language=language)
    return {theme.key: round(theme.score, 9) for theme in result.themes}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_filler_laden_turn_scores_like_its_clean_version(suggester, language):
    """The turn with hesitations, markers, a repeat and "[laughs]" gets the same scores."""
    spoken, clean = prepare(SPOKEN[language], language), prepare(CLEAN[language], language)
    assert len(spoken) >= len(clean) + 10  # the spoken turn has many more words
    assert passage_length(spoken) == pytest.approx(passage_length(clean))
    assert _scores(suggester, SPOKEN[language], language) == _scores(
        suggester, CLEAN[language], language
    )
    assert (
        "outsourcing"
        in suggester.suggest([(1, SPOKEN[language])], language=language)[0].suggested()
    )


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_report_prose_is_measured_by_its_word_count(language):
    """Dense written prose keeps every word ("would like" is no filler) and its length."""
    report = prepare(REPORT[language], language)
    assert fluent_words(report) == list(range(len(report)))
    assert passage_length(report) == len(report)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_a_spoken_turn_is_measured_no_longer_than_its_words(language):
    """Fillers never lengthen a passage; a sparse turn counts fewer words than it has."""
    for text in (SPOKEN[language], CLEAN[language], REPORT[language]):
        prepared = prepare(text, language)
        assert passage_length(prepared) <= len(prepared)
    assert passage_length(prepare(SPOKEN[language], language)) < len(
        prepare(CLEAN[language], language)
    )


def test_a_discourse_marker_is_not_theme_evidence(suggester):
    """ "I mean" shows no "meaning" for role confusion, and does not raise its score."""
    (result,) = suggester.suggest([(1, SPOKEN["en"])], language="en")
    role = next(theme for theme in result.themes if theme.key == "role_confusion")
    assert all("mean" not in evidence.text.lower() for evidence in role.evidence)


def test_a_word_said_twice_at_once_counts_once():
    """ "ik ik", "a woman, a woman": the second saying is not a word of the turn."""
    prepared = prepare("Ik ik heb, ik heb de brief gezien.", "nl")
    kept = [prepared.forms[i] for i in fluent_words(prepared)]
    assert kept == ["ik", "heb", "de", "brief", "gezien"]
