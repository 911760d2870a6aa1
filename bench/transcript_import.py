"""Time a full import (read, map, store) of a 3-hour, 30,000-word transcript.

Run: .venv/bin/python bench/transcript_import.py   (DATABASE_URL to use PostgreSQL)
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.capture.formats import speakers  # noqa: E402
from app.capture.transcripts import import_sessions, map_speakers, read_files  # noqa: E402
from app.models import Participant  # noqa: E402
from app.platform.database import upgrade_schema  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402
from tests.app.capture.test_imports import _long_transcript  # noqa: E402


def main() -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOAD_DEMO": False, "SECRET_KEY": "b"})
    upgrade_schema(app)
    data = _long_transcript().encode("utf-8")
    with app.app_context():
        user = create_user("bench@example.org", "Bench", password="bench-password-123")
        study = create_study("Bench", "", "fr", owner_id=user.id)
        people = {
            n: Participant(study=study, pseudonym=n, pseudonym_key=n.lower())
            for n in ("Amina", "Julien")
        }
        db.session.add_all(people.values())
        db.session.commit()
        start = time.perf_counter()
        parsed = read_files([("long.md", data)], default_phase=None)
        names = speakers(parsed[0][1])
        mapped = map_speakers(study.id, names, {n: f"p:{people[n].id}" for n in names}, {})
        import_sessions(study, parsed, mapped, language="fr", user_id=user.id)
        db.session.commit()
        elapsed = time.perf_counter() - start
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, database {url.split(':')[0]}"
    )
    print(
        f"import of {len(data) // 1024} KiB, 30000 words, {len(parsed[0][1])} turns: "
        f"{elapsed:.2f} s (read + map + store + commit)"
    )


if __name__ == "__main__":
    main()
