"""The built-in multilingual lexicon of the four default themes.

Seed terms in the codebook are what facilitators see and edit; this lexicon adds the
wider vocabulary that professionals use for the same themes (inflections are handled
by lemmatisation, so each entry is written once). It is applied to a theme whose key
is one of the default keys, on top of its seed terms; a study's own themes rely on
their seed terms and definitions.

The entries live in `lexicon.toml` beside this module (read once, with tomllib):
`[lexicon.THEME]` the core vocabulary, `[broader.THEME]` broader coverage, `[shared]`
names that mean the same in every language, `[senses.THEME]` other senses of the
themes' words. Each block is `weight: pattern; pattern; ...` lines in the syntax of
`analysis.terms`. Weights: 2 = on its own, a strong sign of the theme; 1 = a sign;
0.5 = supporting context only; 0 = another sense of a word; negative = talk that
looks like the theme but is about something else (the research's own recordings and
pseudonyms are not the service users' privacy). A passage is suggested a theme from
about 2 points (see zeroshot.py).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from analysis.terms import split_sense

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")
_TIER = re.compile(r"^\s*(-?\d+(?:\.\d+)?):(.*)$")


@cache
def _tables() -> dict[str, dict]:
    """Return the lexicon file's tables: lexicon, broader, shared, senses."""
    with LEXICON_PATH.open("rb") as handle:
        return tomllib.load(handle)


def _parse(block: str) -> list[tuple[str, float]]:
    entries: list[tuple[str, float]] = []
    current: float | None = None
    for line in block.splitlines():
        match = _TIER.match(line)
        if match:
            current = float(match.group(1))
            line = match.group(2)
        for piece in line.split(";"):
            if piece.strip() and current is not None:
                entries.append((piece.strip(), current))
    return entries


@cache
def lexicon_entries(key: str, language: str) -> tuple[tuple[str, float], ...]:
    """Return (pattern, weight) pairs of the built-in lexicon for a default theme."""
    tables = _tables()
    block = tables["lexicon"].get(key, {}).get(language, "")
    broader = tables["broader"].get(key, {}).get(language, "")
    entries = _parse(block) + _parse(broader) + _parse(tables["shared"].get(key, ""))
    # The strongest weight wins when a pattern is listed twice.
    best: dict[str, float] = {}
    for pattern, weight in entries:
        best[pattern] = max(weight, best.get(pattern, weight))
    # A sense entry replaces the plain pattern: its marker and its weight win.
    for pattern, weight in _parse(tables["senses"].get(key, {}).get(language, "")):
        best.pop(split_sense(pattern)[0], None)
        best[pattern] = weight
    return tuple(sorted(best.items()))


def has_lexicon(key: str) -> bool:
    """Return whether `key` is a default theme with a built-in lexicon."""
    return key in _tables()["lexicon"]
