"""A theme sweep that learns: rank passages for one theme, learn from each decision.

A facilitator reviews the passages of a study for one theme, one at a time, and
accepts or rejects each. `ThemeSweep` ranks the passages not reviewed yet:

- features per passage (`sweep_items`, computed once per text and cached by the
  caller): the zero-shot evidence points of every theme of the codebook (language-
  independent) and the passage's content lemmas and lemma bigrams, hashed (so each
  passage's row is fixed and needs no vocabulary fitted over the study);
- the score starts as the theme's zero-shot score, the one suggestions start from
  (`ThemeSuggester.zero_shot_scores`: the lexicon's points, raised and lowered by the
  shipped prior for a default theme: 17 % fewer reviews to find 80 % of a theme in
  that order than by the lexicon's evidence alone, BENCHMARKS.md "Session 12"); once
  there is at least one accepted and one rejected passage, a logistic regression
  over those features is blended in: `w * learned + (1 - w) * prior` with
  `w = n / (n + blend_half)`, n the smaller of the two counts (warm start: the
  prior rules until the decisions outnumber it);
- `probabilities_` map scores to the chance that a passage belongs to the theme
  (a one-feature logistic calibration on the reviewed passages, once there are
  `CALIBRATE_FROM` of each kind; the raw scores before), and `expected_remaining`
  sums them over the passages not reviewed;
- `ranking` puts the top-scored passages first; after `warmup` decisions, once
  the best remaining passage is less likely than `unsure_below`, every
  `explore_every`-th place goes to the passage the model is least sure about
  (probability nearest 0.5): uncertainty sampling mixed with the top of the list.
  Exploring earlier, on a fixed schedule, cost 5-15 % more reviews to find 80 % of
  a theme on the dev sets; while the top is likely, reviewing it teaches as much.

Evidence for the highlights is cleaned: positive terms only, no span made only of
stop words, no span twice, and `evidence_terms` lists each wording once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.codebook import ThemeSpec
from analysis.errors import AnalysisError
from analysis.features import lemma_ngrams
from analysis.nlp import PreparedText
from analysis.suggest import ThemeSuggester

HASH_FEATURES = 2**18
WARMUP = 4
EXPLORE_EVERY = 3
# Decisions (each kind) at which learned and zero-shot weigh the same: 24 since the sweep
# starts from the suggestions' score (6 before; BENCHMARKS.md, "Session 12").
BLEND_HALF = 24
C = 1.0
UNSURE_BELOW = 0.5  # explore once the best remaining passage is less likely than this
CALIBRATE_FROM = 3  # accepted and rejected passages each, before calibrating
EVIDENCE_SCALE = 3.0  # weight of the evidence-point columns next to the hashed lemmas


@dataclass(frozen=True)
class SweepItem:
    """One passage's sweep features: evidence per theme, lemma n-grams, clean spans.

    `points[i]` is the evidence for `keys[i]` of the codebook it was computed with;
    `scores[i]` the zero-shot score of that theme, as suggestions start from
    (`ThemeSuggester.zero_shot_scores`: the lexicon and, for a default theme, the
    shipped prior); `spans[key]` are (start, end) code-point offsets of that theme's
    evidence.
    """

    id: Hashable
    points: tuple[float, ...]
    ngrams: tuple[str, ...]
    spans: Mapping[str, tuple[tuple[int, int], ...]]
    scores: tuple[float, ...]


Spans = tuple[tuple[int, int], ...]


def clean_spans(prepared: PreparedText, matches: Iterable) -> dict[str, Spans]:
    """Return per theme the evidence spans: positive terms, not only stop words, each once."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for match in matches:
        if match.term.weight <= 0:
            continue  # counter-evidence lowers a score but explains nothing
        if all(prepared.stop[match.first : match.last + 1]):
            continue  # "vous", "à sa": nothing a reader would call evidence
        found = spans.setdefault(match.term.theme, [])
        if (match.start, match.end) not in found:
            found.append((match.start, match.end))
    return {key: tuple(sorted(value)) for key, value in spans.items()}


