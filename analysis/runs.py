"""The `suggest` and `cluster` commands: read JSON lines, run, write atomically.

Formats are in analysis/README-cli.md. Every input line is checked before any work
starts; a malformed line raises `InputError` naming the file and line (never its
text), and no output file is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from analysis.cluster import cluster
from analysis.codebook import ThemeSpec, codebook_from_json, default_codebook
from analysis.suggest import Example, ThemeSuggester


class InputError(Exception):
    """A line of an input file cannot be read as a record."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def read_records(path: Path, *, labelled: bool = False) -> list[tuple[int, dict]]:
    """Read a JSON-lines file of {"id", "text"} (and "labels" when `labelled`).

    Returns (line number, record) pairs; blank lines are skipped.
    """
    records, seen = [], set()
    with open(path, encoding="utf-8-sig") as source:
        for number, line in enumerate(source, start=1):
            if line.strip():
                record = _record(line, number, labelled=labelled, path=path)
                key = json.dumps(record["id"], sort_keys=True)
                if key in seen:
                    raise InputError(f"line {number}: id repeats an earlier line", path)
                seen.add(key)
                records.append((number, record))
    return records


def _record(line: str, number: int, *, labelled: bool, path: Path) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"line {number}: not valid JSON ({e.msg})", path) from e
    if not isinstance(record, dict) or "id" not in record:
        raise InputError(f"line {number}: expected an object with 'id' and 'text'", path)
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        raise InputError(f"line {number}: 'id' must be a string or an integer", path)
    if not isinstance(record.get("text"), str):
        raise InputError(f"line {number}: 'text' must be a string", path)
    for field in ("labels", "rejected"):
        value = record.get(field, [])
        if field == "labels" and labelled and field not in record:
            raise InputError(f"line {number}: 'labels' (a list of theme keys) is missing", path)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"line {number}: '{field}' must be a list of theme keys", path)
    return record


def write_lines(output_path: Path, lines: Iterable[dict]) -> None:
    """Write JSON lines to a temporary file beside `output_path`, then rename it."""
    # A failed run never leaves a partial file that looks complete.
    handle, temporary = tempfile.mkstemp(
        dir=output_path.parent, prefix=f".{output_path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as target:
            for line in lines:
                target.write(json.dumps(line, ensure_ascii=False))
                target.write("\n")
        os.replace(temporary, output_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _codebook(path: Path | None) -> list[ThemeSpec]:
    return codebook_from_json(path) if path is not None else default_codebook()


def _examples(path: Path, keys: set[str]) -> list[Example]:
    examples = []
    for number, record in read_records(path, labelled=True):
        unknown = sorted((set(record["labels"]) | set(record.get("rejected", []))) - keys)
        if unknown:
            raise InputError(f"line {number}: unknown theme key {unknown[0]!r}", path)
        examples.append(
            Example(
                record["id"],
                record["text"],
                frozenset(record["labels"]),
                frozenset(record.get("rejected", [])),
            )
        )
    return examples


def run_suggest(
    input_path: Path,
    output_path: Path,
    *,
    train: Path | None = None,
    codebook: Path | None = None,
    language: str = "auto",
) -> None:
    """Suggest themes for every passage of `input_path`; write one line per passage."""
    themes = _codebook(codebook)
    records = [record for _, record in read_records(input_path)]
    examples = _examples(train, {t.key for t in themes}) if train is not None else []
    suggester = ThemeSuggester(themes, examples).fit()
    results = suggester.suggest([(r["id"], r["text"]) for r in records], language=language)
    write_lines(output_path, (result.to_dict() for result in results))


def run_cluster(
    input_path: Path,
    output_path: Path,
    *,
    k: int | str = "auto",
    codebook: Path | None = None,
    names: Sequence[str] = (),
    label_language: str | None = None,
) -> None:
    """Group the passages of `input_path`; write one line per group.

    Input lines that carry "labels" count as coded with those themes; `names` never
    count and never appear in a label.
    """
    themes = _codebook(codebook)
    records = [record for _, record in read_records(input_path)]
    coded = {r["id"]: r["labels"] for r in records if "labels" in r}
    groups = cluster(
        [(r["id"], r["text"]) for r in records],
        k,
        themes,
        coded,
        exclude_terms=names,
        label_language=label_language,
    )
    write_lines(output_path, (group.to_dict() for group in groups))
