"""Learning from the first codings on language-independent evidence, the prior as offset.

For each theme, a logistic regression whose offset is the zero-shot prior:

    logit(p) = logit(prior) + b + w . x

where x are a few language-independent features of the passage's evidence for that
theme (its suggestion points, distinct strong and context terms, its best term, the
strongest rival theme, the passage's length and first-person share). The weights are
penalised towards zero (`PENALTY`), so with few codings the model stays at the prior
and moves away from it only as far as the codings show. Codings of every language
train one model; a rejected suggestion is a negative of weight `REJECTED_WEIGHT`.

The cut of each theme is chosen on out-of-fold predictions of the coded passages
(`FOLDS`-fold), as the cut with the best F1, shrunk towards the zero-shot cut 0.5 by
n / (n + `CUT_HALF`) (n: positives coded). Scores are then mapped piecewise-linearly
so that the theme's cut lands on 0.5: the order of passages within a theme is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.terms import Match
from analysis.zeroshot import LENGTH_FREE, STRONG

PENALTY = 2.0  # L2 penalty on the weights and intercept (sum of sample weights scale)
FOLDS = 5
CUT_HALF = 10  # positives at which the chosen cut and 0.5 weigh the same
CUTS = np.round(np.arange(0.2, 0.81, 0.05), 2)
MIN_CODED = 2  # positives (and negatives) a theme needs before it leaves the prior
REJECTED_WEIGHT = 2.0
_EPS = 1e-6


def evidence_features(
    matches_per_passage: Sequence[Sequence[Match]],
    points: np.ndarray,
    words: Sequence[int],
    personal: Sequence[float],
    keys: Sequence[str],
) -> np.ndarray:
    """Return features (passages × themes × 7), the same in every language."""
    column = {key: i for i, key in enumerate(keys)}
    n, k = points.shape
    strong = np.zeros((n, k))
    context = np.zeros((n, k))
    best = np.zeros((n, k))
    for row, matches in enumerate(matches_per_passage):
        seen: set[tuple[str, str]] = set()
        for match in matches:
            term = match.term
            if term.weight <= 0 or (term.theme, term.source) in seen:
                continue
            seen.add((term.theme, term.source))
            c = column[term.theme]
            if term.weight >= STRONG:
                strong[row, c] += 1
            else:
                context[row, c] += 1
            best[row, c] = max(best[row, c], term.weight)
    rival = np.zeros((n, k))
    if k > 1:
        for c in range(k):
            rival[:, c] = np.delete(points, c, axis=1).max(axis=1)
    length = np.log(np.maximum(np.asarray(words, dtype=np.float64), 1.0) / LENGTH_FREE)
    share = np.asarray(personal, dtype=np.float64) * 10
    return np.stack(
        [
            np.log1p(points),
            np.log1p(strong),
            np.log1p(context),
            best / 2,
            np.log1p(rival),
            np.repeat(length[:, None], k, axis=1),
            np.repeat(share[:, None], k, axis=1),
        ],
        axis=2,
    )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _fit_offset(x: np.ndarray, y: np.ndarray, offset: np.ndarray, weight: np.ndarray):
    """Penalised logistic regression with a fixed offset; return (intercept, weights)."""
    from scipy.optimize import minimize

    design = np.hstack([np.ones((len(x), 1)), x])

    def loss(beta):
        z = offset + design @ beta
        p = 1 / (1 + np.exp(-z))
        value = np.sum(weight * (np.logaddexp(0, z) - y * z)) + PENALTY * beta @ beta
        grad = design.T @ (weight * (p - y)) + 2 * PENALTY * beta
        return value, grad

    result = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B")
    return result.x


def _predict(beta: np.ndarray, x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    z = offset + beta[0] + x @ beta[1:]
    return 1 / (1 + np.exp(-z))


def _cut(probabilities: np.ndarray, positive: np.ndarray) -> float:
    """Return the cut with the best F1 (ties: the one nearest 0.5)."""
    best, best_f1 = 0.5, -1.0
    for cut in sorted(CUTS, key=lambda c: abs(c - 0.5)):
        predicted = probabilities >= cut
        tp = int((predicted & positive).sum())
        f1 = 2 * tp / (predicted.sum() + positive.sum()) if tp else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(cut), f1
    return best


class EvidenceModel:
    """Per-theme offset logistic regressions on evidence features, with their cuts."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self.models_: dict[int, tuple[np.ndarray, float]] = {}

    def fit(self, features: np.ndarray, prior: np.ndarray, examples) -> EvidenceModel:
        self.models_ = {}
        if not len(examples):
            return self
        for c, key in enumerate(self.keys):
            positive = np.array([key in e.labels for e in examples])
            rejected = np.array([key in e.rejected for e in examples]) & ~positive
            if positive.sum() < MIN_CODED or (~positive).sum() < MIN_CODED:
                continue
            x, offset = features[:, c, :], _logit(prior[:, c])
            weight = np.where(rejected, REJECTED_WEIGHT, 1.0)
            y = positive.astype(np.float64)
            beta = _fit_offset(x, y, offset, weight)
            # Out-of-fold predictions for the cut (folds by position, deterministic).
            fold = np.arange(len(y)) % FOLDS
            oof = np.zeros(len(y))
            for f in range(min(FOLDS, len(y))):
                test = fold == f
                b = _fit_offset(x[~test], y[~test], offset[~test], weight[~test])
                oof[test] = _predict(b, x[test], offset[test])
            n = int(positive.sum())
            cut = 0.5 + (_cut(oof, positive) - 0.5) * n / (n + CUT_HALF)
            self.models_[c] = (beta, cut)
        return self

    def predict(self, features: np.ndarray, prior: np.ndarray) -> np.ndarray:
        """Return scores (passages × themes), each theme's cut mapped onto 0.5."""
        scores = np.array(prior, dtype=np.float64, copy=True)
        for c, (beta, cut) in self.models_.items():
            p = _predict(beta, features[:, c, :], _logit(prior[:, c]))
            scores[:, c] = np.where(p < cut, 0.5 * p / cut, 0.5 + 0.5 * (p - cut) / (1 - cut))
        return scores
