"""Time a codebook file import at the theme limit (1,000 themes), added then updated.

The import stays a single short request: this bench is what says it may (BENCHMARKS.md).
Run: .venv/bin/python bench/codebook_import.py   (DATABASE_URL to use PostgreSQL)
"""

from __future__ import annotations

import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.exchange.codebook_qdc import MAX_THEMES  # noqa: E402
from app.platform.config import normalise_database_url  # noqa: E402
from app.platform.database import upgrade_schema  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402
from tests.conftest import BASE_CONFIG, PASSWORD  # noqa: E402


def main() -> None:
    url = normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    )
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "STRICT_TRANSLATIONS": False}
    app = create_app(config)
    upgrade_schema(app)
    with app.app_context():
        user = create_user(f"b{time.time_ns()}@example.org", "B", password=PASSWORD)
        db.session.commit()
        study = create_study("Bench", "", "fr", owner_id=user.id)
        db.session.commit()
        study_id, email = study.id, user.email
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    rows = ["tag,description"] + [f"theme {i},about {i}" for i in range(MAX_THEMES)]
    body = "\n".join(rows).encode()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()}, "
        f"database {url.split(':')[0]}"
    )
    for what in ("added", "updated"):
        start = time.perf_counter()
        response = client.post(
            f"/studies/{study_id}/codebook/import",
            data={"file": (io.BytesIO(body), "codebook.csv")},
            content_type="multipart/form-data",
        )
        elapsed = time.perf_counter() - start
        print(
            f"{MAX_THEMES} themes {what} ({len(body) // 1024} KiB CSV): {elapsed:.2f} s, "
            f"HTTP {response.status_code}"
        )


if __name__ == "__main__":
    main()
