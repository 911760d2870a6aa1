"""Cross-language parity of zero-shot suggestions: do the nl, fr and en versions agree?

    python bench/analysis_parity.py [--data FILE ...] [--groups disagree|all|none]
        [--save F] [--compare F]

The report dev sets carry every passage in nl, fr and en under one `group`, with the
same labels; a suggester that reads the three languages alike suggests the same themes
for the three versions. Per set: the share of groups whose three versions get exactly
the same suggested themes (`agreement`), the share of (group, theme) pairs on which the
three agree (`per theme`), and per theme the number of groups split between languages.
With `--groups disagree` (the default) each split group is listed with, per language,
its suggestions, coded themes, points and the evidence terms of the split themes,
which is what shows a term missing in one language's lexicon or read in another sense.

Zero-shot is deterministic, so a difference between two runs is real. Held-out files
(`*_eval*`) are refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_zeroshot import load, points_of, run  # noqa: E402

from analysis import default_codebook, prepare_many  # noqa: E402
from analysis.zeroshot import ZeroShot  # noqa: E402

SETS = ("report_dev.jsonl", "report_dev2.jsonl", "report_dev3.jsonl")
LANGS = ("nl", "fr", "en")


def groups_of(rows: list[dict], results: list, prepared: list) -> dict[str, dict[str, tuple]]:
    """Return per group the (row, result, prepared text) of each language."""
    groups: dict[str, dict[str, tuple]] = {}
    for row, result, passage in zip(rows, results, prepared, strict=True):
        groups.setdefault(row["group"], {})[row["lang"]] = (row, result, passage)
    return {g: langs for g, langs in groups.items() if all(lang in langs for lang in LANGS)}


def parity(groups: dict, keys: list[str]) -> dict:
    """Return group agreement, (group, theme) agreement and split groups per theme."""
    same = 0
    theme_same = 0
    split = dict.fromkeys(keys, 0)
    for langs in groups.values():
        found = [set(langs[lang][1].suggested()) for lang in LANGS]
        same += found[0] == found[1] == found[2]
        for key in keys:
            votes = {key in f for f in found}
            theme_same += len(votes) == 1
            split[key] += len(votes) > 1
    n = len(groups)
    return {
        "groups": n,
        "agreement": same / n if n else 0.0,
        "theme_agreement": theme_same / (n * len(keys)) if n else 0.0,
        "split": split,
    }


def print_group(group: str, langs: dict, keys: list[str], zero_shot: ZeroShot) -> None:
    """Print one group's suggestions per language, with the matches of split themes.

    Each match is shown as `text[pattern weight]`; `(ctx)` marks context terms, which
    count at most as much as the theme's strong evidence.
    """
    found = {lang: set(langs[lang][1].suggested()) for lang in LANGS}
    split = [k for k in keys if len({k in found[lang] for lang in LANGS}) > 1]
    coded = sorted(langs["nl"][0]["labels"])
    print(f"  {group}: coded {coded}; split on {', '.join(split)}")
    for lang in LANGS:
        _, result, passage = langs[lang]
        print(f"    {lang} {sorted(found[lang])}  {points_of(result)}")
        matches = zero_shot.matches(passage)
        for key in split:
            terms = [
                f"{passage.text[m.start : m.end]}[{m.term.source} {m.term.weight:g}]"
                for m in matches
                if m.term.theme == key
            ]
            print(f"       {key[:3]}: {', '.join(terms) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=None)
    parser.add_argument("--groups", choices=("disagree", "all", "none"), default="disagree")
    parser.add_argument("--save", type=Path, help="write suggestions per passage id (JSON)")
    parser.add_argument("--compare", type=Path, help="print groups that changed since a save")
    args = parser.parse_args()
    paths = args.data or [ROOT / "bench/data" / name for name in SETS]
    if any("_eval" in path.name for path in paths):
        parser.error("held-out files (*_eval*) are not for this script")
    keys = [theme.key for theme in default_codebook()]
    files = {}
    for path in paths:
        rows = load(path)
        files[path.stem] = (rows, prepare_many([row["text"] for row in rows]))
    results = run(files)
    zero_shot = ZeroShot(default_codebook())
    summary = {}
    saved: dict[str, list[str]] = {}
    for name, (rows, prepared) in files.items():
        groups = groups_of(rows, results[name], prepared)
        summary[name] = parity(groups, keys)
        for row, result in zip(rows, results[name], strict=True):
            saved[row["id"]] = sorted(result.suggested())
        if args.groups == "none":
            continue
        print(f"\n== {name}: {len(groups)} groups")
        for group, langs in sorted(groups.items()):
            found = [set(langs[lang][1].suggested()) for lang in LANGS]
            if args.groups == "all" or not found[0] == found[1] == found[2]:
                print_group(group, langs, keys, zero_shot)
    print("\nparity: groups whose nl, fr and en versions get the same themes")
    print(f"  {'set':<14}{'groups':>7}{'agree':>8}{'per theme':>11}   split groups per theme")
    total = sum(s["groups"] for s in summary.values())
    agree = sum(s["agreement"] * s["groups"] for s in summary.values())
    theme = sum(s["theme_agreement"] * s["groups"] for s in summary.values())
    for name, s in summary.items():
        splits = "  ".join(f"{k[:3]} {v}" for k, v in s["split"].items())
        print(
            f"  {name:<14}{s['groups']:7d}{s['agreement']:8.3f}{s['theme_agreement']:11.3f}"
            f"   {splits}"
        )
    if total:
        print(f"  {'all':<14}{total:7d}{agree / total:8.3f}{theme / total:11.3f}")
    if args.save:
        args.save.write_text(json.dumps(saved, indent=0, sort_keys=True), encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        print("\npassages that changed (before -> after; coded)")
        for rows, _ in files.values():
            for row in rows:
                old, new = before.get(row["id"]), saved[row["id"]]
                if old is not None and old != new:
                    print(f"  {row['id']:<14} {old} -> {new}; coded {sorted(row['labels'])}")


if __name__ == "__main__":
    main()
