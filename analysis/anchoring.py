"""Keep codings on the same words when a passage's text is edited.

A coding is a code-point span over the old text. `reanchor` aligns the old
and new texts (difflib, character level) and moves each span to the place
its characters went. A span whose characters were all kept, in order and
unchanged, moves silently; a span that overlaps an edited region is reported
as affected, with the best adjusted span, so a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Reanchored:
    """Where a span goes in the new text, and whether its words were touched."""

    start: int
    end: int
    intact: bool  # the same characters, unchanged, in the new text


def _map(blocks, position: int, *, is_end: bool) -> int:
    """Map an old offset to the new text through the matching blocks."""
    for a, b, size in blocks:
        if a <= position < a + size or (is_end and a < position <= a + size):
            return b + (position - a)
    # In an edited region: snap to the nearest matching block boundary.
    best = 0
    for a, b, size in blocks:
        if a + size <= position:
            best = b + size
        elif a > position:
            return b if is_end else best
    return best


def _matching_blocks(old: str, new: str, *, tail_first: bool = False) -> list[tuple[int, int, int]]:
    """Align the texts: their common start and end as they are, difflib on the middle only.

    An edit is where the texts differ: left to itself, difflib's longest match can pair
    repeated words with the wrong copy ("ouiouinon" → "ouinonouinon" matched the inserted
    "non"), and a coding far from the edit lost its words. Where the common start and end
    overlap (a character deleted from a run of the same ones), which one is taken whole
    places the edit first or last in the run: `tail_first` takes the common end whole.
    """
    limit = min(len(old), len(new))
    head = tail = 0
    if tail_first:
        while tail < limit and old[-1 - tail] == new[-1 - tail]:
            tail += 1
    while head < limit - tail and old[head] == new[head]:
        head += 1
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    matcher = SequenceMatcher(
        None, old[head : len(old) - tail], new[head : len(new) - tail], autojunk=False
    )
    blocks = [(0, 0, head)] + [(a + head, b + head, n) for a, b, n in matcher.get_matching_blocks()]
    blocks.append((len(old) - tail, len(new) - tail, tail))
    return [block for block in blocks if block[2]]


def reanchor(old: str, new: str, spans: list[tuple[int, int]]) -> list[Reanchored]:
    """Return the new position of each (start, end) span of `old` in `new`.

    Three alignments are tried: the edit where the texts stop agreeing (common start
    kept whole, then common end), the same with the common end kept whole (a character
    deleted from a run of spaces could be any of them), then difflib over the whole
    texts. Where repeated words make the edit's place ambiguous, a span any one keeps
    whole is kept silently; otherwise the first alignment's guess is offered.
    """
    trimmed = _spots(old, new, spans, _matching_blocks(old, new))
    if all(spot.intact for spot in trimmed):
        return trimmed
    from_end = _spots(old, new, spans, _matching_blocks(old, new, tail_first=True))
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    whole = _spots(old, new, spans, [b for b in matcher.get_matching_blocks() if b.size])
    return [
        next((spot for spot in choices if spot.intact), choices[0])
        for choices in zip(trimmed, from_end, whole, strict=True)
    ]


def _spots(old: str, new: str, spans, blocks) -> list[Reanchored]:
    results = []
    for start, end in spans:
        new_start = _map(blocks, start, is_end=False)
        new_end = max(_map(blocks, end, is_end=True), new_start)
        intact = new[new_start:new_end] == old[start:end] and _covered(blocks, start, end)
        results.append(Reanchored(new_start, new_end, intact))
    return results


def _covered(blocks, start: int, end: int) -> bool:
    """Tell whether old[start:end] lies inside one unchanged block."""
    return any(a <= start and end <= a + size for a, _b, size in blocks)


def across_replacements(
    spans: list[tuple[int, int]], occurrences: list[tuple[int, int, int]]
) -> list[tuple[int, int]]:
    """Return each span moved through known replacements: (old start, old end, new length).

    Exact where `reanchor` can only guess: difflib pairs the characters a name shares with
    its replacement ("Ann" → "Anonymous"), so a coding on the name kept part of it, and one
    on a name that ends the text lost its end. A bound outside every occurrence shifts by
    the change of length before it; a bound inside one goes to that occurrence's edge, so a
    span touching an occurrence covers all of its replacement. Occurrences are in order and
    do not overlap.
    """
    return [
        (_through(occurrences, start, is_end=False), _through(occurrences, end, is_end=True))
        for start, end in spans
    ]


def _through(occurrences: list[tuple[int, int, int]], position: int, *, is_end: bool) -> int:
    """Map one old offset through the replacements (an end may sit on an occurrence's end)."""
    shift = 0
    for start, end, size in occurrences:
        if start < position < end or (position == start and not is_end and start < end):
            return start + shift + (size if is_end else 0)
        if end > position:
            break
        shift += size - (end - start)
    return position + shift
