"""Language detection: offline, deterministic, with a default for short text."""

from __future__ import annotations

import pytest

from analysis import AnalysisError, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("De bank heeft het kantoor gesloten en de mensen komen nu bij ons.", "nl"),
        ("Ik weet niet hoe ik dat formulier moet invullen, kan je mij helpen?", "nl"),
        ("La banque a fermé son agence et les gens viennent chez nous.", "fr"),
        ("Je ne sais pas remplir ce formulaire, vous pouvez m'aider ?", "fr"),
        ("The bank closed its branch and people now come to us for help.", "en"),
        ("I don't know how to fill in this form, could you help me?", "en"),
    ],
)
def test_detects_dutch_french_and_english_sentences(text, language):
    """A sentence of ordinary speech is recognised in each of the three languages."""
    assert detect_language(text) == language


def test_short_or_empty_text_gets_the_default():
    """Below three words there is nothing to go on: the default language is returned."""
    assert detect_language("") == "fr"
    assert detect_language("OCMW", default="nl") == "nl"
    assert detect_language("  itsme  eBox ", default="en") == "en"


def test_ties_fall_back_on_spelling_then_default():
    """Without function words, spelling cues decide; with none, the default."""
    assert detect_language("schuldbemiddeling huurwaarborg leefloon aanvraag") == "nl"
    assert detect_language("123 456 789", default="nl") == "nl"


def test_unknown_default_is_refused():
    """A default outside nl/fr/en is a programming error, reported as AnalysisError."""
    with pytest.raises(AnalysisError):
        detect_language("some text here", default="de")
