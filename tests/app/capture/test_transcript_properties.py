"""A transcript file read back: every turn, speaker and word the file holds, nothing else.

Hypothesis writes Markdown transcripts (CRLF or LF line ends, no-break and zero-width
spaces, tabs, combining accents, emoji, right-to-left and caseless-script names, long
lines) and reads them with `parse_transcript`. The turns must be the file's turns, in
order, with their speakers and their text as the file said it (in the documented
normal form: NFC, `\\n` line ends, no trailing blanks); no line may vanish or end up
in another speaker's turn. Found this way: a name in a script without capitals
("ياسمين: ...", "王芳: ...") was never a speaker, so the line went silently into the
turn before it; a vertical tab or form feed (Word's line break, a page break) was
deleted, gluing the words on either side; a second `# ...` line was dropped.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import normalise_text
from app.capture.formats import TranscriptError, parse_transcript

PROPERTY = settings(max_examples=60, deadline=None)

NAMES = ["Amina", "Jean Dupont", "Deelnemer 3", "Zoë", "ياسمين", "אורי", "王芳", "Éva (CPAS)"]
# No colon and no "#" or "*" to open a line: such a line could be a speaker or a heading.
LETTERS = "abcz éèàç\u0301\u0327\xa0\u200b\t’'.,;!?-😀𝒜\u2028ي王\x0b\x0c"


@st.composite
def transcripts(draw):
    """(file text, expected [(phase, speaker, text)]) for a generated Markdown transcript."""
    line = st.text(alphabet=LETTERS, max_size=40)
    turns, lines, phase = [], [], 0
    if draw(st.booleans()):
        lines.append("# Séance 4")
    for _ in range(draw(st.integers(1, 6))):
        if phase == 0 or draw(st.booleans()):
            phase = draw(st.integers(phase + 1, 11)) if phase < 11 else 11
            lines += ["", f"## {phase}. Tour"]
        name = draw(st.sampled_from(NAMES))
        said = ["mot " + draw(line)] + draw(st.lists(line, max_size=3))
        if draw(st.booleans()):
            said[0] += "x" * 500  # a very long line
        lines.append(f"{name}: {said[0]}")
        lines += said[1:]
        turns.append((phase, name, normalise_text("\n".join(said))))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines), turns


@PROPERTY
@given(case=transcripts())
def test_markdown_transcript_reads_back_every_turn_as_written(case):
    """Phases, speakers and texts come back as written, none dropped or merged."""
    text, expected = case
    turns = parse_transcript(text.encode("utf-8"), "t.md")
    assert [(t.phase, t.speaker, t.text) for t in turns] == expected


@pytest.mark.parametrize("name", ["ياسمين", "אורי", "王芳"])
def test_a_name_in_a_script_without_capitals_opens_a_turn(name):
    """ "ياسمين: ..." after Amina's turn is a turn of its own, not the end of Amina's."""
    text = f"## 1. Récits\nAmina: bonjour\n{name}: merci"
    turns = parse_transcript(text.encode("utf-8"), "t.md")
    assert [(t.speaker, t.text) for t in turns] == [("Amina", "bonjour"), (name, "merci")]


@pytest.mark.parametrize("separator", ["\x0b", "\x0c"])
def test_a_vertical_tab_or_form_feed_breaks_the_line_instead_of_gluing_words(separator):
    """Word's manual line break (VT) and a page break (FF) keep the words apart."""
    text = f"## 1. Récits\nAmina: il a dit{separator}non"
    (turn,) = parse_transcript(text.encode("utf-8"), "t.md")
    assert turn.text == "il a dit\nnon"
    with pytest.raises(TranscriptError, match="not a text file"):  # share of controls: 1 %
        parse_transcript(text.replace(separator, "\x01").encode("utf-8"), "t.md")


def test_a_second_title_line_is_refused_not_dropped():
    """A `# ...` line after the title holds words: refused with its line, never lost."""
    text = "# Séance 4\n## 1. Récits\nAmina: bonjour\n# tout le monde était là\nmerci"
    with pytest.raises(TranscriptError, match="line 4"):
        parse_transcript(text.encode("utf-8"), "t.md")
