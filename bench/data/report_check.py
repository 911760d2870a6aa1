"""Validate report_dev.jsonl / report_eval.jsonl / report_dev2.jsonl and print counts and agreement.

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
    # only the group values are compared: no split's texts are read for this
    allgroups = {split: {r["group"] for r in rows} for split, rows in splits.items()}
    names = sorted(allgroups)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not (allgroups[a] & allgroups[b]), ("group in two splits", a, b)


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


def dev2_details(rows):
    """Original language, no-theme share and length per language for report_dev2.jsonl."""
    labels_path = os.path.join(HERE, "report_dev2_labels.tsv")
    with open(labels_path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    head = lines[0].split("\t")
    assert head == ["group", "original_language", "pass1", "pass2", "final", "note"], head
    rec = [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:]]
    groups = {r["group"] for r in rows}
    assert {r["group"] for r in rec} == groups, "TSV and JSONL groups differ"
    final = {r["group"]: r["final"] for r in rec}
    orig = {r["group"]: r["original_language"] for r in rec}
    for r in rows:
        assert ",".join(r["labels"]) == final[r["group"]], ("labels differ from TSV final", r["id"])
        assert f"original {orig[r['group']]}" in r["source"], ("source lacks original", r["id"])
    n = len(rec)
    print(f"\ndev2: {n} source passages, original language", end=" ")
    print(", ".join(f"{lg} {sum(r['original_language'] == lg for r in rec)}" for lg in LANGS))
    print("| theme | source passages | share |")
    print("| --- | --- | --- |")
    for t in THEMES:
        k = sum(t in r["final"].split(",") for r in rec)
        print(f"| {t} | {k} | {100 * k / n:.0f}% |")
    k = sum(r["final"] == "" for r in rec)
    print(f"| (no theme) | {k} | {100 * k / n:.0f}% |")
    k = sum(len(r["final"].split(",")) > 1 for r in rec if r["final"])
    print(f"| (2+ themes) | {k} | {100 * k / n:.0f}% |")
    print("\n| lang | lines | words mean | median | min | max | lines of 120+ words |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for lang in LANGS:
        w = sorted(len(r["text"].split()) for r in rows if r["lang"] == lang)
        med = w[len(w) // 2] if len(w) % 2 else (w[len(w) // 2 - 1] + w[len(w) // 2]) / 2
        print(
            f"| {lang} | {len(w)} | {sum(w) / len(w):.0f} | {med:g} | {min(w)} | {max(w)}"
            f" | {sum(x >= 120 for x in w)} |"
        )
    print(f"\nAgreement pass 1 vs pass 2, dev2 (n={n} source passages, one annotator):")
    print("| theme | pass 1 | pass 2 | final | % agreement | Cohen's kappa |")
    print("| --- | --- | --- | --- | --- | --- |")
    for t in THEMES + ["(no theme)"]:
        cols = []
        for c in ("pass1", "pass2", "final"):
            if t == "(no theme)":
                cols.append([int(r[c] == "") for r in rec])
            else:
                cols.append([int(t in r[c].split(",")) for r in rec])
        po, k = kappa(cols[0], cols[1])
        a, b, f = (sum(c) for c in cols)
        print(f"| {t} | {a} | {b} | {f} | {100 * po:.1f} | {k:.2f} |")
    print(f"Identical label sets: {sum(r['pass1'] == r['pass2'] for r in rec)}/{n}")


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
    splits = {s: load(f"report_{s}.jsonl") for s in ("dev", "eval", "dev2")}
    splits = {k: v for k, v in splits.items() if v}
    validate(splits)
    print("OK: every line parses, ids unique, each group has nl/fr/en with identical labels\n")
    counts(splits)
    agreement()
    if "dev2" in splits:
        dev2_details(splits["dev2"])
