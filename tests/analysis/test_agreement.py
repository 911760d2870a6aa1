"""Inter-coder agreement: published worked examples, hand computations and edge cases."""

from __future__ import annotations

import pytest

from analysis.agreement import (
    ThemeAgreement,
    agreement_by_theme,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", reliability data
# matrix with missing values: observers A-D (rows) x units 1-12 (columns), None = ".".
_ = None
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    "C": [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
}


def _wikipedia_readers() -> tuple[list[str], list[str]]:
    """Rebuild reader A's and B's verdicts on the 50 grant proposals from the 2x2 counts."""
    cells = [("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)]
    a = [verdict_a for verdict_a, _b, count in cells for _i in range(count)]
    b = [verdict_b for _a, verdict_b, count in cells for _i in range(count)]
    return a, b


def test_cohen_kappa_matches_wikipedia_grant_proposal_example():
    """Wikipedia, "Cohen's kappa", worked example: p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    a, b = _wikipedia_readers()
    assert len(a) == 50
    assert percent_agreement(a, b) == pytest.approx(0.7, abs=1e-3)
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-3)


def test_krippendorff_alpha_matches_published_nominal_example_with_missing_data():
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": nominal alpha = 0.743."""
    units = list(zip(*KRIPPENDORFF_2011.values(), strict=True))
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=1e-3)


def test_krippendorff_alpha_ignores_units_with_a_single_value():
    """Unit 12 of Krippendorff (2011) has one value; dropping it leaves alpha at 0.743."""
    units = list(zip(*KRIPPENDORFF_2011.values(), strict=True))
    assert krippendorff_alpha(units[:11]) == pytest.approx(0.743, abs=1e-3)


def test_krippendorff_alpha_two_coders_hand_computed_binary_example():
    """Two coders, no missing data: a = 0 0 1 1, b = 0 1 1 1, alpha = 8/15.

    Coincidence matrix (each unit adds 1/(m-1) = 1 per ordered pair):
        u1 (0,0): o00 += 2;  u2 (0,1): o01 += 1, o10 += 1;  u3, u4 (1,1): o11 += 4.
        o = [[2, 1], [1, 4]], n_0 = 3, n_1 = 5, n = 8.
    D_o = (o01 + o10) / n = 2/8 = 0.25.
    D_e = (n_0 n_1 + n_1 n_0) / (n (n - 1)) = 30/56.
    alpha = 1 - 0.25 / (30/56) = 1 - 14/30 = 8/15 = 0.5333.
    """
    units = [(0, 0), (0, 1), (1, 1), (1, 1)]
    assert krippendorff_alpha(units) == pytest.approx(0.533, abs=1e-3)


def test_krippendorff_alpha_two_coders_relates_to_scotts_pi():
    """Two coders, N units, no missing data: alpha = 1 - (1 - pi) (2N - 1) / (2N).

    By hand: n = 2N pooled values, D_o = 1 - p_o and D_e = n/(n-1) (1 - p_e) with
    Scott's pooled p_e = sum (n_c/n)^2, so D_o/D_e = (1 - pi)(n - 1)/n.
    Wikipedia grant data: pooled yes 55, no 45 of 100, p_e = 0.3025 + 0.2025 = 0.505,
    pi = (0.7 - 0.505) / 0.495 = 0.3939, alpha = 1 - 0.6061 * 99/100 = 0.4.
    """
    a, b = _wikipedia_readers()
    n = len(a)
    p_o = 0.7
    p_e = (55 / 100) ** 2 + (45 / 100) ** 2
    pi = (p_o - p_e) / (1 - p_e)
    alpha = krippendorff_alpha(list(zip(a, b, strict=True)))
    assert alpha == pytest.approx(1 - (1 - pi) * (2 * n - 1) / (2 * n), abs=1e-3)
    assert alpha == pytest.approx(0.4, abs=1e-3)


def test_percent_agreement_is_share_of_matching_units():
    """Three matches out of four units give 0.75, whatever the category labels are."""
    assert percent_agreement(["x", "y", "z", "x"], ["x", "y", "z", "y"]) == pytest.approx(0.75)


def test_perfect_agreement_gives_one_for_every_measure():
    """Identical codings over two categories give percent, kappa and alpha of 1."""
    codes = ["trust", "stigma", "trust", "stigma"]
    assert percent_agreement(codes, codes) == 1.0
    assert cohen_kappa(codes, codes) == pytest.approx(1.0, abs=1e-3)
    assert krippendorff_alpha(list(zip(codes, codes, strict=True))) == pytest.approx(1.0, abs=1e-3)


def test_total_disagreement_with_balanced_codes_gives_kappa_minus_one():
    """Coders who always differ: p_o = 0, p_e = 0.5, so kappa = (0 - 0.5) / 0.5 = -1."""
    a = ["yes", "no", "yes", "no"]
    b = ["no", "yes", "no", "yes"]
    assert percent_agreement(a, b) == 0.0
    assert cohen_kappa(a, b) == pytest.approx(-1.0, abs=1e-3)


def test_cohen_kappa_is_none_when_both_coders_use_one_same_category():
    """p_e = 1 makes kappa 0/0, reported as None rather than a made-up number."""
    assert cohen_kappa(["no"] * 5, ["no"] * 5) is None


def test_krippendorff_alpha_is_none_when_undefined():
    """No pairable values, or all values in one category, give None."""
    assert krippendorff_alpha([]) is None
    assert krippendorff_alpha([("a", None), (None, "b")]) is None
    assert krippendorff_alpha([("a", "a"), ("a", "a", None)]) is None


@pytest.mark.parametrize("measure", [percent_agreement, cohen_kappa])
def test_paired_measures_reject_unequal_lengths(measure):
    """Two coders must be compared over the same units."""
    with pytest.raises(ValueError, match="same units"):
        measure(["a", "b"], ["a"])


@pytest.mark.parametrize("measure", [percent_agreement, cohen_kappa])
def test_paired_measures_reject_empty_input(measure):
    """With no units there is nothing to agree on."""
    with pytest.raises(ValueError, match="at least one"):
        measure([], [])


def test_agreement_by_theme_two_coders_hand_computed():
    """Two coders, six passages, two themes, in `themes` order, with disagreeing passages.

    trust  ana 1 1 0 0 1 0 / ben 1 1 0 1 1 0: differ on p4, p_o = 5/6,
           p_e = 3/6 * 4/6 + 3/6 * 2/6 = 1/2, kappa = (5/6 - 1/2) / (1/2) = 2/3;
           pooled yes 7, no 5, n = 12, off-diagonal 2, alpha = 1 - 11 * 2 / 70 = 0.6857.
    stigma ana 0 1 1 0 0 0 / ben 0 0 1 0 1 0: differ on p2, p5, p_o = 4/6,
           p_e = 2/6 * 2/6 + 4/6 * 4/6 = 5/9, kappa = (2/3 - 5/9) / (4/9) = 0.25;
           pooled yes 4, no 8, off-diagonal 4, alpha = 1 - 11 * 4 / 64 = 0.3125.
    """
    assignments = {
        "ana": {"p1": {"trust"}, "p2": {"trust", "stigma"}, "p3": {"stigma"}, "p5": {"trust"}},
        "ben": {
            "p1": {"trust"},
            "p2": {"trust"},
            "p3": {"stigma"},
            "p4": {"trust"},
            "p5": {"trust", "stigma"},
        },
    }
    units = ["p1", "p2", "p3", "p4", "p5", "p6"]
    trust, stigma = agreement_by_theme(assignments, units, ["trust", "stigma"])

    assert trust.theme == "trust"
    assert trust.units == 6
    assert trust.percent == pytest.approx(0.833, abs=1e-3)
    assert trust.kappa == pytest.approx(0.667, abs=1e-3)
    assert trust.alpha == pytest.approx(0.686, abs=1e-3)
    assert trust.disagreements == ("p4",)

    assert stigma.theme == "stigma"
    assert stigma.percent == pytest.approx(0.667, abs=1e-3)
    assert stigma.kappa == pytest.approx(0.25, abs=1e-3)
    assert stigma.alpha == pytest.approx(0.3125, abs=1e-3)
    assert stigma.disagreements == ("p2", "p5")


def test_agreement_by_theme_three_coders_gives_alpha_and_no_kappa():
    """Three coders: percent is the mean pairwise agreement, kappa is None, alpha = 7/18.

    a T T F F / b T T F T / c T F F F.
    Pairwise: a-b 3/4, a-c 3/4, b-c 2/4, mean 2/3.
    Coincidences: u2 (T,T,F) and u4 (F,T,F) each add 1 to o_TF and 1 to o_FT;
    o = [[4, 2], [2, 4]], n_T = n_F = 6, n = 12.
    D_o = 4/12, D_e = 2 * 36 / 132 = 6/11, alpha = 1 - (1/3) / (6/11) = 7/18 = 0.3889.
    """
    assignments = {
        "a": {"u1": {"trust"}, "u2": {"trust"}},
        "b": {"u1": {"trust"}, "u2": {"trust"}, "u4": {"trust"}},
        "c": {"u1": {"trust"}},
    }
    [result] = agreement_by_theme(assignments, ["u1", "u2", "u3", "u4"], ["trust"])
    assert result.kappa is None
    assert result.percent == pytest.approx(0.667, abs=1e-3)
    assert result.alpha == pytest.approx(0.389, abs=1e-3)
    assert result.disagreements == ("u2", "u4")


def test_agreement_by_theme_counts_uncoded_passage_as_not_applied():
    """A passage a coder left uncoded is a "no" for every theme, not a skipped unit."""
    assignments = {
        "ana": {"p1": {"trust"}, "p2": {"stigma"}, "p3": {"trust", "stigma"}},
        "ben": {"p1": {"trust"}, "p2": {"stigma"}, "p4": set()},
    }
    results = agreement_by_theme(assignments, ["p1", "p2", "p3", "p4"], ["trust", "stigma"])
    assert [r.units for r in results] == [4, 4]
    assert [r.percent for r in results] == [pytest.approx(0.75), pytest.approx(0.75)]
    assert [r.disagreements for r in results] == [("p3",), ("p3",)]


def test_agreement_by_theme_returns_frozen_results():
    """Results are plain immutable values that views and reports can pass around."""
    assignments = {"ana": {"p1": {"trust"}}, "ben": {"p1": {"trust"}}}
    [result] = agreement_by_theme(assignments, ["p1"], ["trust"])
    assert isinstance(result, ThemeAgreement)
    with pytest.raises(AttributeError):
        result.percent = 0.0  # type: ignore[misc]


def test_agreement_by_theme_requires_two_coders():
    """One coder cannot agree with anyone."""
    with pytest.raises(ValueError, match="at least two coders"):
        agreement_by_theme({"ana": {"p1": {"trust"}}}, ["p1"], ["trust"])


def test_agreement_by_theme_rejects_a_bare_string_of_themes():
    """A str where a set of keys belongs would turn membership into substring tests."""
    with pytest.raises(TypeError, match="not a str"):
        agreement_by_theme({"ana": {"p1": "trust"}, "ben": {}}, ["p1"], ["trust"])
