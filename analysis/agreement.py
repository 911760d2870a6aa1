"""Inter-coder agreement for nominal codes: percent agreement, Cohen's kappa, Krippendorff's alpha.

In MAG Workbench a unit is a passage of a transcript and a value is what a coder
said about it (for one theme: applied or not applied).

- Percent agreement p_o is the share of units on which two coders gave the same value.
- Cohen's kappa corrects p_o for chance: p_e is the agreement expected if each coder
  picked values independently at their own observed rates, the sum over categories
  of (share of units coder A put in c) x (share of units coder B put in c), and
  kappa = (p_o - p_e) / (1 - p_e).
- Krippendorff's alpha works for any number of coders and tolerates missing values.
  In each unit with m >= 2 values, every ordered pair of values from different coders
  adds 1/(m - 1) to the coincidence matrix cell o[c][k]; units with fewer than two
  values cannot be paired and are left out. n_c (row totals) counts pairable values
  in category c and n is their total. For nominal data, the observed disagreement
  D_o is the off-diagonal mass of o divided by n, the expected disagreement D_e is
  sum over c != k of n_c * n_k divided by n(n - 1), and alpha = 1 - D_o / D_e.

Sums are kept as exact integers and fractions so that "undefined" (a zero
denominator) is decided exactly rather than by float comparison.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations


@dataclass(frozen=True)
class ThemeAgreement:
    """Agreement between coders on one theme, over the same passages."""

    theme: str
    units: int
    percent: float
    kappa: float | None
    alpha: float | None
    disagreements: tuple[Hashable, ...]


def _check_paired(a: Sequence[Hashable], b: Sequence[Hashable]) -> None:
    """Reject inputs that cannot describe two coders judging the same units."""
    if len(a) != len(b):
        raise ValueError(f"Both coders must code the same units: got {len(a)} and {len(b)} values.")
    if not a:
        raise ValueError("Agreement needs at least one coded unit; got none.")


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Return the share of units (0..1) where two coders gave the same value, the plain reading."""
    _check_paired(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Return Cohen's kappa for two coders, so agreement is judged net of chance.

    Returns None when chance agreement p_e is 1, which happens only when both coders
    used one and the same category for every unit: kappa is then 0/0, and reporting
    0 or 1 would claim something the data cannot tell.
    """
    _check_paired(a, b)
    n = len(a)
    agreed = sum(x == y for x, y in zip(a, b, strict=True))
    counts_a, counts_b = Counter(a), Counter(b)
    # p_e * n^2, kept as an integer so p_e == 1 is tested exactly.
    chance = sum(count * counts_b[value] for value, count in counts_a.items())
    if chance == n * n:
        return None
    p_o = Fraction(agreed, n)
    p_e = Fraction(chance, n * n)
    return float((p_o - p_e) / (1 - p_e))


def krippendorff_alpha(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Return nominal Krippendorff's alpha, which allows any number of coders and missing values.

    `units[u]` holds the values the coders gave unit u; None means that coder did not
    code it. Returns None when alpha is undefined: fewer than two pairable values, or
    all pairable values in one category (expected disagreement 0).
    """
    # Off-diagonal mass of the coincidence matrix: sum over c != k of o[c][k].
    observed = Fraction(0)
    totals: Counter[Hashable] = Counter()  # n_c
    for values in units:
        counts = Counter(value for value in values if value is not None)
        m = sum(counts.values())
        if m < 2:
            continue
        same = sum(count * count for count in counts.values())
        observed += Fraction(m * m - same, m - 1)
        totals.update(counts)
    n = sum(totals.values())
    if n < 2:
        return None
    expected = n * n - sum(count * count for count in totals.values())  # sum_{c != k} n_c n_k
    if expected == 0:
        return None
    # 1 - D_o / D_e with D_o = observed / n and D_e = expected / (n (n - 1)).
    return float(1 - (n - 1) * observed / expected)


def agreement_by_theme(
    assignments: Mapping[Hashable, Mapping[Hashable, Collection[str]]],
    units: Sequence[Hashable],
    themes: Sequence[str],
) -> list[ThemeAgreement]:
    """Return agreement per theme, in `themes` order, treating each theme as applied or not.

    `assignments[coder][unit]` is the set of theme keys a coder applied to a passage.
    Every coder is taken to have coded every passage in `units`: a missing entry means
    the coder applied nothing there, a deliberate "no", not missing data. Entries for
    passages outside `units` are ignored. With more than two coders, `percent` is the
    mean of the pairwise percent agreements over all coder pairs and `kappa` is None.
    """
    coders = list(assignments)
    if len(coders) < 2:
        raise ValueError(f"Agreement needs at least two coders; got {len(coders)}.")
    if not units:
        raise ValueError("Agreement needs at least one passage; got none.")
    if len(set(units)) != len(units):
        raise ValueError("Each passage must appear once in `units`.")
    applied = [_applied_sets(assignments[coder], units) for coder in coders]
    return [_theme_agreement(theme, applied, units) for theme in themes]


def _theme_agreement(
    theme: str, applied: Sequence[Mapping[Hashable, frozenset[str]]], units: Sequence[Hashable]
) -> ThemeAgreement:
    """Score one theme as a binary applied / not-applied code per coder and passage."""
    ratings = [[theme in coded[unit] for unit in units] for coded in applied]
    pairs = list(combinations(ratings, 2))
    by_unit = list(zip(*ratings, strict=True))
    return ThemeAgreement(
        theme=theme,
        units=len(units),
        percent=sum(percent_agreement(a, b) for a, b in pairs) / len(pairs),
        kappa=cohen_kappa(*ratings) if len(ratings) == 2 else None,
        alpha=krippendorff_alpha(by_unit),
        disagreements=tuple(
            unit for unit, values in zip(units, by_unit, strict=True) if len(set(values)) > 1
        ),
    )


def _applied_sets(
    coded: Mapping[Hashable, Collection[str]], units: Sequence[Hashable]
) -> dict[Hashable, frozenset[str]]:
    """Map each passage to the themes one coder applied, empty where they applied none."""
    result = {}
    for unit in units:
        themes = coded.get(unit, ())
        # A bare string would make `theme in themes` a substring test and skew every count.
        if isinstance(themes, str):
            raise TypeError(f"Themes for passage {unit!r} must be a collection of keys, not a str.")
        result[unit] = frozenset(themes)
    return result
