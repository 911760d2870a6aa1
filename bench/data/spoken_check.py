"""Validate spoken_dev3.jsonl and print its counts and the labelling agreement.

Usage: python3 bench/data/spoken_check.py [dev3|dev7]

`dev7`: spoken_dev7.jsonl (session 13: 48 Dutch turns, no other language) by the same rules,
with its own id infix (`nl-sdev7-NNN`) and count.

Checks: every line is a JSON object with the keys id, lang, text, labels, source (in that
order), ids are unique and read `<lang>-sdev3-NNN`, labels are known themes without
duplicates, there are 40 passages per language, spoken_dev3_labels.tsv has one row per
passage whose `final` column equals the passage's labels, and spoken_dev3_coder2.tsv (the
independent second coder) has one row per passage whose `writer` column is the writer's `final`
and whose `adjudicated` column equals the passage's labels, with a note wherever the writer and
coder 2 disagree. Prints the writer-vs-coder-2 agreement table. Stdlib only.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name: (file stem, id infix, languages, passages per language)
SETS = {
    "dev3": ("spoken_dev3", "sdev3", ("nl", "fr", "en"), 40),
    "dev7": ("spoken_dev7", "sdev7", ("nl",), 48),
}
STEM, INFIX, LANGS, PER_LANG = SETS[sys.argv[1] if len(sys.argv) > 1 else "dev3"]
DATA = HERE / f"{STEM}.jsonl"
LABELS = HERE / f"{STEM}_labels.tsv"
CODER2 = HERE / f"{STEM}_coder2.tsv"
THEMES = ("dependency", "privacy", "outsourcing", "role_confusion")
KEYS = ["id", "lang", "text", "labels", "source"]
LONG = 90  # words: the "long turn" threshold of the set's brief


def fail(message: str) -> None:
    """Stop with a message that names the problem."""
    sys.exit(f"spoken_check: {message}")


def load_passages() -> list[dict]:
    """Read and validate the JSONL file."""
    rows, seen = [], set()
    for n, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            fail(f"line {n} is not JSON: {e}")
        if list(row) != KEYS:
            fail(f"line {n}: keys {list(row)}, expected {KEYS}")
        pid, lang, labels = row["id"], row["lang"], row["labels"]
        if lang not in LANGS or not re.fullmatch(rf"{lang}-{INFIX}-\d{{3}}", pid):
            fail(f"line {n}: bad id or lang ({pid}, {lang})")
        if pid in seen:
            fail(f"line {n}: duplicate id {pid}")
        if any(t not in THEMES for t in labels) or len(set(labels)) != len(labels):
            fail(f"{pid}: unknown or repeated label in {labels}")
        if not row["text"].strip() or not row["source"].strip():
            fail(f"{pid}: empty text or source")
        seen.add(pid)
        rows.append(row)
    per_lang = Counter(r["lang"] for r in rows)
    if any(per_lang[lang] != PER_LANG for lang in LANGS):
        fail(f"expected {PER_LANG} passages per language, got {dict(per_lang)}")
    return rows


def split_labels(cell: str) -> set[str]:
    """Parse a TSV label cell: comma-separated themes, '-' for no theme."""
    labels = {t for t in cell.split(",") if t and t != "-"}
    if labels - set(THEMES):
        fail(f"unknown theme in TSV cell {cell!r}")
    return labels


def load_passes(rows: list[dict]) -> dict[str, dict[str, set[str]]]:
    """Read the two labelling passes and check the final column against the JSONL."""
    with LABELS.open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    passes = {r["id"]: {k: split_labels(r[k]) for k in ("pass1", "pass2", "final")} for r in table}
    ids = [r["id"] for r in rows]
    if len(table) != len(passes) or set(passes) != set(ids):
        fail(f"{LABELS.name} does not have exactly one row per passage")
    for row in rows:
        if passes[row["id"]]["final"] != set(row["labels"]):
            fail(f"{row['id']}: final labels in the TSV differ from the JSONL")
    for r in table:
        p = passes[r["id"]]
        if p["pass1"] != p["pass2"] and not r["note"].strip():
            fail(f"{r['id']}: the passes disagree but there is no note")
    return passes


def kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two binary codings of the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def words(text: str) -> int:
    """Count whitespace-separated words."""
    return len(text.split())


def print_counts(rows: list[dict]) -> None:
    """Print theme counts, no-theme share, themes per passage and lengths per language."""
    print("| lang | passages | " + " | ".join(THEMES) + " | no theme | 2+ themes |")
    print("| --- " * (len(THEMES) + 4) + "|")
    for lang in (*LANGS, "all"):
        sub = [r for r in rows if lang in ("all", r["lang"])]
        c = Counter(t for r in sub for t in r["labels"])
        none = sum(not r["labels"] for r in sub)
        multi = sum(len(r["labels"]) > 1 for r in sub)
        cells = " | ".join(f"{c[t]} ({100 * c[t] / len(sub):.0f}%)" for t in THEMES)
        share = 100 * none / len(sub)
        print(f"| {lang} | {len(sub)} | {cells} | {none} ({share:.0f}%) | {multi} |")
    per = Counter(len(r["labels"]) for r in rows)
    print("\nThemes per passage: " + ", ".join(f"{k}: {per[k]}" for k in sorted(per)))
    print(f"\n| lang | words mean | median | min | max | long turns (>= {LONG} words) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for lang in (*LANGS, "all"):
        n = [words(r["text"]) for r in rows if lang in ("all", r["lang"])]
        long_turns = sum(x >= LONG for x in n)
        print(
            f"| {lang} | {statistics.mean(n):.0f} | {statistics.median(n):.0f}"
            f" | {min(n)} | {max(n)} | {long_turns} ({100 * long_turns / len(n):.0f}%) |"
        )


def agreement_rows(labels: dict[str, dict[str, set[str]]], first: str, second: str, final: str):
    """Print one row per theme (and "no theme"): counts of each column, % agreement and
    Cohen's kappa between `first` and `second`."""
    ids = sorted(labels)
    for theme in (*THEMES, None):

        def has(k: str, pid: str, theme: str | None = theme) -> bool:
            found = labels[pid][k]
            return not found if theme is None else theme in found

        x = [has(first, i) for i in ids]
        y = [has(second, i) for i in ids]
        z = [has(final, i) for i in ids]
        agree = 100 * sum(p == q for p, q in zip(x, y, strict=True)) / len(ids)
        name = theme or "(no theme)"
        print(f"| {name} | {sum(x)} | {sum(y)} | {sum(z)} | {agree:.1f} | {kappa(x, y):.2f} |")


