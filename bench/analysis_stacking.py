"""Leave-one-set-out test of a learned cut-off over the zero-shot evidence (issue 13).

    python bench/analysis_stacking.py [--data FILE ...]

Question: would a per-theme model over language-independent evidence features, fitted on
the other labelled sets, cut better than the zero-shot rule (`suggestion_points` >=
`SUGGEST_AT`) on a set it never saw? Features per passage and theme: the suggestion
points (and their log), strong, context and negative evidence, distinct strong and all
terms, the heaviest term, the passage length (log), the share and number of sentences
with evidence, where the first evidence stands, the best rival theme, the theme's share
of the top theme and of all evidence, and the rule's own decision. For each set, a
logistic regression per theme (standardised features, each training set weighted
equally unless `unbalanced`) is fitted on every other set and cuts at a probability.
Prints macro-F1 per set (all languages), the mean over sets and the lowest language per
set. Held-out files (`*_eval*`) are refused, as in `analysis_zeroshot.py`.
"""

from __future__ import annotations

import argparse
import bisect
import math
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_zeroshot import default_files, load  # noqa: E402

from analysis import default_codebook, prepare_many  # noqa: E402
from analysis.zeroshot import (  # noqa: E402
    REPEAT_BONUS,
    STRONG,
    SUGGEST_AT,
    ZeroShot,
    passage_length,
)

DECISION = 15  # column of the rule's own decision
# name: (feature columns, C, weight sets equally, probability cut)
VARIANTS = {
    "all": (list(range(16)), 1.0, True, 0.5),
    "all C0.1": (list(range(16)), 0.1, True, 0.5),
    "all unbalanced": (list(range(16)), 1.0, False, 0.5),
    "all cut 0.45": (list(range(16)), 1.0, True, 0.45),
    "points only": ([0, 1], 1.0, True, 0.5),
    "points, evidence, length": ([0, 1, 2, 3, 8], 1.0, True, 0.5),
}


def features(zero_shot: ZeroShot, prepared) -> dict[str, list[float]]:
    """Return the feature row of every theme for one passage."""
    matches = zero_shot.matches(prepared)
    length = passage_length(prepared)
    points = zero_shot.suggestion_points(matches, length)
    evidence = zero_shot.evidence_points(matches)
    keys = zero_shot.keys
    per = {k: {"strong": 0.0, "context": 0.0, "neg": 0.0, "distinct_strong": set(),
               "distinct": set(), "heaviest": 0.0, "sentences": set(), "first": 1.0}
           for k in keys}  # fmt: skip
    seen: dict[tuple[str, str], int] = {}
    for match in matches:
        term = match.term
        row = per[term.theme]
        count = seen.get((term.theme, term.source), 0) + 1
        seen[(term.theme, term.source)] = count
        if count > 3 or term.weight == 0:
            continue
        weight = term.weight if count == 1 else REPEAT_BONUS * term.weight
        if term.weight < 0:
            row["neg"] -= weight
            continue
        row["strong" if term.weight >= STRONG else "context"] += weight
        if term.weight >= STRONG:
            row["distinct_strong"].add(term.source)
        row["distinct"].add(term.source)
        row["heaviest"] = max(row["heaviest"], term.weight)
        row["sentences"].add(bisect.bisect_right(prepared.sentence_starts, match.first))
        row["first"] = min(row["first"], match.first / max(1, len(prepared)))
    top, total = max(points.values()), sum(evidence.values())
    sentences = max(1, len(prepared.sentence_starts))
    out = {}
    for key in keys:
        row = per[key]
        rival = max([points[other] for other in keys if other != key] or [0.0])
        out[key] = [
            points[key], math.log1p(points[key]), row["strong"], row["context"], row["neg"],
            len(row["distinct_strong"]), len(row["distinct"]), row["heaviest"],
            math.log1p(length), len(row["sentences"]) / sentences, len(row["sentences"]),
            row["first"], rival, points[key] / (top + 1e-9), evidence[key] / (total + 1e-9),
            float(points[key] >= SUGGEST_AT),
        ]  # fmt: skip
    return out


def macro_f1(pred: list[set[str]], gold: list[set[str]], keys: list[str]) -> float:
    scores = []
    for key in keys:
        tp = sum(key in p and key in g for p, g in zip(pred, gold, strict=True))
        fp = sum(key in p and key not in g for p, g in zip(pred, gold, strict=True))
        fn = sum(key not in p and key in g for p, g in zip(pred, gold, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def scores(sets: dict, predictions: dict, keys: list[str]) -> dict[str, tuple[float, float]]:
    """Return per set (macro-F1, lowest macro-F1 of a language)."""
    out = {}
    for name, (rows, _) in sets.items():
        pred = predictions[name]
        gold = [set(row["labels"]) for row in rows]
        per_lang = []
        for lang in ("nl", "fr", "en"):
            idx = [i for i, row in enumerate(rows) if row["lang"] == lang]
            if idx:
                per_lang.append(macro_f1([pred[i] for i in idx], [gold[i] for i in idx], keys))
        out[name] = (macro_f1(pred, gold, keys), min(per_lang))
    return out


def stacked(sets: dict, keys: list[str], columns, c, balanced, cut) -> dict[str, list[set[str]]]:
    """Return per set the predictions of models fitted on every other set."""

    def matrix(name, key):
        return np.array([[row[key][j] for j in columns] for row in sets[name][1]])

    def target(name, key):
        return np.array([key in row["labels"] for row in sets[name][0]], dtype=int)

    out = {}
    for held in sets:
        train = [name for name in sets if name != held]
        pred = [set() for _ in sets[held][0]]
        for key in keys:
            x = np.vstack([matrix(name, key) for name in train])
            y = np.concatenate([target(name, key) for name in train])
            w = np.concatenate(
                [np.full(len(sets[n][0]), 1 / len(sets[n][0]) if balanced else 1.0) for n in train]
            )
            scaler = StandardScaler().fit(x)
            model = LogisticRegression(C=c, max_iter=2000)
            model.fit(scaler.transform(x), y, sample_weight=w / w.mean())
            proba = model.predict_proba(scaler.transform(matrix(held, key)))[:, 1]
            for i in np.flatnonzero(proba >= cut):
                pred[i].add(key)
        out[held] = pred
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", type=Path, default=default_files())
    args = parser.parse_args()
    if any("_eval" in path.name for path in args.data):
        sys.exit("held-out files are for bench/analysis_quality.py, run once")
    zero_shot = ZeroShot(default_codebook())
    keys = zero_shot.keys
    sets = {}
    for path in args.data:
        rows = load(path)
        prepared = prepare_many([row["text"] for row in rows], [row["lang"] for row in rows])
        sets[path.stem] = (rows, [features(zero_shot, p) for p in prepared])
    names = list(sets)
    print(f"{'':26s}" + "".join(f"{name[:12]:>13s}" for name in names) + "     mean")
    rule = {n: [{k for k in keys if f[k][DECISION]} for f in sets[n][1]] for n in names}
    runs = {"zero-shot rule": scores(sets, rule, keys)}
    for label, (columns, c, balanced, cut) in VARIANTS.items():
        runs[label] = scores(sets, stacked(sets, keys, columns, c, balanced, cut), keys)
    for label, result in runs.items():
        cells = "".join(f"{result[n][0]:>8.3f} ({result[n][1]:.2f})" for n in names)
        print(f"{label:26s}{cells}  {np.mean([result[n][0] for n in names]):.4f}")
    print("cells: macro-F1 of all languages (lowest language)")


if __name__ == "__main__":
    main()
