"""Per-theme calibration from the first codings: rare themes only, learned themes by their model."""

from __future__ import annotations

import numpy as np

from analysis.scoring import CALIBRATE_FROM, MIN_NEGATIVES, MIN_POSITIVES, calibrate
from analysis.suggest import Example

AT = 2.0  # the cut in points (SUGGEST_AT)


def _examples(labels: list[frozenset[str]]) -> list[Example]:
    return [Example(i, f"passage {i}", label) for i, label in enumerate(labels)]


def test_a_rare_theme_is_calibrated_so_its_codings_reach_the_cut():
    """Three codings of a theme whose evidence stays under the cut move its multiplier up."""
    labels = [frozenset({"rare"})] * 3 + [frozenset()] * (CALIBRATE_FROM + 2)
    points = np.array([[1.5]] * 3 + [[0.4]] * (CALIBRATE_FROM + 2))
    scales = calibrate(points, _examples(labels), ["rare"], AT)
    assert scales[0] > 1.0
    assert (points[:3, 0] * scales[0] >= AT).all()
    assert (points[3:, 0] * scales[0] < AT).all()


def test_a_theme_the_learned_regime_learns_keeps_its_points():
    """With enough codings on both sides the learned model is the theme's calibration: the
    points it reads (and the zero-shot share of the blend) are not scaled as well."""
    n = CALIBRATE_FROM + 10
    positives = max(MIN_POSITIVES, 6)
    labels = [frozenset({"common"})] * positives + [frozenset()] * (n - positives)
    assert n - positives >= MIN_NEGATIVES
    points = np.array([[1.5]] * positives + [[0.4]] * (n - positives))
    scales = calibrate(points, _examples(labels), ["common"], AT)
    assert scales[0] == 1.0


def test_no_calibration_before_enough_codings():
    labels = [frozenset({"rare"})] * 2 + [frozenset()] * (CALIBRATE_FROM - 3)
    points = np.array([[1.5]] * 2 + [[0.4]] * (CALIBRATE_FROM - 3))
    assert calibrate(points, _examples(labels), ["rare"], AT).tolist() == [1.0]
