"""Measure how long reading a 3-hour transcript takes in each format.

Builds a session of about 30,000 words in 1,500 turns over the eleven phases,
writes it as Markdown, .docx (python-docx, bold speakers and Heading 2 phases)
and WebVTT (one cue per turn, voice tags, NOTE phase markers), then times
`parse_transcript` on the bytes (decoding included; median of 7 runs after a
warm-up). Target: well under a second per format.

Run: .venv/bin/python bench/transcript_parsing.py
"""

from __future__ import annotations

import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.capture.formats import parse_transcript  # noqa: E402

WORDS = ["de", "maatschappelijk", "werker", "helpt", "een", "mevrouw", "met", "haar", "eBox"]
WORDS += ["itsme", "loket", "gesloten", "le", "CPAS", "demande", "un", "rendez-vous", "à", "l'EPN"]
SPEAKERS = ["Amina", "Julien", "Sophie", "Karim", "Élodie", "Marc", "Nadia", "Animatrice Claire"]
TURNS, WORDS_PER_TURN, RUNS = 1_500, 20, 7


def session(seed: int = 7) -> list[tuple[int, str, str]]:
    """Return (phase, speaker, text) for 1,500 turns of 20 words, phases 1 to 11 in order."""
    rng = random.Random(seed)
    return [
        (
            1 + index * 11 // TURNS,
            rng.choice(SPEAKERS),
            " ".join(rng.choices(WORDS, k=WORDS_PER_TURN)),
        )
        for index in range(TURNS)
    ]


def as_markdown(turns) -> bytes:
    lines, phase = ["# Séance de test"], None
    for number, speaker, text in turns:
        if number != phase:
            lines += ["", f"## {number}. Phase {number}"]
            phase = number
        lines.append(f"{speaker}: {text}")
    return "\n".join(lines).encode("utf-8")


def as_docx(turns) -> bytes:
    document, phase = docx.Document(), None
    for number, speaker, text in turns:
        if number != phase:
            document.add_heading(f"{number}. Phase {number}", 2)
            phase = number
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{speaker}:").bold = True
        paragraph.add_run(f" {text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _stamp(seconds: float) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}:{seconds:06.3f}"


def as_vtt(turns) -> bytes:
    blocks, phase = ["WEBVTT"], None
    for index, (number, speaker, text) in enumerate(turns):
        if number != phase:
            blocks.append(f"NOTE Phase {number}")
            phase = number
        start = index * 7.2  # 1,500 turns of 7.2 s: three hours
        timing = f"{_stamp(start)} --> {_stamp(start + 7)}"
        blocks.append(f"{index + 1}\n{timing}\n<v {speaker}>{text}</v>")
    return "\n\n".join(blocks).encode("utf-8")


def main() -> None:
    turns = session()
    words = sum(len(text.split()) for _, _, text in turns)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"python-docx {docx.__version__}"
    )
    print(f"transcript: {len(turns)} turns, {words} words")
    for name, data in (
        ("session.md", as_markdown(turns)),
        ("session.docx", as_docx(turns)),
        ("session.vtt", as_vtt(turns)),
    ):
        parse_transcript(data, name)  # warm-up
        timings = []
        for _ in range(RUNS):
            began = time.perf_counter()
            parsed = parse_transcript(data, name)
            timings.append((time.perf_counter() - began) * 1000)
        print(
            f"{name:13} {len(data) / 1024:7.0f} KiB -> {len(parsed)} turns: "
            f"median={statistics.median(timings):.1f} ms max={max(timings):.1f} ms"
        )


if __name__ == "__main__":
    main()
