"""Speed and memory of theme suggestions and clustering on 10,000 passages.

    python bench/analysis_speed.py [--passages 10000] [--words 70]

Builds passages of about `--words` words by recombining sentences of
bench/data/themes_dev.jsonl (fixed seed, one language per passage), and 500 labelled
passages by joining pairs of labelled dev passages. Times, in one process:
(1) a bare spaCy pass: spacy.blank + lookup lemmatizer, nlp.pipe over the same texts;
(2) prepare + suggest for all passages with a model learned from the 500;
(3) clustering all passages (k="auto"), from the texts and from prepared passages.
Prints passages per second, the ratio to the bare pass (target <= 3), clustering
seconds (target < 30 s) and peak memory (ru_maxrss; target < 1.5 GB).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import (  # noqa: E402
    Example,
    ThemeSuggester,
    cluster,
    default_codebook,
    prepare,
    prepare_many,
)

SEED = 20261128
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def build(rows: list[dict], passages: int, words: int) -> tuple[list[str], list[str]]:
    """Return (texts, languages) recombined from the sentences of `rows`."""
    rng = random.Random(SEED)
    pools: dict[str, list[str]] = {}
    for row in rows:
        pools.setdefault(row["lang"], []).extend(_SENTENCE.split(row["text"]))
    languages = sorted(pools)
    texts, langs = [], []
    for _ in range(passages):
        language = rng.choice(languages)
        chosen, count = [], 0
        while count < words:
            sentence = rng.choice(pools[language])
            chosen.append(sentence)
            count += len(sentence.split())
        texts.append(" ".join(chosen))
        langs.append(language)
    return texts, langs


def labelled(rows: list[dict], count: int) -> list[Example]:
    """Return `count` examples, each two dev passages joined, with both label sets."""
    rng = random.Random(SEED + 1)
    by_language: dict[str, list[dict]] = {}
    for row in rows:
        by_language.setdefault(row["lang"], []).append(row)
    examples = []
    for number in range(count):
        pool = by_language[sorted(by_language)[number % len(by_language)]]
        first, second = rng.sample(pool, 2)
        examples.append(
            Example(
                f"train-{number}",
                f"{first['text']} {second['text']}",
                frozenset(first["labels"]) | frozenset(second["labels"]),
            )
        )
    return examples


class Clock:
    """Wall and CPU seconds of a block (CPU time is robust to other load on the machine)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def bare_pass(texts: list[str], langs: list[str]) -> Clock:
    """Time spacy.blank + lookup lemmatizer over the texts (pipelines loaded beforehand)."""
    import spacy

    pipelines = {}
    for language in sorted(set(langs)):
        nlp = spacy.blank(language)
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        nlp("warm up")
        pipelines[language] = nlp
    batches = {
        language: [t for t, lang in zip(texts, langs, strict=True) if lang == language]
        for language in pipelines
    }
    with Clock() as clock:
        for language, nlp in pipelines.items():
            for doc in nlp.pipe(batches[language], batch_size=256):
                len(doc)
    return clock


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=70)
    parser.add_argument("--data", type=Path, default=ROOT / "bench/data/themes_dev.jsonl")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line]
    texts, langs = build(rows, args.passages, args.words)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} passages, {words} words ({words / len(texts):.0f} per passage)")

    started = time.perf_counter()
    for language in ("nl", "fr", "en"):
        prepare("warm up the pipeline", language)
    print(f"pipeline loading (nl, fr, en; once per process): {time.perf_counter() - started:.1f} s")

    examples = labelled(rows, 500)
    with Clock() as clock:
        suggester = ThemeSuggester(default_codebook(), examples).fit()
    regimes = sorted(set(suggester.regimes_.values()))
    print(f"fit on {len(examples)} labelled passages: {clock} (regimes: {regimes})")

    # Three runs each; the first fills the caches (lemmas per word form, term
    # candidates). The ratio uses the fastest run of each: on a shared 2-core VM single
    # runs vary by +-40 %, and the minimum is the least noisy estimate (as timeit does).
    bare_runs, suggest_runs = [], []
    for run in range(1, 4):
        bare = bare_pass(texts, langs)
        with Clock() as prepare_clock:
            prepared = prepare_many(texts)
        with Clock() as suggest_clock:
            results = suggester.suggest(list(zip(range(len(texts)), prepared, strict=True)))
        wall = prepare_clock.wall + suggest_clock.wall
        bare_runs.append(bare.wall)
        suggest_runs.append(wall)
        print(
            f"run {run}: (1) bare spaCy lookup-lemmatizer pass {bare};"
            f" (2) prepare + suggest {wall:.1f} s wall,"
            f" {prepare_clock.cpu + suggest_clock.cpu:.1f} s CPU"
            f" (of which prepare, with language detection: {prepare_clock})"
        )
    suggested = sum(len(r.suggested()) for r in results)
    best_bare, best_suggest = min(bare_runs), min(suggest_runs)
    print(f"(1) bare pass, fastest run: {best_bare:.1f} s, {len(texts) / best_bare:.0f} passages/s")
    print(
        f"(2) prepare + suggest, fastest run: {best_suggest:.1f} s,"
        f" {len(texts) / best_suggest:.0f} passages/s, {suggested} suggestions"
    )
    ratios = [s / b for s, b in zip(suggest_runs, bare_runs, strict=True)]
    print(
        f"    ratio to the bare pass: {best_suggest / best_bare:.2f}x fastest runs"
        f" (per run: {', '.join(f'{r:.2f}x' for r in ratios)}); target <= 3x"
    )

    with Clock() as from_texts:
        groups = cluster(list(enumerate(texts)), "auto", default_codebook())
    with Clock() as from_prepared:
        cluster(list(enumerate(prepared)), "auto", default_codebook())
    sizes = [len(g.members) for g in groups]
    print(
        f"(3) cluster: {from_texts} from texts (target < 30 s);"
        f" {from_prepared} from prepared passages; {len(groups)} groups, sizes {sizes}"
    )
    print(f"peak memory (ru_maxrss): {peak_mb():.0f} MB (target < 1536 MB)")


if __name__ == "__main__":
    main()
