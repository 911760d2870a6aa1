"""Groupings across languages: translations together, thematic groups, clean labels.

    python bench/analysis_grouping.py FILE.jsonl [FILE.jsonl ...] [--k auto]
        [--label-language en] [--speakers]

Reads JSONL lines with "id", "lang", "text", "labels" and (for parallel corpora)
"group", which links a passage to its translations. Runs `cluster()` with the default
codebook and no codings (the labels are only the answer key):
- a mixed run of all nl + fr + en passages of each file: share of passages grouped
  with both their translations and with at least one; pair precision (among pairs of
  theme-coded passages in one group, the share that shares a theme; translation pairs
  left out, since they share their labels by construction) against chance (the same
  share over all such pairs), and the ratio; groups and sizes; label terms that are
  stop words, fragments or excluded names; groups flagged as candidate new themes;
- a run per language, with the same measures except translations.
`--speakers` writes each passage as a transcript turn ("Animatrice : qui veut
commencer ? Sophie : ...") with pseudonyms, passes the pseudonyms as `exclude_terms`,
and counts any pseudonym or facilitator label that reaches a label.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import cluster, default_codebook  # noqa: E402
from analysis.concepts import FACILITATOR_LABELS  # noqa: E402
from analysis.nlp import pipeline  # noqa: E402

PSEUDONYMS = "Sophie Lotte Karim Marie-Claire Youssef Anke Pieter Nadia Jef Fatima Bram Élodie"
TURN = {
    "nl": "Begeleider: wat roept dit bij je op? {name}: {text}",
    "fr": "Animatrice : qui veut commencer ? {name} : {text}",
    "en": "Facilitator: who wants to start? {name}: {text}",
}
_SPLIT = re.compile(r"[\s,]+")


def load(paths: list[str]) -> list[dict]:
    """Return the rows of the JSONL files, ids made unique per file."""
    rows = []
    for number, path in enumerate(paths):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["id"] = f"{number}:{row['id']}"
                if "group" in row:
                    row["group"] = f"{number}:{row['group']}"
                rows.append(row)
    return rows


def with_speakers(rows: list[dict]) -> list[dict]:
    """Return rows rewritten as transcript turns with a pseudonym per passage group."""
    names = PSEUDONYMS.split()
    out = []
    for row in rows:
        key = row.get("group", row["id"])
        name = names[sum(map(ord, key)) % len(names)]
        out.append({**row, "text": TURN[row["lang"]].format(name=name, text=row["text"])})
    return out


def pair_precision(groups, labels: dict[str, frozenset], partner: dict[str, str]):
    """Return (precision within groups, chance over all pairs) among coded passages."""

    def share(pairs):
        hits = total = 0
        for a, b in pairs:
            if labels[a] and labels[b] and partner.get(a, a) != partner.get(b, b):
                total += 1
                hits += bool(labels[a] & labels[b])
        return hits / total if total else float("nan")

    within = share(p for g in groups for p in itertools.combinations(g.members, 2))
    chance = share(itertools.combinations(sorted(labels), 2))
    return within, chance


def translation_shares(groups, rows: list[dict]) -> tuple[float, float] | None:
    """Return the shares of passages grouped with all, and with at least one, translation."""
    if not all("group" in row for row in rows):
        return None
    where = {m: n for n, g in enumerate(groups) for m in g.members}
    siblings: dict[str, list[str]] = {}
    for row in rows:
        siblings.setdefault(row["group"], []).append(row["id"])
    both = one = counted = 0
    for row in rows:
        others = [i for i in siblings[row["group"]] if i != row["id"]]
        if not others:
            continue
        counted += 1
        together = [where[i] == where[row["id"]] for i in others]
        both += all(together)
        one += any(together)
    return (both / counted, one / counted) if counted else None


def label_problems(groups, language: str, names: set[str]) -> Counter:
    """Count label terms that are stop words, fragments or excluded names."""
    stop_words = pipeline(language).Defaults.stop_words
    problems: Counter = Counter()
    facilitators = set(FACILITATOR_LABELS.split())
    for group in groups:
        for term in group.terms:
            words = [w for w in _SPLIT.split(term.lower()) if w]
            problems["terms"] += 1
            if term.lower() in stop_words:
                problems["stop word"] += 1
            if any(w in stop_words for w in words):
                problems["term holding a stop word"] += 1
            if any(len(w) < 2 or w[0] in "-'’" or w[-1] in "-'’" for w in words):
                problems["fragment"] += 1
            if any(w in names for w in words) or any(w in facilitators for w in words):
                problems["name or facilitator label"] += 1
    return problems


def run(rows: list[dict], title: str, args) -> None:
    """Cluster `rows` and print the measures."""
    names = {n.lower() for n in PSEUDONYMS.split()}
    texts = with_speakers(rows) if args.speakers else rows
    items = [(row["id"], row["text"]) for row in texts]
    started = time.perf_counter()
    groups = cluster(
        items,
        k=args.k if args.k == "auto" else int(args.k),
        codebook=default_codebook(),
        exclude_terms=PSEUDONYMS.split() if args.speakers else (),
        label_language=args.label_language,
    )
    seconds = time.perf_counter() - started
    labels = {row["id"]: frozenset(row["labels"]) for row in rows}
    partner = {row["id"]: row.get("group", row["id"]) for row in rows}
    within, chance = pair_precision(groups, labels, partner)
    print(f"\n## {title}: {len(rows)} passages, {seconds:.1f} s")
    shares = translation_shares(groups, rows)
    if shares is not None and len({row["lang"] for row in rows}) > 1:
        print(f"with both translations {shares[0]:.0%}, with at least one {shares[1]:.0%}")
    print(f"pair precision {within:.3f}, chance {chance:.3f}, ratio {within / chance:.2f}")
    print(f"groups {len(groups)}, sizes {[len(g.members) for g in groups]}")
    problems = label_problems(groups, args.label_language, names)
    print(
        "label terms {terms}: stop words {sw}, fragments {fr}, names/facilitator labels {nm}"
        " (terms holding a stop word inside a phrase: {inner})".format(
            terms=problems["terms"],
            sw=problems["stop word"],
            fr=problems["fragment"],
            nm=problems["name or facilitator label"],
            inner=problems["term holding a stop word"],
        )
    )
    candidates = sum(g.candidate_new_theme for g in groups)
    print(f"candidate new themes {candidates} of {len(groups)}")
    for group in groups:
        languages = Counter(m.split(":", 1)[1][:2] for m in group.members)
        flag = " [candidate new theme]" if group.candidate_new_theme else ""
        best = f" best={group.best_theme}:{group.theme_overlap.get(group.best_theme, 0):.2f}"
        mix = dict(sorted(languages.items()))
        print(f"  {len(group.members):4} {mix} {group.label}{best}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--k", default="auto")
    parser.add_argument("--label-language", default="en", choices=["nl", "fr", "en"])
    parser.add_argument("--speakers", action="store_true")
    parser.add_argument("--no-single", action="store_true", help="skip the per-language runs")
    args = parser.parse_args()
    rows = load(args.files)
    run(rows, "mixed nl+fr+en", args)
    if not args.no_single:
        for language in sorted({row["lang"] for row in rows}):
            run([r for r in rows if r["lang"] == language], f"{language} only", args)


if __name__ == "__main__":
    main()
