"""Time the REFI-QDA export (and re-import) of the report benchmark's study.

Target (issue 7): the .qdpx of a study with 20 sessions and 2,000 codings in under 5 s.
The study is the one bench/report_docx.py builds (same seed), in a throwaway SQLite
database unless DATABASE_URL is set.

    .venv/bin/python bench/qdpx_export.py
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_docx import CODINGS, PASSAGES_PER_SESSION, SESSIONS, build  # noqa: E402

from app import create_app  # noqa: E402
from app.exchange.qdpx import export_qdpx, import_qdpx  # noqa: E402
from app.models import Study, User  # noqa: E402
from app.platform.extensions import db  # noqa: E402


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="magwb-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOAD_DEMO": False, "SECRET_KEY": "bench"})
    from app.platform.database import upgrade_schema

    upgrade_schema(app)
    study_id = build(app)
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, database {url.split(':')[0]}"
    )
    print(
        f"study: {SESSIONS} sessions, {SESSIONS * PASSAGES_PER_SESSION} passages, {CODINGS} codings"
    )
    exports, imports = [], []
    with app.app_context():
        owner = db.session.execute(db.select(User.id)).scalars().first()
        for _ in range(3):
            start = time.perf_counter()
            data = export_qdpx(db.session.get(Study, study_id), user_id=None)
            exports.append(time.perf_counter() - start)
            start = time.perf_counter()
            import_qdpx(data, filename="bench.qdpx", owner_id=owner, language="fr")
            imports.append(time.perf_counter() - start)
            db.session.rollback()
    print(f"qdpx: {len(data) // 1024} KiB")
    print(
        "export_qdpx: "
        + ", ".join(f"{s:.2f} s" for s in exports)
        + f" (median {statistics.median(exports):.2f} s; target < 5 s)"
    )
    print(
        "import_qdpx (not committed): "
        + ", ".join(f"{s:.2f} s" for s in imports)
        + f" (median {statistics.median(imports):.2f} s)"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
