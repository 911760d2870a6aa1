"""How much the shipped prior adds on text it was not trained on: leave one set out.

    python bench/analysis_prior.py [--data FILE ...] [--check FILE ...] [--learned]

The prior (`analysis.prior`) is trained on the dev sets, so the dev sets cannot measure
it: on them it is judged in-sample. This script trains it again without each dev set
in turn (`analysis.prior.train`, same settings) and suggests zero-shot on the set left
out, against the lexicon alone; with `--check`, it trains on every `--data` file and
suggests on the check files (a set written for the purpose and not yet used). Prints
macro-F1 per language, and themes suggested against coded per passage. Held-out files
(`*_eval*`) are refused: they are for `bench/analysis_quality.py`, run once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_quality import SEED, curve, group_folds, learned  # noqa: E402
from analysis_zeroshot import by_language, load  # noqa: E402
from train_prior import DATA, TRAINING  # noqa: E402

import analysis.suggest  # noqa: E402
from analysis import ThemeSuggester, default_codebook, prepare_many  # noqa: E402
from analysis.prior import PriorModel, features, train  # noqa: E402


def suggest(rows, prepared, model: PriorModel | None) -> list[set[str]]:
    """Return the zero-shot suggestions with this prior (None: the lexicon alone)."""
    analysis.suggest.shipped = lambda: model
    suggester = ThemeSuggester(default_codebook()).fit()
    results = suggester.suggest([(row["id"], p) for row, p in zip(rows, prepared, strict=True)])
    return [set(result.suggested()) for result in results]


def cell(tables: dict) -> str:
    parts = " / ".join(
        f"{tables[lang]['macro']:.3f}" for lang in ("nl", "fr", "en") if lang in tables
    )
    every = tables["all"]
    return f"{parts} ({every['macro']:.3f}); {every['suggested']:.2f} vs {every['coded']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", type=Path, default=[DATA / n for n in TRAINING])
    parser.add_argument("--check", nargs="+", type=Path, default=[])
    parser.add_argument("--learned", action="store_true", help="the learned regime, see above")
    args = parser.parse_args()
    if any("_eval" in path.name for path in args.data + args.check):
        parser.error("held-out files (*_eval*) are not for this script")
    keys = [theme.key for theme in default_codebook()]
    files = {}
    for path in args.data + args.check:
        rows = load(path)
        prepared = prepare_many([row["text"] for row in rows], [row["lang"] for row in rows])
        files[path.stem] = (rows, prepared, [features(p) for p in prepared])

    def model_without(left_out: set[str]) -> PriorModel:
        names = [path.stem for path in args.data if path.stem not in left_out]
        docs = [doc for name in names for doc in files[name][2]]
        labels = [frozenset(row["labels"]) for name in names for row in files[name][0]]
        groups = [name for name in names for _ in files[name][0]]
        return PriorModel(train(docs, labels, groups, keys))

    targets = [path.stem for path in args.check] or [path.stem for path in args.data]
    shared = model_without(set(targets)) if args.check else None
    if args.learned:
        learned_sets(targets, files, lambda name: shared or model_without({name}), keys)
        return
    print("zero-shot macro-F1 nl / fr / en (all); suggested vs coded per passage")
    print(f"{'set':14s} {'lexicon alone':38s} {'with the prior, trained without the set'}")
    means = {"lexicon": [], "prior": []}
    for name in targets:
        rows, prepared, _ = files[name]
        model = shared or model_without({name})
        alone = by_language(rows, suggest(rows, prepared, None), keys)
        prior = by_language(rows, suggest(rows, prepared, model), keys)
        means["lexicon"].append(alone["all"]["macro"])
        means["prior"].append(prior["all"]["macro"])
        print(f"{name:14s} {cell(alone):38s} {cell(prior)}")
    lexicon, prior = np.mean(means["lexicon"]), np.mean(means["prior"])
    print(f"{'mean':14s} {lexicon:.4f}{'':32s} {prior:.4f} ({prior - lexicon:+.4f})")


def learned_sets(targets, files, model_for, keys) -> None:
    """Print zero-shot, learned (5-fold) and 40 coded per set, the prior left out."""
    print("macro-F1 (all languages): zero-shot; learned 5-fold nl / fr / en (all), suggested")
    print("vs coded; learned per theme " + " ".join(k[:5] for k in keys) + "; 40 coded (2 draws)")
    means: dict[str, list[float]] = {"zero": [], "learned": [], "curve": []}
    for name in targets:
        rows, prepared, _ = files[name]
        model = model_for(name)
        analysis.suggest.shipped = lambda model=model: model
        folds = group_folds(rows, keys, 5, SEED)
        zero = by_language(rows, suggest(rows, prepared, model), keys)["all"]["macro"]
        five = by_language(rows, learned(prepared, rows, folds, 5), keys)
        drawn = [curve(prepared, rows, folds, 5, 40, repeat)[0] for repeat in range(2)]
        forty = float(np.mean([by_language(rows, pred, keys)["all"]["macro"] for pred in drawn]))
        themes = " ".join(f"{five['all'][key][5]:.2f}" for key in keys)
        print(f"{name:14s} {zero:.3f}; {cell(five)}; {themes}; {forty:.3f}", flush=True)
        means["zero"].append(zero)
        means["learned"].append(five["all"]["macro"])
        means["curve"].append(forty)
    print("mean           " + "; ".join(f"{k} {np.mean(v):.4f}" for k, v in means.items()))


if __name__ == "__main__":
    main()
