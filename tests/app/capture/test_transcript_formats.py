"""Transcript file readers: encodings, Markdown, .docx, WebVTT and SRT (app.capture.formats)."""

from __future__ import annotations

import io
import random
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest

from app.capture import transcripts
from app.capture.formats import (
    TranscriptError,
    Turn,
    decode,
    parse_docx,
    parse_markdown,
    parse_srt,
    parse_transcript,
    parse_vtt,
    speakers,
)
from app.platform.forms import ValidationError

EXAMPLES = Path(__file__).resolve().parents[3] / "sessions" / "examples"
ACCENTS = "Élodie: « Le CPAS l’a payé 180 € », dit-elle.\n"


def make_docx(build) -> bytes:
    """Return the bytes of a .docx written by `build(document)`."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bold_turn(document, name: str, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{name}:").bold = True
    paragraph.add_run(f" {text}")


def error_of(call, *args, **kwargs) -> str:
    """Return the message of the TranscriptError raised by `call`."""
    with pytest.raises(TranscriptError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# Encodings


@pytest.mark.parametrize(
    "encoded",
    [
        ACCENTS.encode("utf-8"),
        ACCENTS.encode("utf-8-sig"),
        ACCENTS.encode("utf-16"),  # with BOM, native order
        b"\xff\xfe" + ACCENTS.encode("utf-16-le"),
        b"\xfe\xff" + ACCENTS.encode("utf-16-be"),
        ACCENTS.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le-bom", "utf-16-be-bom", "windows-1252"],
)
def test_decode_reads_each_supported_encoding(encoded):
    """UTF-8 (BOM or not), UTF-16 with BOM and Windows-1252 give the same text, BOM dropped."""
    assert decode(encoded, source="t.txt") == ACCENTS.strip()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_decode_detects_utf16_without_bom(codec):
    """UTF-16 without a byte-order mark is recognised by its NUL bytes."""
    assert decode(ACCENTS.encode(codec), source="t.txt") == ACCENTS.strip()


def test_decode_normalises_line_ends_and_composes_accents():
    """CRLF and CR become \\n, and a decomposed "é" is stored composed (NFC)."""
    decomposed = unicodedata.normalize("NFD", "Amina: café\r\nsuite\rfin")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    assert decode(decomposed.encode("utf-8"), source="t.txt") == "Amina: café\nsuite\nfin"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_line_numbers_in_errors_count_windows_and_mac_line_ends(newline):
    """A CRLF or CR file reports the same line numbers a text editor shows."""
    data = newline.join([b"## 1. Propositions", b"Amina: oui", b"", b"## Pause", b"Bram: x"])
    message = error_of(parse_transcript, data, "win.txt")
    assert message.startswith("win.txt, line 4: unknown phase heading “Pause”;")


@pytest.mark.parametrize("data", [b"", b" \r\n\t\n", "\ufeff \n".encode("utf-16")])
def test_empty_file_is_refused(data):
    """An empty or blank file is refused, naming the file."""
    assert error_of(decode, data, source="vide.md").startswith("vide.md is empty;")


def test_binary_junk_is_refused():
    """A PNG header followed by random bytes is not a text file."""
    junk = b"\x89PNG\r\n\x1a\n" + random.Random(4).randbytes(4000)
    assert error_of(parse_transcript, junk, "photo.md").startswith("photo.md is not a text file;")


def test_text_full_of_control_characters_is_refused():
    """More than 1 % control characters (without any NUL byte) is not a text file."""
    data = ("Amina: bonjour\x01\x02\x03 " * 20).encode("utf-8")
    assert "is not a text file" in error_of(decode, data, source="t.txt")


# Markdown


def test_bold_speakers_start_turns_in_markdown():
    """`**Name:** text` and `**Name**: text` are turns like `Name: text`."""
    text = "## 5. Premier tour\n**Julien:** Sous-traitance.\n**Sophie**: Dépendance.\nKarim: Rôles."
    turns = parse_markdown(text, source="b.md")
    assert [(t.speaker, t.text) for t in turns] == [
        ("Julien", "Sous-traitance."),
        ("Sophie", "Dépendance."),
        ("Karim", "Rôles."),
    ]


@pytest.mark.parametrize(
    "heading, phase",
    [
        ("## Premier tour d'interprétations", 5),
        ("## premier tour d’interpretations", 5),
        ("### EERSTE INTERPRETATIERONDE", 5),
        ("## Narrator's reaction", 6),
        ("## Analyse : convergences et divergences", 8),
        ("## Evaluation", 11),
        ("## Évaluation", 11),
        ("# Vertelling", 3),
        ("## Phase 10 — perspectives", 10),
        ("## Fase 4", 4),
    ],
)
def test_phase_names_in_headings_set_the_phase(heading, phase):
    """A heading may name the phase in fr/nl/en instead of numbering it (case, accents ignored)."""
    turns = parse_markdown(f"{heading}\nAmina: oui", source="n.md")
    assert turns[0].phase == phase


def test_unknown_phase_heading_is_refused():
    """A sub-heading that is neither a phase number nor a phase name stops the import."""
    message = error_of(parse_markdown, "## 1. Récits\nAmina: x\n\n## Pause café\n", source="p.md")
    assert message.startswith("p.md, line 4: unknown phase heading “Pause café”;")


def test_title_heading_and_hashtags_are_not_phases():
    """A level-1 title is ignored and `#hashtag` continues the turn."""
    turns = parse_markdown("# Séance 4, Namur\n## 1. x\nAmina: vu sur\n#itsme", source="t.md")
    assert [(t.phase, t.text) for t in turns] == [(1, "vu sur\n#itsme")]


def test_transcripts_module_keeps_its_markdown_api():
    """`app.capture.transcripts` re-exports the readers' `Turn` and `parse_markdown`."""
    assert transcripts.Turn is Turn
    assert transcripts.parse_markdown is parse_markdown
    assert issubclass(TranscriptError, ValidationError)


