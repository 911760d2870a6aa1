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
