"""The theme sweep: how many passages to review to find 80 % of a theme, and update speed.

    python bench/theme_sweep.py [--data bench/data/themes_eval.jsonl ...] [--passages 1000]

(1) Simulation, per labelled file and per theme: a facilitator reviews passages in the
    order the tool gives and decides each one as the labels say, until 80 % of the
    theme's passages are found. Three orders:
    - sweep: `ThemeSweep` refitted after every decision (the page's behaviour);
    - static: the zero-shot score of the theme, never updated (ties in random order);
    - random: a random order (the mean over 20 seeds; the expectation is ~80 % of all).
    Reported: passages reviewed, and as a share of the file.
    /work/wt-data/bench/data/report_eval.jsonl (report prose, another register) is
    read from there when it exists.
(2) Speed, on a study of `--passages` passages (recombined dev sentences, about 70
    words each): features once (lemmas are cached by the app, so they are not
    counted), then one update = fit on the decisions so far + score every passage +
    rank + expected remaining, after 5, 20, 50 and 100 decisions; median of 20 runs.
    The same through the web app: one accept or reject POST on a 1,000-passage SQLite
    study (features cached in the process, as after the page's first load).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import (  # noqa: E402
    ThemeSweep,
    default_codebook,
    prepare_many,
    sweep_items,
    sweep_matrix,
)

SEED = 20261206
TARGET = 0.8
ESTIMATE_AT = (10, 20, 40)
DEFAULT_DATA = [
    ROOT / "bench/data/themes_eval.jsonl",
    Path("/work/wt-data/bench/data/report_eval.jsonl"),
]


def load(path: Path) -> list[dict]:
    """Read labelled passages: {"id", "lang", "text", "labels"} per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def needed(order: list[int], positive: np.ndarray) -> int:
    """Return how many passages of `order` are reviewed to find TARGET of the positives."""
    goal = int(np.ceil(TARGET * positive.sum()))
    found = 0
    for count, row in enumerate(order, start=1):
        found += bool(positive[row])
        if found >= goal:
            return count
    return len(order)


def simulate_sweep(matrix, positive: np.ndarray, **params) -> tuple[int, dict[int, float]]:
    """Review in the sweep's order, refitting after each decision.

    Returns the count, and the error of the "estimated still to find" figure (estimate
    minus the true number of theme passages not reviewed yet) after 10, 20 and 40.
    """
    goal = int(np.ceil(TARGET * positive.sum()))
    decisions: dict = {}
    errors: dict[int, float] = {}
    found = 0
    while found < goal or len(decisions) <= max(ESTIMATE_AT):
        sweep = ThemeSweep(**params).fit(matrix, decisions)
        if len(decisions) in ESTIMATE_AT:
            truth = sum(
                bool(p) for i, p in zip(matrix.ids, positive, strict=True) if i not in decisions
            )
            errors[len(decisions)] = sweep.expected_remaining() - truth
        ranked = sweep.ranking(limit=1)
        if not ranked:
            break
        row = matrix.ids.index(ranked[0].id)
        decisions[ranked[0].id] = bool(positive[row])
        found += bool(positive[row])
        if found >= goal and "count" not in errors:
            errors["count"] = len(decisions)
    return int(errors.pop("count", len(decisions))), errors


def simulate_static(prior: np.ndarray, positive: np.ndarray, seeds: int = 20) -> float:
    """Review by zero-shot score alone (ties shuffled); mean count over seeds."""
    counts = []
    for seed in range(seeds):
        tie = np.random.default_rng(SEED + seed).permutation(len(prior))
        order = sorted(range(len(prior)), key=lambda row: (-prior[row], tie[row]))
        counts.append(needed(order, positive))
    return statistics.mean(counts)


def simulate_random(positive: np.ndarray, seeds: int = 20) -> float:
    """Review in random order; mean count over seeds."""
    rng = np.random.default_rng(SEED)
    return statistics.mean(
        needed(list(rng.permutation(len(positive))), positive) for _ in range(seeds)
    )


def recall_table(path: Path, params: dict) -> None:
    """Print, per theme, the passages reviewed to find 80 % with each order."""
    rows = load(path)
    codebook = default_codebook()
    keys = [theme.key for theme in codebook]
    prepared = prepare_many([row["text"] for row in rows])
    items = sweep_items(codebook, list(enumerate(prepared)))
    print(f"\n{path.name}: {len(rows)} passages, find {TARGET:.0%} of each theme's passages")
    print(f"{'theme':<16}{'positives':>10}{'sweep':>14}{'static':>14}{'random':>14}")
    totals = {"sweep": 0.0, "static": 0.0, "random": 0.0}
    estimates = []
    for key in keys:
        positive = np.array([key in row["labels"] for row in rows])
        if not positive.any():
            continue
        matrix = sweep_matrix(items, keys, key)
        count, errors = simulate_sweep(matrix, positive, **params)
        estimates.append((key, errors))
        counts = {
            "sweep": count,
            "static": simulate_static(matrix.prior, positive),
            "random": simulate_random(positive),
        }
        for name, value in counts.items():
            totals[name] += value
        cells = "".join(f"{value:>7.0f} ({value / len(rows):>4.0%})" for value in counts.values())
        print(f"{key:<16}{int(positive.sum()):>10}{cells}")
    cells = "".join(f"{value:>14.0f}" for value in totals.values())
    print(f"{'all themes':<16}{'':>10}{cells}")
    print("'estimated still to find' minus the truth, after 10 / 20 / 40 reviewed:")
    for key, errors in estimates:
        print(f"  {key:<16}" + " / ".join(f"{errors[n]:+.0f}" for n in ESTIMATE_AT))