# Word


def test_docx_heading_styles_and_bold_speakers():
    """Heading styles set phases, bold names start turns, other paragraphs continue them."""

    def build(document):
        document.add_heading("Séance 4 — CPAS de Namur", 1)
        document.add_heading("Récit", 2)
        bold_turn(document, "Amina", "Une dame est venue au guichet.")
        document.add_paragraph("Elle n'avait pas d'itsme.")
        document.add_heading("4. Questions d'information", 3)
        document.add_paragraph("Julien: Depuis quand ?")
        paragraph = document.add_paragraph()
        paragraph.add_run("Animatrice Claire").bold = True
        paragraph.add_run(": Merci.")

    turns = parse_docx(make_docx(build), source="r.docx")
    assert [(t.phase, t.speaker, t.text) for t in turns] == [
        (3, "Amina", "Une dame est venue au guichet.\nElle n'avait pas d'itsme."),
        (4, "Julien", "Depuis quand ?"),
        (4, "Animatrice Claire", "Merci."),
    ]
    assert [t.line for t in turns] == [3, 6, 7]


def test_docx_paragraphs_typed_as_markdown_headings_are_phases():
    """A paragraph in Normal style that reads `## 5. ...` is a phase heading."""
    data = make_docx(lambda d: [d.add_paragraph("## 5. Eerste ronde"), bold_turn(d, "Bram", "Ja.")])
    assert parse_docx(data, source="m.docx") == [Turn(5, "Bram", "Ja.", 2)]


def test_docx_text_without_speaker_names_the_paragraph():
    """A paragraph before any speaker is refused with its paragraph number."""
    data = make_docx(lambda d: [d.add_heading("3. Vertelling", 2), d.add_paragraph("Zomaar.")])
    message = error_of(parse_docx, data, source="v.docx")
    assert message.startswith("v.docx, paragraph 2: text without a speaker;")


