"""Command line for the analysis package.

    python -m analysis pii --in texts.jsonl --out findings.jsonl [--lang auto] [--names names.txt]
    python -m analysis suggest --in passages.jsonl --out suggestions.jsonl
        [--train labelled.jsonl] [--codebook codebook.json] [--lang auto|nl|fr|en]
    python -m analysis cluster --in passages.jsonl --out groups.jsonl [--k N|auto]
        [--codebook codebook.json]

Input lines are `{"id": ..., "text": ...}`. For `pii` each output line is
`{"id": ..., "findings": [{"kind", "start", "end", "text"}, ...]}`; `suggest` and
`cluster` are described in analysis/README-cli.md. Error messages name the file and
line, never its text: transcripts are special-category data. A failed run leaves no
output file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from analysis.errors import AnalysisError
from analysis.pii import LANGUAGES, detect
from analysis.runs import InputError, run_cluster, run_suggest


def _parse_line(line: str, number: int) -> tuple[object, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"line {number}: not valid JSON ({e.msg})") from e
    if not isinstance(record, dict) or "id" not in record:
        raise InputError(f"line {number}: expected an object with 'id' and 'text'")
    if not isinstance(record.get("text"), str):
        raise InputError(f"line {number}: 'text' must be a string")
    return record["id"], record["text"]


def _write_findings(source, target, *, language: str, names: list[str]) -> None:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        record_id, text = _parse_line(line, number)
        findings = [
            {"kind": f.kind, "start": f.start, "end": f.end, "text": f.text}
            for f in detect(text, language=language, names=names)
        ]
        target.write(json.dumps({"id": record_id, "findings": findings}, ensure_ascii=False))
        target.write("\n")


def run_pii(input_path: Path, output_path: Path, *, language: str, names: list[str]) -> None:
    """Write the findings of every input line, or nothing at all if a line is malformed."""
    # A temporary file beside the target, renamed at the end: a failed run never
    # leaves a partial findings file that looks complete.
    handle, temporary = tempfile.mkstemp(
        dir=output_path.parent, prefix=f".{output_path.name}.", suffix=".tmp"
    )
    try:
        with (
            open(input_path, encoding="utf-8") as source,
            os.fdopen(handle, "w", encoding="utf-8") as target,
        ):
            _write_findings(source, target, language=language, names=names)
        os.replace(temporary, output_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_names(path: Path | None) -> list[str]:
    if path is None:
        return []
    lines = path.read_text(encoding="utf-8").removeprefix("\ufeff").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    pii = commands.add_parser("pii", help="find personal data in a JSON-lines file of texts")
    pii.add_argument("--in", dest="input", type=Path, required=True, help="texts.jsonl")
    pii.add_argument("--out", dest="output", type=Path, required=True, help="findings.jsonl")
    pii.add_argument("--lang", choices=("auto", *LANGUAGES), default="auto")
    pii.add_argument("--names", type=Path, help="UTF-8 file, one person name per line")
    suggest = commands.add_parser("suggest", help="suggest themes for each passage")
    suggest.add_argument("--in", dest="input", type=Path, required=True, help="passages.jsonl")
    suggest.add_argument("--out", dest="output", type=Path, required=True)
    suggest.add_argument("--train", type=Path, help="coded passages: id, text, labels")
    suggest.add_argument("--codebook", type=Path, help="JSON list of themes (default: 4 themes)")
    suggest.add_argument("--lang", choices=("auto", *LANGUAGES), default="auto")
    groups = commands.add_parser("cluster", help="group passages into thematic groupings")
    groups.add_argument("--in", dest="input", type=Path, required=True, help="passages.jsonl")
    groups.add_argument("--out", dest="output", type=Path, required=True, help="groups.jsonl")
    groups.add_argument("--k", type=_k, default="auto", help="number of groups, or 'auto'")
    groups.add_argument("--codebook", type=Path, help="JSON list of themes (default: 4 themes)")
    groups.add_argument(
        "--names", type=Path, help="names never to count or show (pseudonyms), one per line"
    )
    groups.add_argument(
        "--label-language", choices=["nl", "fr", "en"], help="language of the labels"
    )
    return parser


def _k(value: str) -> int | str:
    if value == "auto":
        return value
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise argparse.ArgumentTypeError("must be a positive integer or 'auto'")


def _run(args: argparse.Namespace) -> None:
    if args.command == "pii":
        run_pii(args.input, args.output, language=args.lang, names=_read_names(args.names))
    elif args.command == "suggest":
        run_suggest(
            args.input, args.output, train=args.train, codebook=args.codebook, language=args.lang
        )
    else:
        run_cluster(
            args.input,
            args.output,
            k=args.k,
            codebook=args.codebook,
            names=_read_names(args.names),
            label_language=args.label_language,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except InputError as e:
        sys.stderr.write(f"{e.path or args.input}: {e}\n")
        return 2
    except AnalysisError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    except UnicodeDecodeError:
        sys.stderr.write("input is not valid UTF-8\n")
        return 2
    except OSError as e:
        sys.stderr.write(f"{e.filename or args.input}: {e.strerror}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
