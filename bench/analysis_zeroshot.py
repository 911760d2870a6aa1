"""Zero-shot theme suggestions on several labelled files at once: fast, per passage.

    python bench/analysis_zeroshot.py [--data FILE ...] [--passages errors|all]
        [--evidence] [--variant NAME:module.CONST=value,... ...] [--save F] [--compare F]

Zero-shot (the default codebook, no codings) is deterministic, so any difference
between two runs on a file is real on that file (on small files, one passage moves
macro-F1 by about 0.01). Per file: macro-F1 per language (the row's `lang`; the
engine detects the language itself, as in use), per theme precision / recall / F1
with true and false positives, and themes suggested against coded per passage. With
`--passages`, each passage's suggested and coded themes (`errors`: only those that
differ), with `--evidence` the terms that counted and each theme's points. At the end,
one table of every file side by side and the mean over files.

`--variant` runs the same files again with module constants changed (for instance
`len70:analysis.zeroshot.LENGTH_FREE=70`), after the baseline, in the same process;
lemmatised passages are reused, the codebook is recompiled. `--save` writes the
suggestions per passage id (JSON), `--compare` prints the passages whose suggestions
differ from a saved run. Held-out files (`*_eval*`) are refused: they are for the
lead's single run with `bench/analysis_quality.py`.

Since session 9 the engine includes the shipped prior (`analysis.prior`), trained on
these very dev sets: on them this script measures it in-sample and flatters it. For
what the prior adds on text it did not see, use `bench/analysis_prior.py` (leave one
set out); `--no-prior` here gives the lexicon alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import analysis.suggest  # noqa: E402
from analysis import (  # noqa: E402
    ThemeSuggester,
    default_codebook,
    lexicon,
    prepare_many,
)

DEV = ("themes_dev.jsonl", "spoken_dev2.jsonl", "report_dev.jsonl")
NEW_DEV = ("report_dev2.jsonl", "spoken_dev3.jsonl")
# Written by people who never saw the lexicon, used as check sets once, dev sets since.
CHECKED = (
    "report_dev3.jsonl",
    "spoken_dev4.jsonl",
    "report_dev4.jsonl",
    "spoken_dev5.jsonl",
    "report_dev5.jsonl",
    "spoken_dev6.jsonl",
    "report_dev6.jsonl",
    "report_dev7.jsonl",
    "report_dev8.jsonl",
    "report_dev9.jsonl",
    "spoken_dev7.jsonl",
)
LANGS = ("nl", "fr", "en", "all")


def default_files() -> list[Path]:
    """Return the dev files of bench/data, the new ones when they are there."""
    data = ROOT / "bench/data"
    return [data / name for name in DEV + NEW_DEV + CHECKED if (data / name).exists()]


def load(path: Path) -> list[dict]:
    """Read labelled passages (JSON lines)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def table(pred: list[set[str]], gold: list[set[str]], keys: list[str]) -> dict:
    """Return per theme (tp, fp, fn, P, R, F1), macro-F1 and themes per passage."""
    out: dict = {}
    for key in keys:
        tp = sum(key in p and key in g for p, g in zip(pred, gold, strict=True))
        fp = sum(key in p and key not in g for p, g in zip(pred, gold, strict=True))
        fn = sum(key not in p and key in g for p, g in zip(pred, gold, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[key] = (tp, fp, fn, precision, recall, f1)
    out["macro"] = float(np.mean([out[key][5] for key in keys]))
    out["suggested"] = float(np.mean([len(p) for p in pred])) if pred else 0.0
    out["coded"] = float(np.mean([len(g) for g in gold])) if gold else 0.0
    out["n"] = len(pred)
    return out


def by_language(rows: list[dict], pred: list[set[str]], keys: list[str]) -> dict[str, dict]:
    """Return the score table per language of the rows and for all rows."""
    gold = [set(row["labels"]) for row in rows]
    tables = {}
    for language in LANGS:
        idx = [i for i, row in enumerate(rows) if language in ("all", row["lang"])]
        if idx:
            tables[language] = table([pred[i] for i in idx], [gold[i] for i in idx], keys)
    return tables


def run(files: dict[str, tuple[list[dict], list]]) -> dict[str, list]:
    """Suggest zero-shot on every file; return per file the PassageSuggestions."""
    suggester = ThemeSuggester(default_codebook()).fit()
    return {
        name: suggester.suggest([(row["id"], p) for row, p in zip(rows, prepared, strict=True)])
        for name, (rows, prepared) in files.items()
    }


def points_of(suggester_result) -> str:
    return " ".join(f"{theme.key[:3]}={theme.score:.2f}" for theme in suggester_result.themes)


def print_file(name: str, rows: list[dict], results: list, keys: list[str], args) -> dict:
    """Print one file's tables (and passages); return its tables per language."""
    pred = [set(result.suggested()) for result in results]
    tables = by_language(rows, pred, keys)
    print(f"\n== {name}: {len(rows)} passages")
    print("per theme, all languages: tp fp fn  P / R / F1")
    for key in keys:
        tp, fp, fn, p, r, f = tables["all"][key]
        per_lang = "  ".join(
            f"{lang} " + "/".join(f"{v:.2f}" for v in tables[lang][key][3:])
            for lang in LANGS[:3]
            if lang in tables
        )
        print(f"  {key:<15}{tp:4d}{fp:4d}{fn:4d}  {p:.2f} / {r:.2f} / {f:.2f}   ({per_lang})")
    for lang in LANGS:
        if lang in tables:
            t = tables[lang]
            print(
                f"  {lang:<4} n={t['n']:<4} macro-F1 {t['macro']:.3f}"
                f"  suggested {t['suggested']:.2f} vs coded {t['coded']:.2f} per passage"
            )
    if args.passages:
        for row, result, found in zip(rows, results, pred, strict=True):
            coded = set(row["labels"])
            if args.passages == "errors" and found == coded:
                continue
            missed, extra = sorted(coded - found), sorted(found - coded)
            mark = "ok" if found == coded else f"+{','.join(extra)} -{','.join(missed)}"
            words = len(row["text"].split())
            print(f"  {row['id']:<14} {words:3d}w  coded {sorted(coded)}  {mark}")
            if args.evidence:
                print(f"      {points_of(result)}")
                for theme in result.themes:
                    terms = [e.text for e in theme.evidence if e.kind == "term"]
                    if terms:
                        print(f"      {theme.key[:3]}: {', '.join(terms)}")
    return tables


def apply(settings: list[str]) -> dict[tuple[object, str], object]:
    """Set module constants ("module.NAME=value"); return the old values."""
    old = {}
    for setting in settings:
        target, value = setting.split("=", 1)
        module_name, attr = target.rsplit(".", 1)
        module = importlib.import_module(module_name)
        old[(module, attr)] = getattr(module, attr)
        current = getattr(module, attr)
        setattr(
            module,
            attr,
            Path(value) if isinstance(current, Path) else type(current)(json.loads(value)),
        )
    clear_caches()
    return old


def clear_caches() -> None:
    """Forget the lexicon read so far (a variant may point to another lexicon file)."""
    lexicon._tables.cache_clear()
    lexicon.lexicon_entries.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=None)
    parser.add_argument("--passages", choices=("errors", "all"), default=None)
    parser.add_argument("--evidence", action="store_true", help="terms and scores per passage")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:SETTINGS")
    parser.add_argument("--save", type=Path, help="write suggestions per passage id (JSON)")
    parser.add_argument("--compare", type=Path, help="print passages that differ from a save")
    parser.add_argument("--no-prior", action="store_true", help="the lexicon alone")
    args = parser.parse_args()
    if args.no_prior:
        analysis.suggest.shipped = lambda: None
    paths = args.data or default_files()
    if any("_eval" in path.name for path in paths):
        parser.error("held-out files (*_eval*) are not for this script")
    keys = [theme.key for theme in default_codebook()]
    started = time.perf_counter()
    files = {}
    for path in paths:
        rows = load(path)
        files[path.stem] = (rows, prepare_many([row["text"] for row in rows]))
    print(
        f"prepared {sum(len(r) for r, _ in files.values())} passages in "
        f"{time.perf_counter() - started:.1f} s"
    )
    variants = [("main", [])] + [
        (spec.split(":", 1)[0], spec.split(":", 1)[1].split(",")) for spec in args.variant
    ]
    summary: dict[str, dict[str, dict]] = {}
    saved: dict[str, list[str]] = {}
    for label, settings in variants:
        old = apply(settings)
        results = run(files)
        for (module, attr), value in old.items():
            setattr(module, attr, value)
        clear_caches()
        print(f"\n######## variant {label} {settings}")
        for name, (rows, _) in files.items():
            summary[f"{label}|{name}"] = print_file(name, rows, results[name], keys, args)
            if label == "main":
                for row, result in zip(rows, results[name], strict=True):
                    saved[row["id"]] = sorted(result.suggested())
    print_summary(summary, list(files), [label for label, _ in variants])
    if args.save:
        args.save.write_text(json.dumps(saved, indent=0, sort_keys=True), encoding="utf-8")
    if args.compare:
        compare(json.loads(args.compare.read_text(encoding="utf-8")), saved, files)


def print_summary(summary: dict, names: list[str], labels: list[str]) -> None:
    """Print macro-F1 per language and suggested vs coded, every file side by side."""
    print("\nzero-shot macro-F1 nl / fr / en (all); suggested vs coded per passage")
    for label in labels:
        for name in names:
            t = summary[f"{label}|{name}"]
            langs = " / ".join(f"{t[lang]['macro']:.3f}" for lang in LANGS[:3] if lang in t)
            print(
                f"  {label:<12}{name:<14}{langs} ({t['all']['macro']:.3f})"
                f"  {t['all']['suggested']:.2f} vs {t['all']['coded']:.2f}"
            )
    print("\nmacro-F1, all languages")
    print(f"  {'variant':<12}" + "".join(f"{name[:13]:>14}" for name in names) + f"{'mean':>8}")
    for label in labels:
        values = [summary[f"{label}|{name}"]["all"]["macro"] for name in names]
        cells = "".join(f"{value:14.3f}" for value in values)
        print(f"  {label:<12}{cells}{np.mean(values):8.4f}")


def compare(before: dict[str, list[str]], after: dict[str, list[str]], files: dict) -> None:
    """Print passages whose suggestions differ from a saved run, with their codes."""
    print("\npassages that changed (before -> after; coded)")
    for rows, _ in files.values():
        for row in rows:
            old, new = before.get(row["id"]), after[row["id"]]
            if old is not None and old != new:
                print(f"  {row['id']:<14} {old} -> {new}; coded {sorted(row['labels'])}")


if __name__ == "__main__":
    main()
