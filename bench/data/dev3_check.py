"""Validate a pair of check sets and print their counts and agreement.

Usage: python3 bench/data/dev3_check.py [dev3|dev4|dev5|dev6|dev7|dev8|dev9|dev10]

`dev3` (the default): report_dev3.jsonl and spoken_dev4.jsonl (session 6); `dev4`:
report_dev4.jsonl (24 groups) and spoken_dev5.jsonl (15 per language), session 8; `dev5`:
report_dev5.jsonl (24 groups) and spoken_dev6.jsonl (15 per language), session 9; `dev6`:
report_dev6.jsonl alone (30 groups, nl originals, 40-160 words, 35-45 % without a theme, no
literal theme word), session 10; `dev7`: report_dev7.jsonl alone (24 groups, 8 originals
in each language, 60-160 words, 40-50 % without a theme), session 11; `dev8`:
report_dev8.jsonl alone (24 groups, nl originals of 90-170 words, translations up to 210,
38-46 % without a theme), session 12; `dev9`: report_dev9.jsonl alone (24 groups, 16 nl and
8 fr originals of 150-260 words), session 12; `dev10`: report_dev10.jsonl alone (24 groups,
16 fr and 8 nl originals of 130-200 words), session 13, unread; the rules below are written
for dev3 and hold with those counts.

report_dev3: 30 groups x nl/fr/en, keys id, lang, group, text, labels, source (in that order),
ids `<lang>-rdev3-NNN`, the three lines of a group share labels and source, and
report_dev3_labels.tsv has one row per group whose `final` equals the group's labels.
spoken_dev4: 20 passages per language, keys id, lang, text, labels, source, ids
`<lang>-sdev4-NNN`, and spoken_dev4_labels.tsv has one row per passage whose `final` equals
its labels. For both: labels are known themes without duplicates, every pass-1/pass-2
disagreement has a note, the no-theme share is 30-50 % and each theme is on 9-40 % of the
items, and no text contains an e-mail address, IBAN, phone or national register number.
Prints per-language counts and Cohen's kappa of pass 1 against pass 2 per theme. Stdlib only.

Second coder: report_dev3_coder2.tsv (one row per group) and spoken_dev4_coder2.tsv (one row
per passage) hold an independent coder's cold labels (`coder2`, with a `reason`), the writer's
final labels before adjudication (`writer`), the adjudicated labels (`adjudicated`, which must
equal the JSONL labels and the labels TSV's `final`) and a `note` wherever the two coders
differ. The writer's column must equal `final` except where adjudication changed it. Prints
per-theme kappa of writer against coder 2, identical label sets and each disagreement.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name: (report set, its id infix, groups, spoken set, its id infix, passages per language)
SETS = {
    "dev3": ("report_dev3", "rdev3", 30, "spoken_dev4", "sdev4", 20),
    "dev4": ("report_dev4", "rdev4", 24, "spoken_dev5", "sdev5", 15),
    "dev5": ("report_dev5", "rdev5", 24, "spoken_dev6", "sdev6", 15),
    "dev6": ("report_dev6", "rdev6", 30, None, None, 0),  # report set only, no spoken part
    "dev7": ("report_dev7", "rdev7", 24, None, None, 0),  # report set only, no spoken part
    "dev8": ("report_dev8", "rdev8", 24, None, None, 0),  # report set only, no spoken part
    "dev9": ("report_dev9", "rdev9", 24, None, None, 0),  # report set only, no spoken part
    "dev10": ("report_dev10", "rdev10", 24, None, None, 0),  # report set only, no spoken part
}
# Report-only sets: (no-theme share, original language, None for a third in each, or a
# count per language, literal theme words forbidden), from each set's brief.
REPORT_ONLY = {
    "dev6": ((0.35, 0.45), "nl", True),
    "dev7": ((0.40, 0.50), None, False),
    "dev8": ((0.38, 0.46), "nl", False),
    "dev9": ((0.38, 0.46), {"nl": 16, "fr": 8}, False),
    "dev10": ((0.38, 0.46), {"fr": 16, "nl": 8}, False),
}
REPORT, R_INFIX, GROUPS, SPOKEN, S_INFIX, PER_LANG = SETS["dev3"]
THEMES = ("dependency", "privacy", "outsourcing", "role_confusion")
LANGS = ("nl", "fr", "en")
PII = re.compile(
    r"[\w.+-]+@[\w-]+\.\w+"  # e-mail
    r"|\bBE\d{2}(?: ?\d{4}){3}\b"  # Belgian IBAN
    r"|(?:\+32|0032|\b04\d{2})[ ./]?\d{2,3}(?:[ ./]?\d{2}){2,3}\b"  # phone
    r"|\b\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}\b"  # national register number
)
NONE_SHARE = (0.30, 0.50)
WORDS = (40, 160)  # dev6, dev7: words per line
# dev8: Dutch originals of 90-170 words; translations run longer (French up to 200)
WORDS_OF = {"dev8": (90, 210), "dev9": (150, 270), "dev10": (120, 200)}
THEME_SHARE = (0.09, 0.40)


def fail(message: str) -> None:
    """Stop with a message that names the problem."""
    sys.exit(f"dev3_check: {message}")


def read_jsonl(path: Path, keys: list[str], infix: str) -> list[dict]:
    """Read a JSONL set and check keys, ids, languages, labels and text."""
    rows, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            fail(f"{path.name} line {n} is not JSON: {e}")
        if list(row) != keys:
            fail(f"{path.name} line {n}: keys {list(row)}, expected {keys}")
        pid, lang, labels = row["id"], row["lang"], row["labels"]
        if lang not in LANGS or not re.fullmatch(rf"{lang}-{infix}-\d{{3}}", pid):
            fail(f"{path.name} line {n}: bad id or lang ({pid}, {lang})")
        if pid in seen:
            fail(f"{path.name}: duplicate id {pid}")
        if any(t not in THEMES for t in labels) or len(set(labels)) != len(labels):
            fail(f"{pid}: unknown or repeated label in {labels}")
        if not row["text"].strip() or not row["source"].strip():
            fail(f"{pid}: empty text or source")
        if PII.search(row["text"]):
            fail(f"{pid}: text contains something that looks like personal data")
        seen.add(pid)
        rows.append(row)
    return rows


def split_labels(cell: str) -> frozenset[str]:
    """Parse a TSV label cell: comma-separated themes, '' or '-' for no theme."""
    labels = frozenset(t for t in cell.split(",") if t and t != "-")
    if labels - set(THEMES):
        fail(f"unknown theme in TSV cell {cell!r}")
    return labels


def read_passes(path: Path, key: str, expected: dict[str, frozenset[str]]) -> dict[str, dict]:
    """Read pass1/pass2/final per item and check final against the JSONL labels."""
    with path.open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    passes = {r[key]: {c: split_labels(r[c]) for c in ("pass1", "pass2", "final")} for r in table}
    if len(table) != len(passes) or set(passes) != set(expected):
        fail(f"{path.name} does not have exactly one row per item")
    for r in table:
        p = passes[r[key]]
        if p["final"] != expected[r[key]]:
            fail(f"{path.name}: {r[key]} final labels differ from the JSONL")
        if p["pass1"] != p["pass2"] and not r["note"].strip():
            fail(f"{path.name}: {r[key]} passes disagree but there is no note")
    return passes


def check_report() -> tuple[list[dict], dict[str, dict]]:
    """Validate the report set and return its rows and per-group passes."""
    keys = ["id", "lang", "group", "text", "labels", "source"]
    rows = read_jsonl(HERE / f"{REPORT}.jsonl", keys, R_INFIX)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        if row["group"] != row["id"].split("-", 1)[1]:
            fail(f"{row['id']}: group {row['group']} does not match the id")
        groups.setdefault(row["group"], []).append(row)
    if len(groups) != GROUPS:
        fail(f"expected {GROUPS} groups, got {len(groups)}")
    labels = {}
    for name, members in groups.items():
        if sorted(r["lang"] for r in members) != sorted(LANGS):
            fail(f"{name}: needs exactly one line per language")
        if len({tuple(sorted(r["labels"])) for r in members}) != 1:
            fail(f"{name}: the three languages carry different labels")
        if len({r["source"] for r in members}) != 1:
            fail(f"{name}: the three languages carry different sources")
        labels[name] = frozenset(members[0]["labels"])
    passes = read_passes(HERE / f"{REPORT}_labels.tsv", "group", labels)
    return rows, passes


def check_spoken() -> tuple[list[dict], dict[str, dict]]:
    """Validate the spoken set and return its rows and per-passage passes."""
    keys = ["id", "lang", "text", "labels", "source"]
    rows = read_jsonl(HERE / f"{SPOKEN}.jsonl", keys, S_INFIX)
    per_lang = Counter(r["lang"] for r in rows)
    if any(per_lang[lang] != PER_LANG for lang in LANGS):
        fail(f"{SPOKEN}: expected {PER_LANG} passages per language, got {dict(per_lang)}")
    labels = {r["id"]: frozenset(r["labels"]) for r in rows}
    passes = read_passes(HERE / f"{SPOKEN}_labels.tsv", "id", labels)
    return rows, passes


def check_prevalence(name: str, items: list[frozenset[str]]) -> None:
    """Fail when the no-theme share or a theme's share is outside the planned range."""
    n = len(items)
    none = sum(not labels for labels in items) / n
    if not NONE_SHARE[0] <= none <= NONE_SHARE[1]:
        fail(f"{name}: no-theme share {none:.0%} outside {NONE_SHARE}")
    for theme in THEMES:
        share = sum(theme in labels for labels in items) / n
        if not THEME_SHARE[0] <= share <= THEME_SHARE[1]:
            fail(f"{name}: {theme} on {share:.0%} of items, outside {THEME_SHARE}")


def kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two binary codings of the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def print_counts(title: str, rows: list[dict]) -> None:
    """Print per-language theme counts, no-theme and multi-theme counts."""
    print(f"\n{title}\n")
    print("| lang | items | " + " | ".join(THEMES) + " | no theme | 2+ themes |")
    print("| --- " * (len(THEMES) + 4) + "|")
    for lang in (*LANGS, "all"):
        sub = [r for r in rows if lang in ("all", r["lang"])]
        c = Counter(t for r in sub for t in r["labels"])
        none = sum(not r["labels"] for r in sub)
        multi = sum(len(r["labels"]) > 1 for r in sub)
        cells = " | ".join(f"{c[t]} ({100 * c[t] / len(sub):.0f}%)" for t in THEMES)
        share = f"{none} ({100 * none / len(sub):.0f}%)"
        print(f"| {lang} | {len(sub)} | {cells} | {share} | {multi} |")


def print_agreement(title: str, passes: dict[str, dict]) -> None:
    """Print pass 1 vs pass 2 agreement per theme and on the whole label set."""
    items = sorted(passes)
    print(f"\n{title} ({len(items)} items)\n")
    print("| theme | pass 1 | pass 2 | final | agree | kappa |")
    print("| --- | --- | --- | --- | --- | --- |")
    for theme in THEMES:
        a = [theme in passes[i]["pass1"] for i in items]
        b = [theme in passes[i]["pass2"] for i in items]
        f = sum(theme in passes[i]["final"] for i in items)
        agree = sum(x == y for x, y in zip(a, b, strict=True))
        print(f"| {theme} | {sum(a)} | {sum(b)} | {f} | {agree}/{len(items)} | {kappa(a, b):.2f} |")
    same = sum(passes[i]["pass1"] == passes[i]["pass2"] for i in items)
    print(f"\nIdentical label sets in both passes: {same}/{len(items)}")


