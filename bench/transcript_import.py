"""Time and measure transcript imports: storing 1,500 / 2,000 / 10,000 turns, reading large .docx.

Each case runs in a fresh Python process, so its peak resident memory (VmHWM) is its own:
- `store N`: read, map and store an N-turn Markdown transcript in one unit of work (the
  command line's path), then the same file through the web's import job (bounded
  transactions, with its pauses on SQLite);
- `docx N`: read an N-turn .docx with the streaming reader; `python-docx N`: only open the
  same file with python-docx (what the reader did before), for comparison.

Run: .venv/bin/python bench/transcript_import.py   (DATABASE_URL to use PostgreSQL)
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CASES = [
    ("store", 1500),
    ("store", 2000),
    ("store", 10000),
    ("docx", 10000),
    ("docx", 208000),
    ("python-docx", 208000),
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    ),
}


def markdown(turns: int) -> bytes:
    """An N-turn transcript over ten phases, two speakers, ~20 words a turn."""
    words = "le CPAS demande un rendez-vous en ligne mais la dame n'a pas de smartphone ni "
    lines, phase = [], 0
    for i in range(turns):
        if i % max(turns // 10, 1) == 0 and phase < 10:
            phase += 1
            lines.append(f"\n## {phase}. Phase\n")
        lines.append(f"{'Amina' if i % 2 else 'Julien'}: {words}{i}.")
    return "\n".join(lines).encode()


def docx(turns: int) -> bytes:
    """An N-turn Word transcript written directly as XML (python-docx would take minutes)."""
    body = [f"<w:p><w:r><w:t>{escape('## 1. Propositions')}</w:t></w:r></w:p>"]
    words = "le CPAS demande un rendez-vous en ligne mais la dame n'a pas de smartphone"
    words = words.split(" ")
    rng = random.Random(16)  # varied text, so the file compresses as a real one does
    for i in range(turns):
        text = " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(20))
        speaker = "Amina" if i % 2 else "Julien"
        body.append(
            f'<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{speaker}: </w:t></w:r>'
            f"<w:r><w:t>{escape(text)} {i}.</w:t></w:r></w:p>"
        )
    document = f'<w:document xmlns:w="{W}"><w:body>{"".join(body)}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in PARTS.items():
            archive.writestr(name, content)
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def _peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry the parent's over)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(kind: str, turns: int, path: str) -> dict:
    """Run one case in this process; return its numbers."""
    if kind in {"docx", "python-docx"}:
        import docx as python_docx

        from app.capture.formats import parse_docx

        before = _peak_mb()
        data = Path(path).read_bytes()
        start = time.perf_counter()
        try:
            if kind == "docx":
                outcome = f"{len(parse_docx(data, source='big.docx'))} turns"
            else:
                python_docx.Document(io.BytesIO(data))
                outcome = "opened"
        except ValueError as error:
            outcome = f"refused: {str(error)[:90]}"
        return {
            "case": f"{kind} {turns} turns ({len(data) / 2**20:.1f} MB file)",
            "seconds": round(time.perf_counter() - start, 2),
            "peak_mb": round(_peak_mb(), 0),
            "peak_before_mb": round(before, 0),
            "outcome": outcome,
        }
    return _store(turns)


def _store(turns: int) -> dict:
    from app import create_app
    from app.accounts.users import create_user
    from app.capture.formats import speakers
    from app.capture.transcripts import import_sessions, map_speakers, read_files
    from app.jobs.queue import run
    from app.models import ImportDraft, Job, Participant
    from app.platform.config import normalise_database_url
    from app.platform.database import upgrade_schema
    from app.platform.extensions import db
    from app.studies.studies import create_study

    url = normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    )
    config = {"SQLALCHEMY_DATABASE_URI": url, "LOAD_DEMO": False, "SECRET_KEY": "b"}
    app = create_app({**config, "JOBS_MODE": "sync"})
    upgrade_schema(app)
    data = markdown(turns)
    with app.test_request_context():
        user = create_user(f"bench{time.time_ns()}@example.org", "Bench", password="x" * 16)
        study = create_study("Bench", "", "fr", owner_id=user.id)
        people = {
            n: Participant(study=study, pseudonym=n, pseudonym_key=n.lower())
            for n in ("Amina", "Julien")
        }
        db.session.add_all(people.values())
        db.session.commit()
        from app.privacy.scan import ner_pipeline

        ner_pipeline("fr")  # loaded once per process in either path; not the import's cost
        before = _peak_mb()
        start = time.perf_counter()
        parsed = read_files([("long.md", data)], default_phase=None)
        names = speakers(parsed[0][1])
        mapped = map_speakers(study.id, names, {n: f"p:{people[n].id}" for n in names}, {})
        import_sessions(study, parsed, mapped, language="fr", user_id=user.id)
        db.session.commit()
        one_unit = time.perf_counter() - start
        peak_one_unit = _peak_mb()
        draft = ImportDraft(
            study_id=study.id, user_id=user.id, batch="b", filename="long.md", data=data
        )
        job = Job(
            study_id=study.id,
            kind="capture.import",
            created_by_id=user.id,
            params={"batch": "b", "speakers": [f"p:{people[n].id}" for n in names]},
        )
        db.session.add_all([draft, job])
        db.session.commit()
        start = time.perf_counter()
        run(job.id)
        as_job = time.perf_counter() - start
        db.session.refresh(job)
    return {
        "case": f"store {turns} turns ({len(data) // 1024} KiB), {url.split(':')[0]}",
        "seconds": round(one_unit, 2),
        "job_seconds": round(as_job, 2),
        "job": job.status.value,
        "peak_mb": round(peak_one_unit, 0),
        "peak_job_mb": round(_peak_mb(), 0),
        "peak_before_mb": round(before, 0),
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
        return
    folder = Path(tempfile.mkdtemp())
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()}"
    )
    for kind, turns in CASES:
        path = folder / f"{turns}.docx"
        if kind != "store" and not path.exists():
            path.write_bytes(docx(turns))
        result = subprocess.run(  # noqa: S603 (this very script, with our arguments)
            [sys.executable, __file__, "--one", kind, str(turns), str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        numbers = json.loads(result.stdout.strip().splitlines()[-1])
        print(" · ".join(f"{key}: {value}" for key, value in numbers.items()))


if __name__ == "__main__":
    main()
