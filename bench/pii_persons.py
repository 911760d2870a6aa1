"""Recall and false positives of the person-name detector on a labelled nl/fr set.

`bench/data/pii_persons.jsonl`: sentences with the names they hold (exact strings) and
decoy sentences with none (institutions, places, sentence-initial words, products such as
itsme or MyMinfin). A name counts as found when a person finding has exactly its span; a
finding that overlaps a name without matching it is "partial" (a wrong span: replacing it
would damage the text); any other person finding is a false positive. Decoy false
identifiers are the false positives on decoy sentences.

Run: .venv/bin/python bench/pii_persons.py [--split dev|eval|all]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.pii import find_persons  # noqa: E402

DATA = ROOT / "bench" / "data" / "pii_persons.jsonl"


def evaluate(rows: list[dict]) -> dict:
    """Return counts over `rows`: names, found, partial, false positives, decoy ones."""
    counts = dict(names=0, found=0, partial=0, false_positives=0, decoy_false=0, missed=[])
    for row in rows:
        text = row["text"]
        gold = [(text.index(name), text.index(name) + len(name)) for name in row["names"]]
        spans = [(f.start, f.end) for f in find_persons(text, language=row["lang"])]
        counts["names"] += len(gold)
        for start, end in gold:
            if (start, end) in spans:
                counts["found"] += 1
            else:
                counts["missed"].append(text[start:end])
                if any(s < end and start < e for s, e in spans):
                    counts["partial"] += 1
        for start, end in spans:
            if (start, end) not in gold and not any(s < end and start < e for s, e in gold):
                counts["false_positives"] += 1
                counts["decoy_false"] += not row["names"]
                if not row["names"]:
                    counts["missed"].append(f"FALSE: {text[start:end]!r}")
    return counts


def main() -> None:
    """Print recall and false positives per language and overall."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "eval", "all"), default="all")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    if args.split != "all":
        rows = [row for row in rows if row["split"] == args.split]
    started = time.perf_counter()
    print(f"split={args.split}")
    for language in ("nl", "fr", None):
        part = [r for r in rows if language in (None, r["lang"])]
        c = evaluate(part)
        decoys = sum(not r["names"] for r in part)
        print(
            f"{language or 'all':>3}: names={c['names']} found={c['found']} "
            f"recall={c['found'] / c['names']:.3f} partial={c['partial']} "
            f"false_positives={c['false_positives']} decoy_sentences={decoys} "
            f"decoy_false_identifiers={c['decoy_false']}"
        )
        if args.verbose and language is None:
            for item in c["missed"]:
                print("   ", item)
    print(f"time: {time.perf_counter() - started:.2f} s (3 passes, name data loaded once)")


if __name__ == "__main__":
    main()
