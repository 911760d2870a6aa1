"""Train the shipped prior of the default themes on the dev sets of bench/data.

    python bench/train_prior.py [--data FILE ...] [--out analysis/prior_model.json]

Reads the labelled dev files (every `*.jsonl` of bench/data with theme labels, never a
held-out `*_eval*` file), fits `analysis.prior.train` and writes the model with the
sha256 of each training file, so a test can tell when the data changed and the model
was not trained again. Deterministic: the same files give the same model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis_zeroshot import CHECKED, DEV, NEW_DEV  # noqa: E402

from analysis import default_codebook, prepare_many  # noqa: E402
from analysis.prior import MODEL_PATH, features, train  # noqa: E402

DATA = ROOT / "bench/data"
# The labelled dev sets, in the order they were written: the files analysis_zeroshot.py runs.
TRAINING = DEV + NEW_DEV + CHECKED


def digest(path: Path) -> str:
    """Return the sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(paths: list[Path]) -> dict:
    """Return the trained model (a JSON-safe dict) for labelled files."""
    if any("_eval" in path.name for path in paths):
        sys.exit("held-out files (*_eval*) never train anything")
    documents, labels, groups = [], [], []
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        prepared = prepare_many([row["text"] for row in rows], [row["lang"] for row in rows])
        documents.extend(features(p) for p in prepared)
        labels.extend(frozenset(row["labels"]) for row in rows)
        groups.extend(path.name for _ in rows)
    keys = [theme.key for theme in default_codebook()]
    model = train(documents, labels, groups, keys)
    model["trained_on"] = {path.name: digest(path) for path in paths}
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", type=Path, default=[DATA / n for n in TRAINING])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    model = build(args.data)
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(model['features'])} features, {len(model['themes'])} themes")


if __name__ == "__main__":
    main()
