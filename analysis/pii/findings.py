"""The Finding record and the rule that decides between overlapping findings."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("national_number", "bis_number", "iban", "phone", "email", "address", "person")

# Lower wins an overlap. Identifiers with a checksum are the most certain, then the
# fixed shapes (e-mail, phone), then the heuristic ones (street forms, names).
PRIORITY = {
    "national_number": 0,
    "bis_number": 0,
    "iban": 0,
    "email": 1,
    "phone": 2,
    "address": 3,
    "person": 4,
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and its code-point span over the input.

    `start`/`end` are Unicode code points, zero-based, end exclusive, and
    `text == input[start:end]`, so spans line up with REFI-QDA selections.
    """

    kind: str
    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if not 0 <= self.start < self.end or self.end - self.start != len(self.text):
            raise ValueError(f"span {self.start}-{self.end} does not match its text")


def finding(kind: str, text: str, start: int, end: int) -> Finding:
    """Return the Finding of `kind` for `text[start:end]`."""
    return Finding(kind, start, end, text[start:end])


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep the best of each group of overlapping findings, sorted by start.

    Better means a higher-priority kind, then a longer span, then an earlier one;
    exact duplicates collapse into one.
    """
    ranked = sorted(set(findings), key=lambda f: (PRIORITY[f.kind], f.start - f.end, f.start))
    starts: list[int] = []
    kept: list[Finding] = []  # sorted by start, never overlapping
    for candidate in ranked:
        index = bisect.bisect_left(starts, candidate.start)
        if index > 0 and kept[index - 1].end > candidate.start:
            continue
        if index < len(kept) and kept[index].start < candidate.end:
            continue
        starts.insert(index, candidate.start)
        kept.insert(index, candidate)
    return kept
