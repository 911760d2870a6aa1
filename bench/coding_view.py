"""Measure the coding view and coding saves on a large session.

Builds, in a throwaway SQLite database (or DATABASE_URL if given), a session of
about 30,000 words in 500 passages with 1,000 codings, then times in-process
requests through the WSGI app (server time: routing, access checks, queries,
rendering; no network):

- GET the coding view (20 requests after one warm-up);
- GET the same session's overview page and a coded-segment search (20 requests each);
- POST a coding through the JSON API (200 requests).

Each line gives wall-clock times and the median CPU time of this process per request
(steadier than wall time on a shared machine).

Run: .venv/bin/python bench/coding_view.py
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.models import Coding, GroupSession, Participant, Passage, SpeakerKind, Theme  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402

TEXT = (
    "de maatschappelijk werker helpt een mevrouw met haar eBox en itsme omdat het loket "
    "gesloten is en zij geen computer heeft le CPAS demande un rendez-vous en ligne mais "
    "la dame n'a pas de smartphone ni de lecteur de carte eID"
)
WORDS = TEXT.split(" ")


def build(app, passages=500, words_per_passage=60, codings=1000):
    """Create the study, session, passages and codings; return ids."""
    rng = random.Random(42)
    with app.app_context():
        user = create_user("bench@example.org", "Bench", password="bench-password-123")
        study = create_study("Bench", "", "nl", owner_id=user.id)
        group_session = GroupSession(study=study, number=1, language="nl")
        people = [
            Participant(study=study, pseudonym=f"P{i}", pseudonym_key=f"p{i}") for i in range(12)
        ]
        db.session.add_all([group_session, *people])
        rows = []
        for i in range(passages):
            text = " ".join(rng.choice(WORDS) for _ in range(words_per_passage))
            rows.append(
                Passage(
                    group_session=group_session,
                    phase=1 + i % 11,
                    position=i,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=people[i % 12],
                    text=text,
                )
            )
        db.session.add_all(rows)
        db.session.flush()
        themes = db.session.execute(db.select(Theme).filter_by(study_id=study.id)).scalars().all()
        for _ in range(codings):
            passage = rng.choice(rows)
            start = rng.randrange(0, len(passage.text) - 40)
            db.session.add(
                Coding(
                    passage=passage,
                    theme=rng.choice(themes),
                    coder_id=user.id,
                    start_offset=start,
                    end_offset=start + rng.randrange(5, 40),
                )
            )
        db.session.commit()
        total_words = sum(len(p.text.split()) for p in rows)
        return study.id, group_session.id, [p.id for p in rows], total_words


def timed(call, repeat):
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code in (200, 201), response.status_code
    return samples, cpu


def report(name, measured):
    samples, cpu = measured
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(
        f"{name}: n={len(samples)} median={statistics.median(samples):.1f} ms "
        f"p95={p95:.1f} ms max={samples[-1]:.1f} ms cpu median={statistics.median(cpu):.1f} ms"
    )


def main():
    workdir = tempfile.mkdtemp(prefix="magwb-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "LOAD_DEMO": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
        }
    )
    from app.platform.database import upgrade_schema

    upgrade_schema(app)
    study_id, session_id, passage_ids, total_words = build(app)
    load = os.getloadavg()
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, database {url.split(':')[0]}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"session: {len(passage_ids)} passages, {total_words} words, 1000 codings")
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "bench-password-123"})
    view = f"/studies/{study_id}/sessions/{session_id}/code"
    size = len(client.get(view).data)
    report(f"coding view GET ({size // 1024} KiB HTML)", timed(lambda: client.get(view), 20))
    page = f"/studies/{study_id}/sessions/{session_id}"
    size = len(client.get(page).data)
    report(f"session page GET ({size // 1024} KiB HTML)", timed(lambda: client.get(page), 20))
    search = f"/studies/{study_id}/segments?q=smartphone"
    size = len(client.get(search).data)
    report(f"search GET ({size // 1024} KiB HTML)", timed(lambda: client.get(search), 20))
    rng = random.Random(7)

    def save():
        passage_id = rng.choice(passage_ids)
        return client.post(
            f"/api/studies/{study_id}/codings",
            json={"passage_id": passage_id, "start": 0, "end": 10, "theme": "privacy"},
        )

    report("save a coding (POST /api/.../codings)", timed(save, 200))


if __name__ == "__main__":
    main()