def read_coder2(path: Path, key: str, passes: dict[str, dict]) -> dict[str, dict]:
    """Read a second coder's table and check it against the labels TSV's final labels."""
    with path.open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f, delimiter="\t"))
    cols = ("coder2", "writer", "adjudicated")
    coded = {r[key]: {c: split_labels(r[c]) for c in cols} for r in table}
    if len(table) != len(coded) or set(coded) != set(passes):
        fail(f"{path.name} does not have exactly one row per item")
    for r in table:
        c, final = coded[r[key]], passes[r[key]]["final"]
        if c["adjudicated"] != final:
            fail(f"{path.name}: {r[key]} adjudicated labels differ from the labels TSV's final")
        if c["writer"] != final and c["coder2"] == c["writer"]:
            fail(f"{path.name}: {r[key]} final changed although both coders agree")
        if c["coder2"] != c["writer"] and not r["note"].strip():
            fail(f"{path.name}: {r[key]} coders disagree but there is no adjudication note")
        if c["coder2"] and not r["reason"].strip():
            fail(f"{path.name}: {r[key]} coder 2 gave a label without a reason")
    return coded


def print_coder2(title: str, coded: dict[str, dict]) -> None:
    """Print writer vs second coder agreement per theme, identical sets and disagreements."""
    items = sorted(coded)
    print(f"\n{title} ({len(items)} items)\n")
    print("| theme | writer | coder 2 | adjudicated | agree | kappa |")
    print("| --- | --- | --- | --- | --- | --- |")
    for theme in THEMES:
        a = [theme in coded[i]["writer"] for i in items]
        b = [theme in coded[i]["coder2"] for i in items]
        f = sum(theme in coded[i]["adjudicated"] for i in items)
        agree = sum(x == y for x, y in zip(a, b, strict=True))
        print(f"| {theme} | {sum(a)} | {sum(b)} | {f} | {agree}/{len(items)} | {kappa(a, b):.2f} |")
    differ = [i for i in items if coded[i]["writer"] != coded[i]["coder2"]]
    print(f"\nIdentical label sets: {len(items) - len(differ)}/{len(items)}")
    for i in differ:
        w, c, a = (sorted(coded[i][k]) for k in ("writer", "coder2", "adjudicated"))
        print(f"  {i}: writer {w}, coder 2 {c}, adjudicated {a}")
    changed = sum(len(coded[i]["adjudicated"] ^ coded[i]["writer"]) for i in items)
    print(f"Labels changed by adjudication (vs the writer's final): {changed}")