def sweep_items(
    codebook: Sequence[ThemeSpec], items: Sequence[tuple[Hashable, PreparedText]]
) -> list[SweepItem]:
    """Compute the sweep features of (id, PreparedText) items for a codebook."""
    if not codebook:
        raise AnalysisError("the codebook has no themes")
    suggester = ThemeSuggester(codebook).fit()
    zero_shot = suggester.zero_shot_
    keys = [theme.key for theme in codebook]
    scores = suggester.zero_shot_scores([prepared for _, prepared in items]).tolist()
    result = []
    for (item_id, prepared), row in zip(items, scores, strict=True):
        matches = zero_shot.matches(prepared)
        points = zero_shot.evidence_points(matches)
        result.append(
            SweepItem(
                id=item_id,
                points=tuple(float(points[key]) for key in keys),
                ngrams=tuple(lemma_ngrams(prepared)),
                spans=clean_spans(prepared, matches),
                scores=tuple(row),
            )
        )
    return result


def evidence_terms(text: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """Return the evidence wordings of a passage, each once (ignoring case), in text order."""
    seen: dict[str, str] = {}
    for start, end in spans:
        wording = " ".join(text[start:end].split())
        seen.setdefault(wording.casefold(), wording)
    return list(seen.values())


@dataclass(frozen=True)
class SweepMatrix:
    """The features of a study's passages for one theme, ready for `ThemeSweep.fit`."""

    ids: tuple[Hashable, ...]
    features: object  # scipy.sparse CSR, passages × (hashed lemmas + evidence columns)
    prior: np.ndarray  # zero-shot score of the theme per passage

    def __len__(self) -> int:
        return len(self.ids)


def sweep_matrix(items: Sequence[SweepItem], keys: Sequence[str], theme: str) -> SweepMatrix:
    """Stack the items' features for `theme` (one of `keys`, the codebook's order)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer

    if theme not in keys:
        raise AnalysisError(f"theme {theme!r} is not in the codebook")
    column = list(keys).index(theme)
    points = np.array([item.points for item in items], dtype=np.float64).reshape(
        len(items), len(keys)
    )
    hasher = HashingVectorizer(
        n_features=HASH_FEATURES,
        analyzer=_identity,
        alternate_sign=False,
        norm="l2",
        dtype=np.float32,
    )
    lemmas = hasher.transform([item.ngrams for item in items]).tocsc()
    # Only n-grams shared by two passages or more can carry a decision over to another
    # passage; dropping the rest (and the empty hash buckets) keeps each fit small.
    shared = np.flatnonzero(np.diff(lemmas.indptr) >= 2)
    lemmas = lemmas[:, shared]
    # The theme's own evidence twice: alone, and as its share of all evidence, so the
    # model can learn "this theme rather than another" (themes compete in a passage).
    own = points[:, column]
    share = own / np.maximum(points.sum(axis=1), 1e-9)
    evidence = np.column_stack([np.log1p(points), np.log1p(own), share]) * EVIDENCE_SCALE
    features = sparse.hstack([lemmas, sparse.csr_matrix(evidence.astype(np.float32))]).tocsr()
    prior = np.array([item.scores[column] for item in items], dtype=np.float64)
    return SweepMatrix(tuple(item.id for item in items), features, prior)


def _identity(features):
    return features


@dataclass(frozen=True)
class Ranked:
    """A passage's place in the sweep: its score, probability and why it is there."""

    id: Hashable
    score: float
    probability: float
    reason: str  # "top" (highest score) or "uncertain" (the model is least sure)


class ThemeSweep:
    """Rank a study's passages for one theme and learn from accept/reject decisions."""

    def __init__(
        self,
        *,
        warmup: int = WARMUP,
        explore_every: int = EXPLORE_EVERY,
        blend_half: float = BLEND_HALF,
        C: float = C,  # noqa: N803  (scikit-learn's name)
        unsure_below: float = UNSURE_BELOW,
    ) -> None:
        self.warmup = warmup
        self.explore_every = explore_every
        self.blend_half = blend_half
        self.C = C
        self.unsure_below = unsure_below

    def fit(self, matrix: SweepMatrix, decisions: Mapping[Hashable, bool]) -> ThemeSweep:
        """Learn from the decisions (passage id → accepted) and score every passage."""
        self.ids_ = matrix.ids
        index = {item_id: row for row, item_id in enumerate(matrix.ids)}
        rows = np.array([index[i] for i in decisions if i in index], dtype=np.intp)
        labels = np.array([bool(decisions[i]) for i in decisions if i in index], dtype=bool)
        self.reviewed_ = frozenset(matrix.ids[row] for row in rows)
        self.n_accepted_, self.n_rejected_ = int(labels.sum()), int((~labels).sum())
        scores = np.array(matrix.prior, dtype=np.float64, copy=True)
        self.weight_ = 0.0
        self.model_ = None
        if self.n_accepted_ and self.n_rejected_:
            from sklearn.linear_model import LogisticRegression
            from threadpoolctl import threadpool_limits

            # Fit over the columns the reviewed passages use: the others would get a
            # zero weight anyway, and lbfgs costs time per column.
            reviewed = matrix.features[rows].tocsc()
            self.columns_ = np.flatnonzero(np.diff(reviewed.indptr))
            with threadpool_limits(limits=1):
                self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=500)
                self.model_.fit(reviewed[:, self.columns_].tocsr(), labels.astype(int))
                learned = self.model_.predict_proba(matrix.features[:, self.columns_])[:, 1]
            n = min(self.n_accepted_, self.n_rejected_)
            self.weight_ = n / (n + self.blend_half)
            scores = self.weight_ * learned + (1 - self.weight_) * scores
        self.scores_ = scores
        self.probabilities_ = self._calibrate(scores, rows, labels)
        return self

    def _calibrate(self, scores: np.ndarray, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Map scores to probabilities with the reviewed passages (Platt scaling)."""
        if min(self.n_accepted_, self.n_rejected_) < CALIBRATE_FROM:
            return scores.copy()  # one rejection among accepts would say "all positive"
        logit = _logit(scores)
        slope, intercept = _platt(logit[rows], labels.astype(np.float64))
        return 1.0 / (1.0 + np.exp(-(slope * logit + intercept)))

    def expected_remaining(self, exclude: Iterable[Hashable] = ()) -> float:
        """Return the expected number of theme passages among those not reviewed."""
        skip = self.reviewed_ | frozenset(exclude)
        pairs = zip(self.ids_, self.probabilities_, strict=True)
        return float(sum(p for item_id, p in pairs if item_id not in skip))

    def ranking(self, exclude: Iterable[Hashable] = (), limit: int | None = None) -> list[Ranked]:
        """Return the passages not reviewed (nor excluded), in the order to review them."""
        skip = self.reviewed_ | frozenset(exclude)
        open_rows = [row for row, item_id in enumerate(self.ids_) if item_id not in skip]
        # Highest score first; ties in input order, so the ranking is deterministic.
        top = sorted(open_rows, key=lambda row: (-self.scores_[row], row))
        # Explore only once the model is unsure even of its best remaining passage:
        # while the top of the list is likely to be the theme, reviewing it is best.
        exploring = (
            self.model_ is not None
            and len(self.reviewed_) >= self.warmup
            and bool(top)
            and self.probabilities_[top[0]] < self.unsure_below
        )
        unsure = (
            sorted(open_rows, key=lambda row: (abs(self.probabilities_[row] - 0.5), row))
            if exploring
            else []
        )
        wanted = len(open_rows) if limit is None else min(limit, len(open_rows))
        order: list[Ranked] = []
        taken: set[int] = set()
        tops, unsures = iter(top), iter(unsure)
        done = len(self.reviewed_)
        while len(order) < wanted:
            place = done + len(order)
            explore = exploring and place % self.explore_every == self.explore_every - 1
            source, reason = (unsures, "uncertain") if explore else (tops, "top")
            row = next((r for r in source if r not in taken), None)
            if row is None:
                row, reason = next(r for r in top if r not in taken), "top"
            taken.add(row)
            order.append(
                Ranked(
                    self.ids_[row],
                    float(self.scores_[row]),
                    float(self.probabilities_[row]),
                    reason,
                )
            )
        return order


def _platt(x: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple[float, float]:
    """Fit p = sigmoid(a * x + b) by Newton's method, a pulled towards 1 and b towards 0.

    Two parameters only, so a few Newton steps in numpy beat a general solver; the
    ridge keeps a handful of reviewed passages from giving an absurd slope.
    """
    a, b = 1.0, 0.0
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = p * (1 - p)
        grad = np.array([np.dot(p - y, x) + ridge * (a - 1.0), np.sum(p - y) + ridge * b])
        hess = np.array(
            [[np.dot(w, x * x) + ridge, np.dot(w, x)], [np.dot(w, x), np.sum(w) + ridge]]
        )
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-6:
            break
    return float(a), float(b)


def _logit(values: np.ndarray) -> np.ndarray:
    clipped = np.clip(values, 1e-4, 1 - 1e-4)
    return np.log(clipped / (1 - clipped))
