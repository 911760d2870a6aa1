"""The Markdown transcript format (used by the demo; the importer builds on it)."""

from __future__ import annotations

import pytest

from app.capture.transcripts import parse_markdown
from app.platform.forms import ValidationError

SAMPLE = """# Séance 3

## 1. Propositions de récits
Amina: Une dame est venue au CPAS.
Elle n'avait pas d'itsme.

Animatrice: Merci.

## 5. Premier tour
Julien: Pour moi, c'est de la sous-traitance.
"""


def test_turns_carry_phase_speaker_and_continuation_lines():
    """Headings set the phase; lines without a speaker continue the previous turn."""
    turns = parse_markdown(SAMPLE, source="s3.md")
    assert [(t.phase, t.speaker) for t in turns] == [(1, "Amina"), (1, "Animatrice"), (5, "Julien")]
    assert turns[0].text == "Une dame est venue au CPAS.\nElle n'avait pas d'itsme."
    assert turns[2].line == 10


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Amina: avant tout titre", "s.md, line 1: a turn comes before the first phase heading"),
        ("## 12. Bonus\nAmina: x", "s.md, line 1: phase 12 does not exist"),
        ("## 1. Propositions\nsans locuteur", "s.md, line 2: text without a speaker"),
    ],
)
def test_errors_name_file_and_line(text, fragment):
    """Malformed transcripts are refused with the file, the line and what to do."""
    with pytest.raises(ValidationError) as caught:
        parse_markdown(text, source="s.md")
    assert fragment in str(caught.value)


COLON = """# Sessie Brussel, groep nl

## 3. Vertelling
Sara: Ze kreeg een brief van de school.
De school weigerde die facturen rechtstreeks te geven: ze moest eerst de app downloaden.
Bon: dat was het.
sara: En toen belde ze mij.
"""


def test_a_continuation_line_with_a_colon_is_not_a_new_speaker():
    """A clause before a colon is text; a short capitalised name (or one seen) is a speaker."""
    turns = parse_markdown(COLON, source="s.md")
    assert [t.speaker for t in turns] == ["Sara", "Bon", "sara"]
    assert turns[0].text == (
        "Ze kreeg een brief van de school.\n"
        "De school weigerde die facturen rechtstreeks te geven: ze moest eerst de app downloaden."
    )


def test_known_lowercase_names_are_speakers_and_unknown_ones_are_text():
    """A lowercase prefix is a speaker only if the study knows the name."""
    text = "## 3. Vertelling\nSara: Begin.\nmijn collega: zei niets.\n"
    assert [t.speaker for t in parse_markdown(text, source="s.md")] == ["Sara"]
    known = {"mijn collega"}
    turns = parse_markdown(text, source="s.md", known=known)
    assert [t.speaker for t in turns] == ["Sara", "mijn collega"]


def test_the_level_one_heading_is_the_title():
    """`# Sessie Brussel, groep nl` is kept as the transcript's title."""
    assert parse_markdown(COLON, source="s.md").title == "Sessie Brussel, groep nl"


def test_keep_as_text_folds_a_line_back_into_the_turn_before():
    """A "speaker" the user marks as text becomes "Name: text" of the previous turn."""
    from app.capture.formats import keep_as_text

    turns = keep_as_text(parse_markdown(COLON, source="s.md"), {"Bon"}, source="s.md")
    assert [t.speaker for t in turns] == ["Sara", "sara"]
    assert turns[0].text.endswith("\nBon: dat was het.")
    assert turns.title == "Sessie Brussel, groep nl"
    with pytest.raises(ValidationError, match="opens a phase"):
        keep_as_text(turns, {"Sara"}, source="s.md")