def check_dev6_extra(rows: list[dict], passes: dict[str, dict], name: str) -> None:
    """Report-only sets: words per line (`WORDS`, `WORDS_OF`); dev6 35-45 % no theme,
    originals in nl, no literal theme name; dev7 40-50 % no theme, originals 8 each in nl,
    fr and en; dev8 38-46 %, originals in nl; dev9 38-46 %, 16 nl and 8 fr originals; dev10
    38-46 %, 16 fr and 8 nl originals."""
    none_share, original, no_literal = REPORT_ONLY[name]
    for r in rows:
        n = len(r["text"].split())
        low, high = WORDS_OF.get(name, WORDS)
        if not low <= n <= high:
            fail(f"{r['id']}: {n} words, outside {(low, high)}")
        if not no_literal:
            continue
        low = r["text"].lower()
        for word in (
            "afhankelijk",
            "dépendan",
            "dependen",
            "privacy",
            "vie privée",
            "uitbested",
            "sous-trait",
            "outsourc",
            "rolverwarring",
            "confusion des rôles",
            "role confusion",
        ):
            if word in low:
                fail(f"{r['id']}: literal theme word {word!r}")
    none = sum(not p["final"] for p in passes.values()) / len(passes)
    if not none_share[0] <= none <= none_share[1]:
        fail(f"no-theme share {none:.0%} outside {none_share}")
    with (HERE / f"{REPORT}_labels.tsv").open(encoding="utf-8", newline="") as f:
        originals = Counter(r["original_language"] for r in csv.DictReader(f, delimiter="\t"))
    if isinstance(original, dict) and dict(originals) != original:
        fail(f"{name} originals are {dict(originals)}, not {original}")
    if isinstance(original, str) and set(originals) != {original}:
        fail(f"every {name} original is {original}")
    if original is None and set(originals.values()) != {GROUPS // 3}:
        fail(f"{name} originals are a third in each language, not {dict(originals)}")
    words = [len(r["text"].split()) for r in rows]
    print(f"words per line: min {min(words)}, max {max(words)}, mean {sum(words) / len(words):.0f}")


def main() -> None:
    """Run every check, then print the tables."""
    global REPORT, R_INFIX, GROUPS, SPOKEN, S_INFIX, PER_LANG
    name = sys.argv[1] if len(sys.argv) > 1 else "dev3"
    REPORT, R_INFIX, GROUPS, SPOKEN, S_INFIX, PER_LANG = SETS[name]
    report_rows, report_passes = check_report()
    check_prevalence(f"{REPORT} (groups)", [p["final"] for p in report_passes.values()])
    orig = Counter()
    with (HERE / f"{REPORT}_labels.tsv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            orig[r["original_language"]] += 1
    print(f"{REPORT}.jsonl: {len(report_rows)} lines, {GROUPS} groups, valid")
    print("original language: " + ", ".join(f"{k} {orig[k]}" for k in LANGS))
    if SPOKEN is None:
        check_dev6_extra(report_rows, report_passes, name)
        print_counts(f"{REPORT}: final labels per line", report_rows)
        print_agreement(f"{REPORT}: pass 1 vs pass 2 per group", report_passes)
        report_coded = read_coder2(HERE / f"{REPORT}_coder2.tsv", "group", report_passes)
        print_coder2(f"{REPORT}: writer (final) vs second coder per group", report_coded)
        return
    spoken_rows, spoken_passes = check_spoken()
    check_prevalence(SPOKEN, [frozenset(r["labels"]) for r in spoken_rows])
    print(f"{SPOKEN}.jsonl: {len(spoken_rows)} passages, valid")
    print_counts(f"{REPORT}: final labels per line", report_rows)
    print_agreement(f"{REPORT}: pass 1 vs pass 2 per group", report_passes)
    print_counts(f"{SPOKEN}: final labels per passage", spoken_rows)
    print_agreement(f"{SPOKEN}: pass 1 vs pass 2 per passage", spoken_passes)
    report_coded = read_coder2(HERE / f"{REPORT}_coder2.tsv", "group", report_passes)
    spoken_coded = read_coder2(HERE / f"{SPOKEN}_coder2.tsv", "id", spoken_passes)
    print_coder2(f"{REPORT}: writer (final) vs second coder per group", report_coded)
    print_coder2(f"{SPOKEN}: writer (final) vs second coder per passage", spoken_coded)


if __name__ == "__main__":
    main()
