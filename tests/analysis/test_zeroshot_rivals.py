"""Themes compete within a passage: competition only ever lowers a theme's points."""

from __future__ import annotations

import pytest

from analysis import default_codebook
from analysis.terms import Match, Slot, Term
from analysis.zeroshot import LENGTH_FREE, LENGTH_POWER, SUGGEST_AT, ZeroShot


def _matches(points: dict[str, int]) -> list[Match]:
    """Distinct strong terms (weight 1) giving each theme its number of points."""
    found = []
    for theme, count in points.items():
        for n in range(count):
            term = Term(theme, f"{theme}-{n}", 1.0, (Slot("word", frozenset({f"w{n}"})),))
            found.append(Match(term, n, n, n, n + 1))
    return found


@pytest.mark.parametrize("words", [20, 50, 100, 200])
@pytest.mark.parametrize("rival", [1, 3, 4, 6, 10])
def test_competition_never_raises_a_theme_above_its_own_evidence(words, rival):
    """A rival's points after competition are at most its points after the length rule."""
    zero_shot = ZeroShot(default_codebook())
    result = zero_shot.suggestion_points(_matches({"privacy": 10, "outsourcing": rival}), words)
    scale = max(1.0, words / LENGTH_FREE) ** LENGTH_POWER
    assert result["outsourcing"] <= rival / scale + 1e-9
    assert result["privacy"] == pytest.approx(10 / scale)


def test_weak_rival_in_a_long_passage_stays_below_the_cut():
    """In a long passage, a theme with a third of the top theme's evidence is not suggested.

    3.5 points against 10, in 200 words (needed evidence × 2): 1.75 after the length
    rule, under the cut of 2; competition must not lift it over.
    """
    zero_shot = ZeroShot(default_codebook())
    matches = _matches({"privacy": 10, "outsourcing": 3})
    matches += [
        Match(Term("outsourcing", "half", 0.5, (Slot("word", frozenset({"h"})),)), 20, 20, 20, 21)
    ]
    result = zero_shot.suggestion_points(matches, 200)
    assert result["outsourcing"] < SUGGEST_AT