def study_texts(passages: int) -> list[str]:
    """Return `passages` texts of about 70 words recombined from the dev sentences."""
    import random
    import re

    rng = random.Random(SEED)
    pools: dict[str, list[str]] = {}
    for row in load(ROOT / "bench/data/themes_dev.jsonl"):
        pools.setdefault(row["lang"], []).extend(re.split(r"(?<=[.!?])\s+", row["text"]))
    texts = []
    for _ in range(passages):
        pool = pools[rng.choice(sorted(pools))]
        chosen: list[str] = []
        while sum(len(s.split()) for s in chosen) < 70:
            chosen.append(rng.choice(pool))
        texts.append(" ".join(chosen))
    return texts


def speed(passages: int) -> None:
    """Print the time of one update (fit + score + rank) on a study of `passages`."""
    codebook = default_codebook()
    keys = [theme.key for theme in codebook]
    texts = study_texts(passages)
    prepared = prepare_many(texts)
    # Imports happen once per process (about 2 s for scikit-learn): not part of an update.
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    begin = time.perf_counter()
    items = sweep_items(codebook, list(enumerate(prepared)))
    features = time.perf_counter() - begin
    begin = time.perf_counter()
    matrix = sweep_matrix(items, keys, "privacy")
    stacking = time.perf_counter() - begin
    print(f"\nspeed, {passages} passages of ~70 words (lemmas cached, as in the app)")
    print(f"features of every passage, once: {features * 1000:.0f} ms")
    print(f"matrix for one theme, once per passage set: {stacking * 1000:.0f} ms")
    rng = np.random.default_rng(SEED)
    order = list(rng.permutation(passages))
    for count in (5, 20, 50, 100):
        decisions = {int(i): bool(k % 3 == 0) for k, i in enumerate(order[:count])}
        times = []
        for _ in range(20):
            begin = time.perf_counter()
            sweep = ThemeSweep().fit(matrix, decisions)
            sweep.ranking(limit=10)
            sweep.expected_remaining()
            times.append(time.perf_counter() - begin)
        print(
            f"one update after {count:>3} decisions:"
            f" median {statistics.median(times) * 1000:.1f} ms,"
            f" max {max(times) * 1000:.1f} ms"
        )


def app_speed(passages: int) -> None:
    """Print the time of one decision POST through the web app (SQLite, test client)."""
    import tempfile

    from app import create_app
    from app.models import GroupSession, Passage, SpeakerKind, Study, Theme
    from app.platform.database import upgrade_schema
    from app.platform.extensions import db
    from app.studies.studies import create_study

    texts = study_texts(passages)
    with tempfile.TemporaryDirectory() as folder:
        config = {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "LOAD_DEMO": False,
            "AUTO_UPGRADE": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
        app = create_app(config)
        upgrade_schema(app)
        from app.accounts.users import create_user

        with app.app_context():
            user = create_user("bench@example.org", "Bench", password="correct horse battery")
            study = create_study("Bench", "", "fr", owner_id=user.id)
            db.session.flush()
            group_session = GroupSession(study_id=study.id, number=1, language="fr")
            db.session.add(group_session)
            for position, text in enumerate(texts, start=1):
                db.session.add(
                    Passage(
                        group_session=group_session,
                        phase=5,
                        position=position,
                        text=text,
                        speaker_kind=SpeakerKind.FACILITATOR,
                        speaker_label="A",
                    )
                )
            db.session.commit()
            study_id = study.id
            theme_id = db.session.execute(
                db.select(Theme.id).where(Theme.study_id == study_id, Theme.key == "privacy")
            ).scalar_one()
            assert db.session.get(Study, study_id)
        client = app.test_client()
        login = {"email": "bench@example.org", "password": "correct horse battery"}
        client.post("/login", data=login)
        base = f"/studies/{study_id}/sweep/{theme_id}"
        begin = time.perf_counter()
        first = client.get(base)
        assert first.status_code == 200, first.status_code
        print(
            f"\nweb app, {passages} passages (SQLite): first page load (lemmatises, caches) "
            f"{(time.perf_counter() - begin) * 1000:.0f} ms"
        )
        times = []
        for step in range(30):
            state = client.get(f"{base}/state").get_json()
            current = state["current"]
            begin = time.perf_counter()
            response = client.post(
                f"{base}/decide",
                data={
                    "passage_id": current["id"],
                    "text_hash": current["text_hash"],
                    "decision": "accept" if step % 3 == 0 else "reject",
                },
                headers={"Accept": "application/json"},
            )
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.get_data(as_text=True)
        print(
            f"one decision POST (store, refit, rescore, render), 30 decisions: "
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, nargs="*", default=DEFAULT_DATA)
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    args = parser.parse_args()
    print(f"theme sweep bench, {time.strftime('%Y-%m-%d')}")
    if not args.skip_recall:
        for path in args.data:
            if path.exists():
                recall_table(path, {})
            else:
                print(f"\n{path}: not there, skipped")
    if not args.skip_speed:
        speed(args.passages)
        app_speed(args.passages)


if __name__ == "__main__":
    main()
