"""Validate report_dev.jsonl / report_eval.jsonl and print counts and labelling agreement.

Run: python3 bench/data/report_check.py   (no dependencies)
"""

import json
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
THEMES = ["dependency", "privacy", "outsourcing", "role_confusion"]
LANGS = ["nl", "fr", "en"]


def load(name):
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)  # every line must parse
            assert set(r) == {"id", "lang", "group", "text", "labels", "source"}, (name, n, set(r))
            assert r["lang"] in LANGS and r["id"] == f"{r['lang']}-{r['group']}", (name, n)
            assert all(t in THEMES for t in r["labels"]) and len(set(r["labels"])) == len(
                r["labels"]
            ), (name, n)
            assert r["text"].strip() and r["source"].strip(), (name, n)
            rows.append(r)
    return rows


def validate(splits):
    ids = set()
    for _split, rows in splits.items():
        groups = defaultdict(dict)
        for r in rows:
            assert r["id"] not in ids, ("duplicate id", r["id"])
            ids.add(r["id"])
            groups[r["group"]][r["lang"]] = r
        for g, by in groups.items():
            assert sorted(by) == sorted(LANGS), ("group lacks a language", g, sorted(by))
            assert len({tuple(sorted(x["labels"])) for x in by.values()}) == 1, ("labels differ", g)
            assert len({x["source"] for x in by.values()}) == 1, ("source differs", g)
    allgroups = [set(r["group"] for r in rows) for rows in splits.values()]
    if len(allgroups) == 2:
        assert not (allgroups[0] & allgroups[1]), "group in both splits"


def counts(splits):
    head = (
        "| split | lang | passages | "
        + " | ".join(THEMES)
        + " | no theme | 2+ themes | words (mean, min-max) |"
    )
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    for split, rows in splits.items():
        for lang in LANGS + ["all"]:
            sel = [r for r in rows if lang == "all" or r["lang"] == lang]
            if not sel:
                continue
            w = [len(r["text"].split()) for r in sel]
            cells = [str(sum(t in r["labels"] for r in sel)) for t in THEMES]
            print(
                f"| {split} | {lang} | {len(sel)} | "
                + " | ".join(cells)
                + f" | {sum(not r['labels'] for r in sel)}"
                + f" | {sum(len(r['labels']) > 1 for r in sel)}"
                + f" | {sum(w) / len(w):.0f} ({min(w)}-{max(w)}) |"
            )
    print()
    print("Per source passage (one language), prevalence:")
    for split, rows in splits.items():
        sel = [r for r in rows if r["lang"] == "nl"]
        n = len(sel)
        if n:
            print(
                f"  {split}: n={n} "
                + ", ".join(
                    f"{t} {100 * sum(t in r['labels'] for r in sel) / n:.0f}%" for t in THEMES
                )
                + f", no theme {100 * sum(not r['labels'] for r in sel) / n:.0f}%"
            )


def kappa(a, b):
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=False)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return po, (po - pe) / (1 - pe) if pe < 1 else float("nan")


def agreement():
    path = os.path.join(HERE, "report_labels.tsv")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()[1:]
    rec = [line.split("\t") for line in lines]
    for name, sel in [
        ("dev", [r for r in rec if r[0].startswith("rdev")]),
        ("eval", [r for r in rec if r[0].startswith("reval")]),
        ("all", rec),
    ]:
        if not sel:
            continue
        print(f"\nAgreement pass 1 vs pass 2, {name} (n={len(sel)} source passages):")
        print("| theme | pass 1 | pass 2 | final | % agreement | Cohen's kappa |")
        print("| --- | --- | --- | --- | --- | --- |")
        for t in THEMES + ["(no theme)"]:
            if t == "(no theme)":
                a = [int(r[1] == "") for r in sel]
                b = [int(r[2] == "") for r in sel]
                f = [int(r[3] == "") for r in sel]
            else:
                a = [int(t in r[1].split(",")) for r in sel]
                b = [int(t in r[2].split(",")) for r in sel]
                f = [int(t in r[3].split(",")) for r in sel]
            po, k = kappa(a, b)
            print(f"| {t} | {sum(a)} | {sum(b)} | {sum(f)} | {100 * po:.1f} | {k:.2f} |")
        exact = sum(r[1] == r[2] for r in sel)
        print(f"Identical label sets: {exact}/{len(sel)}")


if __name__ == "__main__":
    splits = {s: load(f"report_{s}.jsonl") for s in ("dev", "eval")}
    splits = {k: v for k, v in splits.items() if v}
    validate(splits)
    print("OK: every line parses, ids unique, each group has nl/fr/en with identical labels\n")
    counts(splits)
    agreement()