def test_docx_unknown_heading_names_the_paragraph():
    """A Heading 2 that names no phase is refused with its paragraph number."""
    data = make_docx(lambda d: [d.add_paragraph(""), d.add_heading("Koffiepauze", 2)])
    assert "h.docx, paragraph 2: unknown phase heading" in error_of(
        parse_docx, data, source="h.docx"
    )


def test_truncated_docx_is_refused():
    """The first half of a real .docx is refused as invalid, never with another exception."""
    data = (EXAMPLES / "vertelling-nl.docx").read_bytes()
    message = error_of(parse_transcript, data[: len(data) // 2], "half.docx")
    assert message.startswith("half.docx is not a valid .docx;")


@pytest.mark.parametrize(
    "members",
    [{"notes.txt": b"Amina: bonjour"}, {"../word/document.xml": b"<x/>"}],
    ids=["no-document", "path-traversal"],
)
def test_zip_that_is_not_a_docx_is_refused(members):
    """A zip without a Word document, or with names escaping the archive, is refused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    message = error_of(parse_transcript, buffer.getvalue(), "notes.docx")
    assert message.startswith("notes.docx is not a valid .docx;")


def test_zip_bomb_is_refused_before_unpacking():
    """A member compressed more than 100 times (20 MB of zeros) is refused as a zip bomb."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000
    message = error_of(parse_transcript, buffer.getvalue(), "bomb.docx")
    assert message.startswith("bomb.docx looks like a zip bomb;")


def test_zip_with_too_many_members_is_refused():
    """More than 2,000 members is refused as a zip bomb."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(2001):
            archive.writestr(f"word/media/{index}.xml", b"")
    assert "looks like a zip bomb" in error_of(parse_docx, buffer.getvalue(), source="many.docx")


# Subtitles

VTT = """WEBVTT

NOTE Phase 3

1
00:00:01.000 --> 00:00:04.500
<v Sam>It started <i>at the counter</i>.</v>

2
00:00:04.500 --> 00:01:02.250 align:start
<v Sam>Then <c.yellow>the eBox</c> &amp; <00:00:05.000>itsme.</v>

3
01:00:03.000 --> 01:00:05.000
<v.facilitator Lena>Thank you.</v>
"""


def test_vtt_keeps_timestamps_and_joins_a_speakers_cues():
    """Voice tags give speakers; consecutive cues of one speaker make one timed turn."""
    turns = parse_vtt(VTT, source="m.vtt", default_phase=None)
    assert turns == [
        Turn(3, "Sam", "It started at the counter. Then the eBox & itsme.", 5, 1.0, 62.25),
        Turn(3, "Lena", "Thank you.", 13, 3603.0, 3605.0),
    ]


SRT = """1
00:00:00,500 --> 00:00:02,000
Fase 3

2
00:00:02,000 --> 00:00:05,500
Lotte: Hij kreeg <i>geen</i> leefloon meer,
want de brief zat in zijn eBox.

3
00:00:05,500 --> 00:00:07,000
{\\an8}Bram: Had hij itsme?
Lotte: Nee.
"""


def test_srt_reads_name_prefixes_and_timestamps():
    """`Name: ` prefixes give speakers, one per line; tags go and cue lines are joined."""
    turns = parse_srt(SRT, source="v.srt", default_phase=None)
    assert [(t.phase, t.speaker, t.text, t.start, t.end) for t in turns] == [
        (3, "Lotte", "Hij kreeg geen leefloon meer, want de brief zat in zijn eBox.", 2.0, 5.5),
        (3, "Bram", "Had hij itsme?", 5.5, 7.0),
        (3, "Lotte", "Nee.", 5.5, 7.0),
    ]


@pytest.mark.parametrize(
    "marker, phase",
    [
        ("Phase 5", 5),
        ("Fase 7", 7),
        ("## 8. Convergenties", 8),
        ("<i>Informatievragen</i>", 4),
        ("Réaction du narrateur", 6),
    ],
)
def test_marker_cues_set_the_phase_of_following_cues(marker, phase):
    """A cue without speaker that is a phase marker sets the phase; it is not a turn."""
    srt = f"1\n00:00:01,000 --> 00:00:02,000\n{marker}\n\n"
    srt += "2\n00:00:02,000 --> 00:00:03,000\nAmina: Oui."
    assert [(t.phase, t.speaker) for t in parse_srt(srt, source="s.srt", default_phase=1)] == [
        (phase, "Amina")
    ]


def test_cues_before_any_marker_take_the_default_phase():
    """The phase chosen in the import form applies until the first marker."""
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nAmina: Oui.\n\n2\n00:00:02,000 --> 00:00:03,000\nFase 4"
    )
    srt += "\n\n3\n00:00:03,000 --> 00:00:04,000\nBram: Wanneer?"
    turns = parse_srt(srt, source="s.srt", default_phase=3)
    assert [(t.phase, t.speaker) for t in turns] == [(3, "Amina"), (4, "Bram")]


def test_cue_before_marker_without_default_phase_is_refused():
    """Without a marker or a chosen phase, the first cue is refused with its number and line."""
    vtt = "WEBVTT\n\nNOTE recorded at the CPAS\n\n00:00:01.000 --> 00:00:02.000\n<v Sam>Hello"
    message = error_of(parse_vtt, vtt, source="m.vtt", default_phase=None)
    assert message.startswith("m.vtt, cue 1 (line 5): a cue comes before any phase marker;")
    assert "choose a phase in the import form" in message


def test_cue_without_speaker_is_refused():
    """A cue that has no speaker and is no phase marker is refused with its number and line."""
    srt = "1\n00:00:01,000 --> 00:00:02,000\nFase 3\n\n2\n00:00:02,000 --> 00:00:03,000\nGelach."
    message = error_of(parse_srt, srt, source="v.srt", default_phase=None)
    assert message.startswith("v.srt, cue 2 (line 5): the cue “Gelach.” has no speaker;")


@pytest.mark.parametrize(
    "call, text, fragment",
    [
        (parse_srt, "1\n00:00:01 --> later\nAmina: x", "s, cue 1 (line 1): no valid timing line"),
        (parse_vtt, "Subtitles\n\n00:01.000 --> 00:02.000\nx", "s, line 1: is not a WebVTT file"),
        (parse_vtt, "WEBVTT\n\nNOTE Phase 12", "s, line 3: phase 12 does not exist"),
    ],
)
def test_malformed_subtitles_name_the_place(call, text, fragment):
    """Bad timing lines, a missing WEBVTT header and phases out of range are refused."""
    assert fragment in error_of(call, text, source="s", default_phase=1)


# Whole files


@pytest.mark.parametrize(
    "name, count, names, phases",
    [
        (
            "interpretations-fr.md",
            15,
            ["Animatrice Claire", "Julien", "Sophie", "Karim", "Élodie", "Marc", "Nadia", "Amina"],
            [5, 6, 7, 11],
        ),
        (
            "vertelling-nl.docx",
            14,
            ["Hanne", "Begeleider Wim", "Pieter", "Yasmina", "Koen", "Elise"],
            [3, 4, 5],
        ),
        (
            "meeting-en.vtt",
            11,
            ["Sam", "Priya", "Tom", "Facilitator Lena", "Joke", "Amadou"],
            [3, 4, 5, 6],
        ),
        (
            "verhaal-nl.srt",
            11,
            ["Lotte", "Begeleider Wim", "Bram", "Fatima", "Ruben", "Sanne"],
            [3, 4, 5],
        ),
        (
            "encoding-cp1252-fr.txt",
            11,
            ["Animateur Luc", "Inès", "Bernard", "Chloé", "Mehdi"],
            [4, 5],
        ),
        (
            "encoding-utf16-nl.txt",
            12,
            ["Begeleider An", "Jonas", "Mira", "Tijs", "Lien"],
            [2, 3, 4],
        ),
    ],
)
def test_example_files_parse_with_their_speakers_and_phases(name, count, names, phases):
    """Every example in sessions/examples reads with the expected speakers and phases."""
    turns = parse_transcript((EXAMPLES / name).read_bytes(), name)
    assert len(turns) == count
    assert speakers(turns) == names
    assert sorted({turn.phase for turn in turns}) == phases


def test_example_encodings_keep_their_characters():
    """Windows-1252 and UTF-16 examples decode their accents, ’ and € exactly."""
    cp1252 = parse_transcript((EXAMPLES / "encoding-cp1252-fr.txt").read_bytes(), "fr.txt")
    assert cp1252[2].text == "180 €, qu'elle a dû avancer elle-même."
    assert cp1252[3].text == "Et le CPAS l’a remboursée ?"
    utf16 = parse_transcript((EXAMPLES / "encoding-utf16-nl.txt").read_bytes(), "nl.txt")
    assert utf16[5].text.endswith(
        "\nHet formulier van het fonds kon alleen online worden ingevuld, met itsme."
    )


def test_example_subtitles_keep_cue_times():
    """The first turn of each subtitle example spans its joined cues."""
    vtt = parse_transcript((EXAMPLES / "meeting-en.vtt").read_bytes(), "meeting-en.vtt")
    srt = parse_transcript((EXAMPLES / "verhaal-nl.srt").read_bytes(), "verhaal-nl.srt")
    assert (vtt[0].start, vtt[0].end) == (1.0, 17.25)
    assert (srt[0].start, srt[0].end) == (3.0, 18.5)


def test_unknown_extension_is_refused():
    """Only .md, .markdown, .txt, .docx, .vtt and .srt are read."""
    message = error_of(parse_transcript, b"Amina: x", "notes.pdf")
    assert message.startswith("notes.pdf is not a transcript format MAG Workbench reads;")


def test_file_without_turns_is_refused():
    """A readable file with no turn at all is refused."""
    message = error_of(parse_transcript, b"# Titre\n\n## 1. Propositions\n", "vide.md")
    assert message.startswith("vide.md contains no turns;")


def test_speakers_are_listed_in_order_of_first_appearance():
    """`speakers` lists each name once, first speaker first, for the mapping step."""
    turns = [Turn(1, name, "x", index) for index, name in enumerate(["B", "A", "B", "C", "A"])]
    assert speakers(turns) == ["B", "A", "C"]


# Three hours of talk: 1,500 turns, 30,000 words (timings are in bench/transcript_parsing.py)


@pytest.fixture(scope="module")
def long_session() -> list[tuple[int, str, str]]:
    rng = random.Random(3)
    words = ["le", "CPAS", "demande", "un", "rendez-vous", "via", "itsme", "et", "la", "eBox"]
    names = ["Amina", "Julien", "Sophie", "Karim", "Élodie"]
    return [
        (1 + index * 11 // 1500, names[index % 5], " ".join(rng.choices(words, k=20)))
        for index in range(1500)
    ]


def test_long_markdown_transcript_reads_every_turn(long_session):
    """A 30,000-word Markdown transcript gives its 1,500 turns in order."""
    lines = []
    for index, (phase, name, text) in enumerate(long_session):
        if index == 0 or long_session[index - 1][0] != phase:
            lines.append(f"## {phase}. Phase")
        lines.append(f"{name}: {text}")
    turns = parse_transcript("\n".join(lines).encode("utf-8"), "long.md")
    assert [(t.phase, t.speaker, t.text) for t in turns] == long_session


def test_long_docx_transcript_reads_every_turn(long_session):
    """A 30,000-word .docx transcript gives its 1,500 turns in order."""

    def build(document):
        for index, (phase, name, text) in enumerate(long_session):
            if index == 0 or long_session[index - 1][0] != phase:
                document.add_heading(f"{phase}. Phase", 2)
            bold_turn(document, name, text)

    turns = parse_transcript(make_docx(build), "long.docx")
    assert [(t.phase, t.speaker, t.text) for t in turns] == long_session


def test_long_vtt_transcript_reads_every_turn(long_session):
    """A 30,000-word WebVTT transcript gives its 1,500 turns in order, with times."""
    blocks = ["WEBVTT"]
    for index, (phase, name, text) in enumerate(long_session):
        if index == 0 or long_session[index - 1][0] != phase:
            blocks.append(f"NOTE Phase {phase}")
        minutes, seconds = divmod(index * 7, 60)
        stamp = f"{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"
        blocks.append(f"{stamp}.000 --> {stamp}.900\n<v {name}>{text}")
    turns = parse_transcript("\n\n".join(blocks).encode("utf-8"), "long.vtt")
    assert [(t.phase, t.speaker, t.text) for t in turns] == long_session
    assert turns[-1].start == 1499 * 7


def test_docx_and_subtitle_sentences_with_a_colon_stay_text():
    """In Word and subtitle files too, a clause before a colon continues the turn."""
    sentence = "De school weigerde die facturen te geven: ze moest de app downloaden."

    def build(document):
        document.add_heading("Sessie 4 in Gent", level=1)
        document.add_paragraph("## 3. Vertelling")
        bold_turn(document, "Bram", "Het begon met een brief.")
        document.add_paragraph(sentence)

    turns = parse_docx(make_docx(build), source="v.docx")
    assert [(t.speaker, t.text) for t in turns] == [
        ("Bram", f"Het begon met een brief.\n{sentence}")
    ]
    assert turns.title == "Sessie 4 in Gent"
    vtt = f"WEBVTT\n\n00:00.000 --> 00:02.000\nBram: Het begon.\n{sentence}\n"
    turns = parse_vtt(vtt, source="v.vtt", default_phase=3)
    assert [(t.speaker, t.text) for t in turns] == [("Bram", f"Het begon. {sentence}")]


def _raw_docx(paragraphs: list[str]) -> bytes:
    """A minimal .docx whose body holds the given paragraph XML, written without python-docx."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "word/document.xml", f'<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>'
        )
    return out.getvalue()


def test_docx_over_the_paragraph_limit_is_refused_with_the_limit():
    """A Word file of more than 100,000 paragraphs is refused while it is read, by name."""
    data = _raw_docx(["<w:p/>"] * 100_001)
    with pytest.raises(ValidationError) as refused:
        parse_transcript(data, "enorme.docx")
    assert "enorme.docx" in str(refused.value) and "100,000 paragraphs" in str(refused.value)


def test_docx_over_the_turn_limit_is_refused_with_the_limit():
    """20,001 turns in a Word file: refused with the file, the limit and what to do."""
    turns = [f"<w:p><w:r><w:t>Amina: tour {i}</w:t></w:r></w:p>" for i in range(20_001)]
    data = _raw_docx(["<w:p><w:r><w:t>## 1. Propositions</w:t></w:r></w:p>", *turns])
    with pytest.raises(ValidationError) as refused:
        parse_transcript(data, "long.docx")
    assert "long.docx, paragraph 20002" in str(refused.value)
    assert "20,000 turns" in str(refused.value) and "split it" in str(refused.value)


def test_docx_runs_breaks_tabs_and_hyperlinks_read_as_python_docx_read_them():
    """The streaming reader keeps line breaks, tabs and hyperlink text; bold opens a turn."""
    paragraphs = [
        "<w:p><w:r><w:t>## 5. Premier tour</w:t></w:r></w:p>",
        '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Amina: </w:t></w:r>'
        "<w:r><w:t>un</w:t><w:br/><w:t>deux</w:t><w:tab/><w:t>trois</w:t></w:r>"
        "<w:hyperlink><w:r><w:t> lien</w:t></w:r></w:hyperlink>"
        '<w:r><w:br w:type="page"/><w:t>!</w:t></w:r></w:p>',
        '<w:p><w:r><w:rPr><w:b w:val="0"/></w:rPr><w:t>suite: du tour</w:t></w:r></w:p>',
    ]
    (turn,) = parse_transcript(_raw_docx(paragraphs), "t.docx")
    assert (turn.phase, turn.speaker) == (5, "Amina")
    assert turn.text == "un\ndeux\ttrois lien!\nsuite: du tour"
