"""Measure the codebook page as the codebook grows: render time and HTML size.

Builds, in a throwaway SQLite database (or DATABASE_URL if given), one study per size
with that many themes (a tenth of them nested under the one before, as imported
codebooks are), logs the owner in and times in-process GETs through the WSGI app
(server time: routing, access checks, queries, rendering; no network):

- the codebook page (GET /studies/<id>/codebook/);
- the edit page of one theme (the codebook page with its form filled);
- the merge-or-delete page of one theme (one list of every other theme, twice).

Run: .venv/bin/python bench/codebook_page.py [sizes, default 60,600,5000]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.models import Theme  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105  (a throwaway bench account)


def build(app, owner_id: int, size: int) -> tuple[int, int]:
    """Create a study whose codebook has `size` themes; return (study id, a theme id)."""
    with app.app_context():
        study = create_study(f"Codebook {size}", "", "fr", owner_id=owner_id)
        db.session.flush()
        have = len(study.themes)
        previous = None
        for n in range(have, size):
            theme = Theme(
                study_id=study.id,
                key=f"theme_{n}",
                position=n,
                label_nl=f"Thema {n}",
                label_fr=f"Thème {n}",
                label_en=f"Theme {n}",
                definition_en=f"What passages about subject {n} have in common.",
                colour="#2471a3",
                seed_terms={"nl": [], "fr": [f"mot{n}"], "en": []},
                parent_id=previous.id if previous is not None and n % 10 == 0 else None,
            )
            db.session.add(theme)
            if n % 10 == 9:
                db.session.flush()
                previous = theme
        db.session.commit()
        middle = (
            db.session.execute(db.select(Theme.id).filter_by(study_id=study.id).order_by(Theme.id))
            .scalars()
            .all()[size // 2]
        )
        return study.id, middle


def timed(client, url: str, repeat: int) -> tuple[list[float], int]:
    samples, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return samples, size


def report(name: str, samples: list[float], size: int) -> None:
    samples = sorted(samples)
    print(
        f"  {name}: {size / 1024:,.0f} KiB, n={len(samples)} "
        f"median={statistics.median(samples):.1f} ms max={samples[-1]:.1f} ms"
    )


def main() -> None:
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "60,600,5000").split(",")]
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
    with app.app_context():
        owner_id = create_user("bench@example.org", "Bench", password=PASSWORD).id
        db.session.commit()
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, database {url.split(':')[0]}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": PASSWORD})
    for size in sizes:
        study_id, theme_id = build(app, owner_id, size)
        repeat = 10 if size <= 1000 else 3
        base = f"/studies/{study_id}/codebook"
        print(f"{size} themes:")
        client.get(f"{base}/")  # warm-up: templates compiled, caches filled
        report("codebook page", *timed(client, f"{base}/", repeat))
        report("edit page", *timed(client, f"{base}/{theme_id}", repeat))
        if client.get(f"{base}/{theme_id}/merge").status_code == 200:
            report("merge-or-delete page", *timed(client, f"{base}/{theme_id}/merge", repeat))


if __name__ == "__main__":
    main()