def print_agreement(passes: dict[str, dict[str, set[str]]]) -> None:
    """Print per-theme agreement between the two labelling passes."""
    ids = sorted(passes)
    print("\n| theme | pass 1 | pass 2 | final | % agreement | Cohen's kappa |")
    print("| --- | --- | --- | --- | --- | --- |")
    agreement_rows(passes, "pass1", "pass2", "final")
    same = sum(passes[i]["pass1"] == passes[i]["pass2"] for i in ids)
    print(f"\nIdentical label sets in both passes: {same}/{len(ids)}")
    for i in ids:
        if passes[i]["pass1"] != passes[i]["pass2"]:
            p = passes[i]
            first, second, final = (sorted(p[k]) for k in ("pass1", "pass2", "final"))
            print(f"  {i}: pass1 {first}, pass2 {second}, final {final}")


def load_coder2(rows: list[dict], passes: dict[str, dict[str, set[str]]]) -> dict:
    """Read the second coder's table and check it against the writer's TSV and the JSONL."""
    with CODER2.open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    cols = ("coder2", "writer", "adjudicated")
    coded = {r["id"]: {k: split_labels(r[k]) for k in cols} for r in table}
    if len(table) != len(coded) or set(coded) != {r["id"] for r in rows}:
        fail(f"{CODER2.name} does not have exactly one row per passage")
    for r in table:
        c = coded[r["id"]]
        if c["writer"] != passes[r["id"]]["final"]:
            fail(f"{r['id']}: writer column differs from the final column of the writer's TSV")
        if c["coder2"] != c["writer"] and not r["note"].strip():
            fail(f"{r['id']}: writer and coder 2 disagree but there is no adjudication note")
        if c["coder2"] and not r["reason"].strip():
            fail(f"{r['id']}: coder 2 gave a label without a reason")
    for row in rows:
        if coded[row["id"]]["adjudicated"] != set(row["labels"]):
            fail(f"{row['id']}: adjudicated labels in the coder-2 TSV differ from the JSONL")
    return coded


def print_coder2(coded: dict[str, dict[str, set[str]]]) -> None:
    """Print per-theme agreement between the writer's final labels and the second coder."""
    ids = sorted(coded)
    print("\nWriter (final) vs independent second coder (cold, from text and definitions):\n")
    print("| theme | writer | coder 2 | adjudicated | % agreement | Cohen's kappa |")
    print("| --- | --- | --- | --- | --- | --- |")
    agreement_rows(coded, "writer", "coder2", "adjudicated")
    differ = [i for i in ids if coded[i]["writer"] != coded[i]["coder2"]]
    changed = sum(len(coded[i]["adjudicated"] ^ coded[i]["writer"]) for i in ids)
    print(f"\nPassages with any disagreement: {len(differ)}/{len(ids)}")
    for i in differ:
        c = coded[i]
        print(
            f"  {i}: writer {sorted(c['writer'])}, coder 2 {sorted(c['coder2'])},"
            f" adjudicated {sorted(c['adjudicated'])}"
        )
    print(f"Labels changed by adjudication (vs writer's final): {changed}")


def main() -> None:
    """Validate the set and print its tables."""
    rows = load_passages()
    passes = load_passes(rows)
    coded = load_coder2(rows, passes)
    print(f"{DATA.name}: {len(rows)} passages, valid\n")
    print_counts(rows)
    print_agreement(passes)
    print_coder2(coded)


if __name__ == "__main__":
    main()
