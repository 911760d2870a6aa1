"""Other members' response times while a 10,000-turn import runs (issue 16).

The scenario of tests/app/capture/test_import_under_load.py on a threaded werkzeug
server over a fresh SQLite file (or DATABASE_URL): OTHER_USERS members of a second
study read its session, list and create codings and open the login page in a loop
while the owner of the first study uploads and imports a long transcript as a job.
Prints the members' p50/p95/max, the owner's request times and the job's duration.

Run: .venv/bin/python bench/import_under_load.py [turns] [baseline seconds]
(with a second argument: no import, the members alone for that long, for comparison)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.models import Membership, Role  # noqa: E402
from app.platform.database import upgrade_schema  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402
from tests.app.capture import test_import_under_load as scenario  # noqa: E402
from tests.conftest import BASE_CONFIG, PASSWORD  # noqa: E402


def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 else scenario.TURNS
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else 0  # seconds of baseline, no import
    from app.platform.config import normalise_database_url

    url = normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    )
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "STRICT_TRANSLATIONS": False}
    app = create_app(config)
    upgrade_schema(app)

    def make_user(email):
        with app.app_context():
            user = create_user(email, email.split("@")[0], password=PASSWORD)
            db.session.commit()
            return user.id

    def make_study(owner, title="Study"):
        with app.app_context():
            study = create_study(title, "", "fr", owner_id=owner)
            db.session.commit()
            return study.id

    def add_member(study_id, user_id, role):
        with app.app_context():
            db.session.add(Membership(study_id=study_id, user_id=user_id, role=Role(role)))
            db.session.commit()

    setup = scenario.prepare(app, make_user, make_study, add_member)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    start = time.perf_counter()
    job, outcome = scenario.import_under_load(app, base, setup, turns=turns, idle=idle)
    elapsed = time.perf_counter() - start
    server.shutdown()
    latencies = sorted(outcome.latencies)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()}, "
        f"database {url.split(':')[0]}"
    )
    print(f"import of {turns} turns: job {job['status']}, upload to done {elapsed:.1f} s")
    for name, seconds in outcome.owner:
        print(f"  owner {name}: {seconds:.1f}")
    print(
        f"{scenario.OTHER_USERS} other members, {len(latencies)} requests, "
        f"{len(outcome.failures)} failures, {len(outcome.acknowledged)} codings stored: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {outcome.p95() * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    for begun, seconds, kind in sorted(outcome.slow):
        print(f"  slow: {kind} at {begun:.1f} took {seconds:.1f} s")
    for kind, times in sorted(outcome.by_request.items()):
        times.sort()
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(
            f"  {kind}: n={len(times)} p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
