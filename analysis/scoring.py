"""The learned half of theme suggestions, and the preparation of batches of passages.

See `analysis.suggest` for the rules; this module holds the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from contextlib import nullcontext

import numpy as np

from analysis.errors import AnalysisError
from analysis.features import identity, lemma_ngrams
from analysis.nlp import PreparedText, prepare_many
from analysis.prior import features
from analysis.spoken import fluent_words

Progress = Callable[[float], None]
EXAMPLE_TEXT = str | PreparedText

MIN_POSITIVES = 5  # a rare theme is learned early (8 kept dependency zero-shot for long)
MIN_NEGATIVES = 5
REJECTED_WEIGHT = 2.0
BLEND_HALF = 40  # examples at which learned and zero-shot weigh the same (of 10/20/40/80)
CALIBRATE_FROM = 20  # coded passages before per-theme cut-offs are calibrated
SCALES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0)
SHRINK = 0.05  # F1 a scale must gain per unit of |log2 scale| to move off 1
ZERO_SHOT_SCALE = 1.0  # weight of the zero-shot evidence columns next to TF-IDF
C = 16.0  # inverse regularisation of a regression from nothing (dev CV: 1 < 4 < 16)
# Inverse regularisation of a regression around the prior's logit (`_OffsetLogistic`):
# it starts from the prior, so it needs fewer free words than one from nothing. Leave
# one set out over fifteen dev sets, learned 5-fold: 16 0.7845, 8 0.7889, 4 0.7915, 2
# 0.7929, 1 0.7935, 0.25 0.7945; 2 loses least on any set (BENCHMARKS.md, "Session 13").
OFFSET_C = 2.0
MEMORY_POWER = 3  # similarity ** 3: only near-duplicates of coded examples move a score
SIMILAR_TOP = 3
CHUNK = 512  # passages prepared between two progress reports
SMALL = 5_000  # below this many rows, BLAS runs single-threaded (faster on 2 cores)


def report(progress: Progress | None, low: float, high: float) -> Progress | None:
    """Return a callback mapping 0..1 onto low..high of `progress`, or None."""
    if progress is None:
        return None
    return lambda fraction: progress(low + (high - low) * min(max(fraction, 0.0), 1.0))


def prepare_items(
    items: Sequence[tuple[Hashable, EXAMPLE_TEXT]], language: str, progress: Progress | None
) -> list[PreparedText]:
    """Return a PreparedText per item, lemmatising the plain strings in batches."""
    prepared: list[PreparedText | None] = []
    pending: list[int] = []
    for position, item in enumerate(items):
        text = item[1]
        if isinstance(text, PreparedText):
            prepared.append(text)
        elif isinstance(text, str):
            prepared.append(None)
            pending.append(position)
        else:
            raise AnalysisError(f"item {item[0]!r}: text must be a string or a PreparedText")
    for begin in range(0, len(pending), CHUNK):
        chunk = pending[begin : begin + CHUNK]
        texts = [items[i][1] for i in chunk]
        for i, result in zip(chunk, prepare_many(texts, [language] * len(chunk)), strict=True):
            prepared[i] = result
        if progress is not None:
            progress((begin + len(chunk)) / len(pending))
    return prepared  # type: ignore[return-value]


def threads_for(rows: int):
    """Limit BLAS to one thread for small inputs, where threading costs more than it gives."""
    if rows >= SMALL:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _ngrams(prepared: PreparedText) -> list[str]:
    """Return `lemma_ngrams(prepared)`, from the prior's kept spans where they are the same.

    Over a passage without fillers or repeats the prior's features (`analysis.prior`) are
    exactly these, already computed for the prior's probabilities; reading them back
    spares building every bigram string again.
    """
    if len(fluent_words(prepared)) == len(prepared):
        return features(prepared)
    return lemma_ngrams(prepared)


def _zero_shot_columns(points: np.ndarray):
    from scipy import sparse

    return sparse.csr_matrix(np.log1p(points) * ZERO_SHOT_SCALE)


def _with_zero_shot(matrix, points: np.ndarray):
    """Return the TF-IDF rows with the zero-shot evidence columns appended (CSR)."""
    from scipy import sparse

    return sparse.hstack([matrix, _zero_shot_columns(points)]).tocsr()


def calibrate(points: np.ndarray, examples, keys: Sequence[str], at: float) -> np.ndarray:
    """Return a point multiplier per theme that best separates the coded examples.

    Zero-shot points of coded passages (any language: the points are language
    independent) against their codes, rejections as negatives; the multiplier
    maximising F1 at the cut `at`, shrunk towards 1 so that a few codings move it
    only when the gain is clear. With fewer than CALIBRATE_FROM codings, all ones.

    Only for a theme the learned regime does not learn yet (fewer than MIN_POSITIVES
    codings or MIN_NEGATIVES passages without it): a learned theme's regression is its
    calibration, and scaling its points too (the features it reads, the zero-shot share
    of its blend) cost 0.007 macro-F1 on average leave one set out, up to 0.06 on
    report prose by other writers (BENCHMARKS.md, "Session 12").
    """
    scales = np.ones(len(keys))
    if len(examples) < CALIBRATE_FROM:
        return scales
    for column, key in enumerate(keys):
        positive = np.array([key in example.labels for example in examples])
        if not positive.any():
            continue
        if positive.sum() >= MIN_POSITIVES and (~positive).sum() >= MIN_NEGATIVES:
            continue  # learned (`LearnedThemes`): its own model is its calibration
        best, best_value = 1.0, -1.0
        for scale in SCALES:
            predicted = points[:, column] * scale >= at
            tp = int((predicted & positive).sum())
            f1 = 2 * tp / (predicted.sum() + positive.sum())
            value = f1 - SHRINK * abs(np.log2(scale))
            if value > best_value + 1e-12:
                best, best_value = scale, value
        scales[column] = best
    return scales


class LearnedThemes:
    """Per-theme logistic regressions, and the coded examples for similarity evidence."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)

    def fit(
        self,
        prepared: Sequence[PreparedText],
        points: np.ndarray,
        examples,
        offsets: np.ndarray | None = None,
    ) -> LearnedThemes:
        """Learn the themes that have enough positive and negative examples.

        `offsets` (passages × themes, NaN where a theme has none) holds the shipped
        prior's logits (`analysis.prior`): a theme with one learns only what the
        study's codings add to it (`_OffsetLogistic`) instead of starting from nothing.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.models_: dict[str, tuple[object, int]] = {}
        self.example_ids_ = [example.id for example in examples]
        self.positives_: dict[str, np.ndarray] = {}
        self.rejected_: dict[str, np.ndarray] = {}
        self.vectorizer_ = None
        if not prepared:
            return self
        self.vectorizer_ = TfidfVectorizer(analyzer=identity, sublinear_tf=True, dtype=np.float32)
        matrix = self.vectorizer_.fit_transform([_ngrams(p) for p in prepared])
        self.example_matrix_ = matrix.T.tocsr()
        features = _with_zero_shot(matrix, points)
        with threads_for(len(prepared)):
            for key in self.keys:
                positive = np.array([key in example.labels for example in examples])
                rejected = np.array([key in example.rejected for example in examples]) & ~positive
                self.positives_[key] = np.flatnonzero(positive)
                self.rejected_[key] = np.flatnonzero(rejected)
                n_pos, n_neg = int(positive.sum()), int((~positive).sum())
                if n_pos < MIN_POSITIVES or n_neg < MIN_NEGATIVES:
                    continue
                weights = np.where(rejected, REJECTED_WEIGHT, 1.0)
                target = positive.astype(int)
                column = self.keys.index(key)
                if offsets is not None and not np.isnan(offsets[:, column]).any():
                    model = _OffsetLogistic().fit(features, target, weights, offsets[:, column])
                else:
                    model = _logistic().fit(features, target, sample_weight=weights)
                self.models_[key] = (model, min(n_pos, n_neg))
        return self

    def predict(
        self,
        prepared: Sequence[PreparedText],
        points: np.ndarray,
        prior: np.ndarray,
        similar_from: float = 0.0,
        offsets: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[dict[str, list[tuple[Hashable, float]]]]]:
        """Return blended scores (passages × themes) and the similar examples per theme.

        Similar examples are listed where a theme scores at least `similar_from`;
        `offsets` as given to `fit`.
        """
        scores = np.array(prior, dtype=np.float64, copy=True)
        similar: list[dict[str, list[tuple[Hashable, float]]]] = [{} for _ in prepared]
        if self.vectorizer_ is None or not prepared:
            return scores, similar
        matrix = self.vectorizer_.transform([_ngrams(p) for p in prepared])
        features = _with_zero_shot(matrix, points)
        with threads_for(len(prepared)):
            for column, key in enumerate(self.keys):
                if key in self.models_:
                    model, n = self.models_[key]
                    if isinstance(model, _OffsetLogistic):
                        if offsets is None:
                            raise ValueError(
                                f"theme {key!r} was learned around the prior's logits:"
                                " predict needs the same offsets as fit"
                            )
                        learned = model.probability(features, offsets[:, column])
                    else:
                        learned = model.predict_proba(features)[:, 1]
                    scores[:, column] = _blend(learned, prior[:, column], n)
            for begin in range(0, len(prepared), CHUNK):
                block = (matrix[begin : begin + CHUNK] @ self.example_matrix_).toarray()
                self._remember(block, scores[begin : begin + CHUNK], similar[begin:], similar_from)
        return np.clip(scores, 0.0, 1.0), similar

    def _remember(
        self, block: np.ndarray, scores: np.ndarray, similar: list, similar_from: float
    ) -> None:
        """Move scores towards near-duplicate coded examples; collect similar evidence."""
        for column, key in enumerate(self.keys):
            positives, rejected = self.positives_[key], self.rejected_[key]
            if len(rejected):
                closest = block[:, rejected].max(axis=1) ** MEMORY_POWER
                scores[:, column] -= scores[:, column] * closest
            if not len(positives):
                continue
            sims = block[:, positives]
            closest = sims.max(axis=1) ** MEMORY_POWER
            scores[:, column] += (1 - scores[:, column]) * closest
            rows = np.flatnonzero(scores[:, column] >= similar_from)
            top = _top_columns(sims[rows], SIMILAR_TOP)
            for position, row in enumerate(rows.tolist()):
                found = [
                    (self.example_ids_[positives[i]], float(sims[row, i]))
                    for i in top[position]
                    if sims[row, i] > 0
                ]
                if found:
                    similar[row][key] = found


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000)


class _OffsetLogistic:
    """A logistic regression around a fixed offset: the shipped prior's logit.

    Fits `sigmoid(offset + features · coef + b)` with the balanced, L2-penalised loss
    of `_logistic` (class weights times sample weights, intercept free) at `OFFSET_C`, so
    with no codings the model is the prior itself and each coding moves it only as far
    as the penalty allows. Measured leave-one-set-out (BENCHMARKS.md, "Session 10"):
    a regression from nothing over a study's first 20-100 codings was on average no
    better than the zero-shot score it is blended with. scikit-learn has no offset
    term, hence L-BFGS on the loss directly (deterministic: it starts from zeros).
    """

    def fit(self, features, target: np.ndarray, weights: np.ndarray, offset: np.ndarray):
        from scipy.optimize import minimize

        y = target.astype(np.float64)
        # Balanced as scikit-learn balances with sample weights: by weighted class totals.
        positives, total = (weights * y).sum(), weights.sum()
        balance = np.where(y > 0, total / (2 * positives), total / (2 * (total - positives)))
        w = weights * balance * OFFSET_C

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            coef, intercept = theta[:-1], theta[-1]
            z = features @ coef + intercept + offset
            residual = w * (_sigmoid(z) - y)
            value = float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * coef @ coef)
            return value, np.concatenate([features.T @ residual + coef, [residual.sum()]])

        start = np.zeros(features.shape[1] + 1)
        found = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
        self.coef_, self.intercept_ = found.x[:-1], float(found.x[-1])
        return self

    def probability(self, features, offset: np.ndarray) -> np.ndarray:
        return _sigmoid(features @ self.coef_ + self.intercept_ + offset)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def _blend(learned: np.ndarray, prior: np.ndarray, n: int) -> np.ndarray:
    weight = n / (n + BLEND_HALF)
    return weight * learned + (1 - weight) * prior


def _top_columns(values: np.ndarray, count: int) -> np.ndarray:
    """Return per row the columns of the `count` largest values, largest first."""
    if values.shape[1] > count:
        part = np.argpartition(-values, count - 1, axis=1)[:, :count]
    else:
        part = np.tile(np.arange(values.shape[1]), (len(values), 1))
    picked = np.take_along_axis(values, part, axis=1)
    # Largest first; equal values in column order, so the result never depends on
    # how argpartition happened to arrange them.
    order = np.lexsort((part, -picked), axis=1)
    return np.take_along_axis(part, order, axis=1)
