"""Learned-regime variants on cached features: learning curves on the dev sets, fast.

    python bench/analysis_learning.py [--data FILE ...] [--repeats 3] [--variants a b ...]

Same folds and draws as bench/analysis_quality.py (group folds, N coded passages drawn
from the other folds, one language version per group, any language), but every
passage's zero-shot points and concepts are computed once, so a variant of the learned
model is a function of arrays and a whole curve takes seconds. For development only:
the dev sets (themes_dev, report_dev, spoken_dev2); never run it on an eval set.
`bench/learned_representations.py` reuses this cache and these draws for main's learned
regime itself (`LearnedThemes`) and for representations beyond word lists (LSA/NMF of
the study, word vectors, kNN and label propagation), with paired differences per draw.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_quality import CURVE, SEED, group_folds, load, scores  # noqa: E402

from analysis import default_codebook, prepare_many  # noqa: E402
from analysis.concepts import ConceptFinder, load_concepts  # noqa: E402
from analysis.nlp import PreparedText  # noqa: E402
from analysis.scoring import calibrate  # noqa: E402
from analysis.zeroshot import (  # noqa: E402
    SUGGEST_AT,
    ZeroShot,
    passage_length,
    score_from_points,
)

DEV = ("themes_dev.jsonl", "report_dev.jsonl", "spoken_dev2.jsonl")


def cache(rows, keys):
    """Return prepared passages, zero-shot points and passage features."""
    prepared = prepare_many([row["text"] for row in rows])
    zero = ZeroShot(default_codebook())
    points = []
    for p in prepared:
        found = zero.matches(p)
        row = zero.suggestion_points(found, passage_length(p))
        points.append([row[k] for k in keys])
    points = np.array(points)
    features = PassageFeatures().transform(prepared, points)
    return prepared, points, features


def draws(rows, fold_of, folds, size, repeat):
    rng = np.random.default_rng(SEED + 1000 * repeat + size)
    for fold in range(folds):
        by_group: dict = {}
        for i in range(len(rows)):
            if fold_of[i] != fold:
                by_group.setdefault(rows[i].get("group", rows[i]["id"]), []).append(i)
        groups = sorted(by_group, key=str)
        chosen = rng.permutation(len(groups))[:size]
        train = [int(rng.choice(by_group[groups[g]])) for g in chosen]
        test = [i for i in range(len(rows)) if fold_of[i] == fold]
        yield train, test


class _Ex:
    def __init__(self, labels):
        self.labels = labels
        self.rejected = frozenset()


def run_variant(name, rows, points, features, labels, fold_of, keys, repeats, options):
    out = []
    for size in (0, *CURVE):
        macros, per = [], []
        for repeat in range(repeats if size else 1):
            pred = [set() for _ in rows]
            for train, test in draws(rows, fold_of, 5, max(size, 1), repeat):
                if size == 0:
                    train = []
                examples = [_Ex(labels[i]) for i in train]
                scales = calibrate(points[train], examples, keys, SUGGEST_AT)
                prior_train = score_from_points(points[train] * scales)
                prior_test = score_from_points(points[test] * scales)
                model = ThemeModels(keys, **options).fit(
                    features[train], prior_train, [labels[i] for i in train]
                )
                scored, cut = model.predict(features[test], prior_test)
                for j, i in enumerate(test):
                    pred[i] = {k for c, k in enumerate(keys) if scored[j, c] >= cut[c]}
            table = scores(pred, labels, keys)
            macros.append(table["macro"])
            per.append(table["suggested"])
        # The range over draws: differences between variants below it are not readable.
        spread = f"±{(max(macros) - min(macros)) / 2:.3f}" if len(macros) > 1 else ""
        out.append(f"{np.mean(macros):.3f}{spread}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", nargs="+", default=[str(ROOT / "bench/data" / f) for f in DEV])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", nargs="*", default=["base"])
    args = parser.parse_args()
    keys = [theme.key for theme in default_codebook()]
    variants = {name: VARIANTS[name] for name in args.variants}
    results: dict = {}
    for path in args.data:
        if "_eval" in Path(path).name:
            parser.error(f"{path}: eval sets are for the final run only (analysis_quality.py)")
        rows = load(Path(path))
        labels = [frozenset(row["labels"]) for row in rows]
        fold_of = group_folds(rows, keys, 5, SEED)
        _, points, features = cache(rows, keys)
        for name, options in variants.items():
            vals = run_variant(
                name, rows, points, features, labels, fold_of, keys, args.repeats, options
            )
            print(f"{Path(path).stem:<12} {name:<14} {' '.join(vals)}", flush=True)
            results.setdefault(name, []).append((Path(path).stem, vals))
    print("variant / set: zero-shot, " + ", ".join(str(c) for c in CURVE) + " (± half range)")
    for name, cells in results.items():
        line = "  ".join(f"{stem}: {' '.join(vals)}" for stem, vals in cells)
        print(f"{name:<14} {line}")


class PassageFeatures:
    """Language-independent features of passages: concept presence."""

    def __init__(self) -> None:
        self.concepts = list(load_concepts())
        self._column = {key: i for i, key in enumerate(self.concepts)}
        self._finder = ConceptFinder()

    def transform(self, prepared: Sequence[PreparedText], points=None) -> np.ndarray:
        matrix = np.zeros((len(prepared), len(self.concepts)), dtype=np.float64)
        for row, passage in enumerate(prepared):
            for key in self._finder.find(passage):
                matrix[row, self._column[key]] = 1.0
        return matrix


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


class ThemeModels:
    """Per-theme models over the calibrated prior and concepts (options: see VARIANTS).

    kind "none": the calibrated prior alone; "lr": logistic regression on the prior's
    logits (every theme) and concept presence, blended with the prior by n / (n + half);
    "nb": the prior's logit shifted by smoothed concept log-odds. cut "cv": per-theme
    cut-offs chosen by 5-fold cross-validation inside the codings, shrunk towards 0.5.
    """

    def __init__(
        self,
        keys,
        *,
        kind="none",
        C=1.0,
        half=20.0,
        min_pos=3,
        cut="none",
        cut_shrink=5.0,
        min_df=2,
        prior_scale=1.0,
        alpha=1.0,
        smooth=1.0,
        balanced=True,
        concepts=True,
    ):
        self.keys = list(keys)
        self.kind, self.C, self.half, self.min_pos = kind, C, half, min_pos
        self.cut_mode, self.cut_shrink, self.min_df = cut, cut_shrink, min_df
        self.prior_scale, self.alpha, self.smooth = prior_scale, alpha, smooth
        self.balanced, self.use_concepts = balanced, concepts

    def fit(self, concepts, prior, labels):
        self.cuts_ = np.full(len(self.keys), 0.5)
        self.models_ = {}
        n = len(labels)
        if n == 0 or self.kind == "none":
            if self.cut_mode != "none" and n:
                self._fit_cuts(concepts, prior, labels)
            return self
        self.columns_ = np.flatnonzero(concepts.sum(axis=0) >= self.min_df) if n else []
        for c, key in enumerate(self.keys):
            y = np.array([key in lab for lab in labels])
            if y.sum() < self.min_pos or (~y).sum() < 5:
                continue
            self.models_[key] = (self._fit_one(concepts, prior, y, c), min(y.sum(), (~y).sum()))
        if self.cut_mode != "none":
            self._fit_cuts(concepts, prior, labels)
        return self

    def _x(self, concepts, prior):
        x = _logit(prior) * self.prior_scale
        if self.use_concepts:
            x = np.hstack([x, concepts[:, self.columns_]])
        return x

    def _fit_one(self, concepts, prior, y, c):
        if self.kind == "lr":
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(
                C=self.C, class_weight="balanced" if self.balanced else None, max_iter=1000
            ).fit(self._x(concepts, prior), y.astype(int))
        if self.kind == "nb":
            x = concepts[:, self.columns_] > 0
            pos, neg = x[y].sum(axis=0), x[~y].sum(axis=0)
            npos, nneg = y.sum(), (~y).sum()
            a = self.smooth
            weights = np.log((pos + a) / (npos + 2 * a)) - np.log((neg + a) / (nneg + 2 * a))
            return weights
        raise ValueError(self.kind)

    def _score_one(self, model, concepts, prior, c, n):
        base = prior[:, c]
        if self.kind == "lr":
            learned = model.predict_proba(self._x(concepts, prior))[:, 1]
            w = n / (n + self.half)
            return w * learned + (1 - w) * base
        x = concepts[:, self.columns_] > 0
        shift = self.alpha * (x @ model) * (n / (n + self.half))
        return 1 / (1 + np.exp(-(_logit(base) + shift)))

    def scores(self, concepts, prior):
        out = np.array(prior, dtype=np.float64, copy=True)
        for c, key in enumerate(self.keys):
            if key in self.models_:
                model, n = self.models_[key]
                out[:, c] = self._score_one(model, concepts, prior, c, n)
        return out

    def _fit_cuts(self, concepts, prior, labels):
        """Choose per-theme cuts by cross-validation inside the training codings."""
        n = len(labels)
        folds = min(5, n)
        order = np.arange(n) % folds
        oof = np.array(prior, dtype=np.float64, copy=True)
        for f in range(folds):
            tr, te = np.flatnonzero(order != f), np.flatnonzero(order == f)
            if self.kind == "none":
                continue
            inner = ThemeModels(self.keys, **self._options(cut="none")).fit(
                concepts[tr], prior[tr], [labels[i] for i in tr]
            )
            oof[te] = inner.scores(concepts[te], prior[te])
        grid = np.linspace(0.2, 0.8, 25)
        for c, key in enumerate(self.keys):
            y = np.array([key in lab for lab in labels])
            npos = int(y.sum())
            if npos == 0:
                continue
            f1 = [2 * ((oof[:, c] >= t) & y).sum() / ((oof[:, c] >= t).sum() + npos) for t in grid]
            best = float(grid[int(np.argmax(f1))])
            w = npos / (npos + self.cut_shrink)
            self.cuts_[c] = 0.5 + w * (best - 0.5)

    def _options(self, **change):
        options = dict(
            kind=self.kind,
            C=self.C,
            half=self.half,
            min_pos=self.min_pos,
            cut=self.cut_mode,
            cut_shrink=self.cut_shrink,
            min_df=self.min_df,
            prior_scale=self.prior_scale,
            alpha=self.alpha,
            smooth=self.smooth,
            balanced=self.balanced,
            concepts=self.use_concepts,
        )
        options.update(change)
        return options

    def predict(self, concepts, prior):
        return self.scores(concepts, prior), self.cuts_


VARIANTS: dict[str, dict] = {
    "base": dict(),
    "cut": dict(cut="cv"),
    "lr1": dict(kind="lr", C=1.0),
    "lr1cut": dict(kind="lr", C=1.0, cut="cv"),
    "lr01": dict(kind="lr", C=0.1),
    "lr10": dict(kind="lr", C=10.0),
    "lr1h5": dict(kind="lr", C=1.0, half=5),
    "nb": dict(kind="nb"),
    "nbcut": dict(kind="nb", cut="cv"),
    "nb05": dict(kind="nb", alpha=0.5),
    "nbh5": dict(kind="nb", half=5),
    "platt": dict(kind="lr", prior_scale=3, C=0.1, half=0, balanced=False, concepts=False),
    "plattb": dict(kind="lr", prior_scale=3, C=0.1, half=0, concepts=False),
    "plattc": dict(kind="lr", prior_scale=3, C=0.1, half=0, balanced=False),
    "plattbc": dict(kind="lr", prior_scale=3, C=0.1, half=0),
    "plattbc3": dict(kind="lr", prior_scale=3, C=0.3, half=0),
    "plattbcut": dict(kind="lr", prior_scale=3, C=0.1, half=0, balanced=False, cut="cv"),
    "lrb20": dict(kind="lr", prior_scale=3, C=0.1),
}

if __name__ == "__main__":
    main()
