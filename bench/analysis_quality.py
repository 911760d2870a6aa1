"""Quality of theme suggestions per register and language: zero-shot, learned, curves.

    python bench/analysis_quality.py [--data FILE [FILE ...]] [--folds 5] [--repeats 3]

Input lines: {"id", "lang", "text", "labels": [theme keys]} labelled with the four
default themes, optionally with "group" (the same passage in several languages: its
translations share a group and are never split between training and test). Each file
is reported on its own (one register per file). Per file and language:
(a) zero-shot: the default codebook alone, on every passage;
(b) learned: `ThemeSuggester` trained on 4 folds, tested on the 5th (iterative
    stratification over the labels of the groups, fixed seed), predictions pooled;
(c) baseline: scikit-learn TfidfVectorizer + one-vs-rest LogisticRegression on the
    same folds (balanced class weights, threshold 0.5);
(d) learning curve: for each test fold, N coded passages (10, 20, 40, 70) drawn from
    the other folds, one language version per group, any language (training pools
    languages, as a bilingual study would), `--repeats` draws; macro-F1 per language.
For every method: precision, recall and F1 per theme, macro-F1, and themes suggested
per passage against themes coded per passage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import Example, ThemeSuggester, default_codebook, prepare_many  # noqa: E402

SEED = 20261128
CURVE = (10, 20, 40, 70)
LANGS = ("all", "nl", "fr", "en")


def load(path: Path) -> list[dict]:
    """Read the labelled passages."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def iterative_folds(labels: list[set[str]], keys: list[str], folds: int, seed: int) -> list[int]:
    """Assign each item to a fold, keeping every label's share even (Sechidis et al.)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    fold_of = [-1] * n
    capacity = np.full(folds, n / folds)
    need = {key: np.full(folds, sum(key in x for x in labels) / folds) for key in keys}
    remaining = set(range(n))
    while remaining:
        counts = {k: sum(1 for i in remaining if k in labels[i]) for k in keys}
        present = [k for k in keys if counts[k] > 0]
        if present:
            key = min(present, key=lambda k: (counts[k], keys.index(k)))
            pool = sorted(i for i in remaining if key in labels[i])
        else:
            key, pool = None, sorted(remaining)
        for i in rng.permutation(pool):
            target = need[key] if key is not None else capacity
            best = np.flatnonzero(target == target.max())
            if len(best) > 1:
                best = best[capacity[best] == capacity[best].max()]
            fold = int(rng.choice(best))
            fold_of[int(i)] = fold
            capacity[fold] -= 1
            for k in labels[int(i)]:
                need[k][fold] -= 1
            remaining.discard(int(i))
    return fold_of


def group_folds(rows: list[dict], keys: list[str], folds: int, seed: int) -> list[int]:
    """Assign folds by group, so that translations of a passage share a fold."""
    groups = sorted({row.get("group", row["id"]) for row in rows}, key=str)
    labels = {g: set() for g in groups}
    for row in rows:
        labels[row.get("group", row["id"])].update(row["labels"])
    fold_of_group = iterative_folds([labels[g] for g in groups], keys, folds, seed)
    by_group = dict(zip(groups, fold_of_group, strict=True))
    return [by_group[row.get("group", row["id"])] for row in rows]


def scores(pred: list[set[str]], gold: list[set[str]], keys: list[str]) -> dict:
    """Return precision, recall, F1 per theme, macro-F1 and themes per passage."""
    table: dict = {}
    for key in keys:
        tp = sum(key in p and key in g for p, g in zip(pred, gold, strict=True))
        fp = sum(key in p and key not in g for p, g in zip(pred, gold, strict=True))
        fn = sum(key not in p and key in g for p, g in zip(pred, gold, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        table[key] = (precision, recall, 2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    table["macro"] = float(np.mean([table[key][2] for key in keys]))
    table["suggested"] = float(np.mean([len(p) for p in pred])) if pred else 0.0
    table["coded"] = float(np.mean([len(g) for g in gold])) if gold else 0.0
    return table


def zero_shot(prepared, rows) -> list[set[str]]:
    suggester = ThemeSuggester(default_codebook()).fit()
    results = suggester.suggest([(row["id"], p) for row, p in zip(rows, prepared, strict=True)])
    return [set(result.suggested()) for result in results]


def fit_predict(prepared, rows, train: list[int], test: list[int]) -> list[set[str]]:
    examples = [Example(rows[i]["id"], prepared[i], frozenset(rows[i]["labels"])) for i in train]
    suggester = ThemeSuggester(default_codebook(), examples).fit()
    results = suggester.suggest([(rows[i]["id"], prepared[i]) for i in test])
    return [set(result.suggested()) for result in results]


def learned(prepared, rows, fold_of, folds) -> list[set[str]]:
    pred: list[set[str]] = [set()] * len(rows)
    for fold in range(folds):
        train = [i for i in range(len(rows)) if fold_of[i] != fold]
        test = [i for i in range(len(rows)) if fold_of[i] == fold]
        for i, found in zip(test, fit_predict(prepared, rows, train, test), strict=True):
            pred[i] = found
    return pred


def curve(prepared, rows, fold_of, folds, size: int, repeat: int) -> tuple[list[set[str]], int]:
    """Predictions for every passage, learned from `size` coded passages of other folds.

    Returns the predictions and the smallest training size used (a small file has
    fewer groups outside a fold than `size`).
    """
    rng = np.random.default_rng(SEED + 1000 * repeat + size)
    pred: list[set[str]] = [set()] * len(rows)
    used = size
    for fold in range(folds):
        by_group: dict = {}
        for i in range(len(rows)):
            if fold_of[i] != fold:
                by_group.setdefault(rows[i].get("group", rows[i]["id"]), []).append(i)
        groups = sorted(by_group, key=str)
        chosen = rng.permutation(len(groups))[:size]
        train = [int(rng.choice(by_group[groups[g]])) for g in chosen]
        used = min(used, len(train))
        test = [i for i in range(len(rows)) if fold_of[i] == fold]
        for i, found in zip(test, fit_predict(prepared, rows, train, test), strict=True):
            pred[i] = found
    return pred, used


def baseline(rows, fold_of, folds, keys) -> list[set[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    texts = [row["text"] for row in rows]
    y = np.array([[key in row["labels"] for key in keys] for row in rows], dtype=int)
    pred: list[set[str]] = [set()] * len(rows)
    for fold in range(folds):
        train = [i for i in range(len(rows)) if fold_of[i] != fold]
        test = [i for i in range(len(rows)) if fold_of[i] == fold]
        vectorizer = TfidfVectorizer()
        x_train = vectorizer.fit_transform([texts[i] for i in train])
        model = OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=1000))
        model.fit(x_train, y[train])
        out = model.predict(vectorizer.transform([texts[i] for i in test]))
        for i, row in zip(test, out, strict=True):
            pred[i] = {key for key, flag in zip(keys, row, strict=True) if flag}
    return pred


def by_language(pred, rows, keys) -> dict[str, dict]:
    gold = [set(row["labels"]) for row in rows]
    tables = {}
    for language in LANGS:
        idx = [i for i, row in enumerate(rows) if language in ("all", row["lang"])]
        if idx:
            tables[language] = scores([pred[i] for i in idx], [gold[i] for i in idx], keys)
    return tables


def print_method(method: str, tables: dict[str, dict], keys: list[str]) -> None:
    for language, table in tables.items():
        cells = "".join(f"  {table[k][0]:.2f}/{table[k][1]:.2f}/{table[k][2]:.2f}" for k in keys)
        print(
            f"{method:<20}{language:<5}{cells}  {table['macro']:6.3f}"
            f"  {table['suggested']:5.2f} vs {table['coded']:4.2f}"
        )


def report_file(path: Path, folds: int, repeats: int, keys: list[str]) -> None:
    rows = load(path)
    started = time.perf_counter()
    groups = len({row.get("group", row["id"]) for row in rows})
    print(f"\n== {path.name}: {len(rows)} passages, {groups} groups; folds {folds}, seed {SEED}")
    prepared = prepare_many([row["text"] for row in rows])  # language detected, as in use
    detected = sum(p.language == row["lang"] for p, row in zip(prepared, rows, strict=True))
    print(f"language detection: {detected}/{len(rows)} right")
    fold_of = group_folds(rows, keys, folds, SEED)
    header = "".join(f"  {k[:14]:>14}" for k in keys)
    print(f"{'method':<20}{'lang':<5}{header}   macro  suggested vs coded per passage")
    methods = {
        "zero-shot": zero_shot(prepared, rows),
        f"learned ({folds}-fold)": learned(prepared, rows, fold_of, folds),
        "tfidf+logreg": baseline(rows, fold_of, folds, keys),
    }
    for method, pred in methods.items():
        print_method(method, by_language(pred, rows, keys), keys)
    print("learning curve (macro-F1 by language, mean of repeats; suggested per passage)")
    for size in CURVE:
        drawn = [curve(prepared, rows, fold_of, folds, size, r) for r in range(repeats)]
        runs = [by_language(pred, rows, keys) for pred, _ in drawn]
        used = min(n for _, n in drawn)
        cells = "  ".join(
            f"{lang} {np.mean([run[lang]['macro'] for run in runs]):.3f}" for lang in runs[0]
        )
        per = np.mean([run["all"]["suggested"] for run in runs])
        note = f", only {used} groups to draw from" if used < size else ""
        print(f"  {size:>3} coded: {cells}  ({per:.2f} suggested per passage{note})")
    print(f"time {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, nargs="+", default=[ROOT / "bench/data/themes_eval.jsonl"]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    keys = [theme.key for theme in default_codebook()]
    print("cells per theme: precision/recall/F1; " + ", ".join(keys))
    for path in args.data:
        report_file(path, args.folds, args.repeats, keys)


if __name__ == "__main__":
    main()
