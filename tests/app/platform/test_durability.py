"""Nothing lost on a crash: SIGKILLed writers, integrity checks, online backup and restore."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.models import GroupSession, Participant, Passage, SpeakerKind, Study
from app.platform.database import upgrade_schema
from app.platform.extensions import db
from app.studies.studies import create_study
from tests.conftest import BASE_CONFIG

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sqlite_file(tmp_path):
    """A migrated SQLite database with one study and one passage."""
    path = tmp_path / "crash.sqlite3"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    upgrade_schema(app)
    with app.app_context():
        from app.accounts.users import create_user

        owner = create_user("crash@example.org", "Crash", password="x" * 12)
        study = create_study("Crash", "", "fr", owner_id=owner.id)
        group_session = GroupSession(study=study, number=1, language="fr")
        participant = Participant(study=study, pseudonym="Amina", pseudonym_key="amina")
        db.session.add(
            Passage(
                group_session=group_session,
                phase=3,
                position=1,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=participant,
                text="Une dame est venue au CPAS pour son dossier. " * 5,
            )
        )
        db.session.commit()
        engine = db.engine
    engine.dispose()
    return path


def test_killed_writers_lose_no_acknowledged_coding(sqlite_file):
    """20 writers killed with SIGKILL mid-stream: the file stays intact, every ack is stored."""
    rng = random.Random(20261128)
    acknowledged: set[int] = set()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _round in range(20):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.app.platform.crash_writer", f"sqlite:///{sqlite_file}"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert writer.stdout.readline().strip() == "ready"
        for _ in range(rng.randint(1, 40)):
            acknowledged.add(int(writer.stdout.readline()))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        connection = sqlite3.connect(sqlite_file)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in connection.execute("SELECT id FROM coding")}
        connection.close()
        assert acknowledged <= stored
    assert len(acknowledged) >= 20


def test_backup_while_running_and_restore(sqlite_file, tmp_path):
    """`flask backup` copies a live database; `flask restore` brings that state back."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{sqlite_file}",
        "MAGWB_LOAD_DEMO": "0",
        "SECRET_KEY": "backup-test",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    copy = tmp_path / "backup.sqlite3"
    result = subprocess.run(
        [*flask, "backup", str(copy)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(sqlite_file)
    with connection:
        connection.execute("DELETE FROM passage")
    connection.close()
    result = subprocess.run(
        [*flask, "restore", str(copy)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "--yes" in result.stderr
    result = subprocess.run(
        [*flask, "restore", "--yes", str(copy)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(sqlite_file)
    assert connection.execute("SELECT count(*) FROM passage").fetchone()[0] == 1
    connection.close()


def test_restore_refuses_a_damaged_backup(sqlite_file, tmp_path):
    """A damaged backup file is refused and the database is left as it was."""
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(sqlite_file.read_bytes()[:4096] + b"\0" * 4096)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{sqlite_file}",
        "MAGWB_LOAD_DEMO": "0",
        "SECRET_KEY": "backup-test",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "restore", "--yes", str(damaged)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    connection = sqlite3.connect(sqlite_file)
    assert connection.execute("SELECT count(*) FROM passage").fetchone()[0] == 1
    connection.close()


def _env(sqlite_file) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{sqlite_file}",
        "MAGWB_LOAD_DEMO": "0",
        "SECRET_KEY": "backup-test",
    }


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_wal_and_backups_are_private_to_the_service_user(tmp_path):
    """Even under umask 022, the database, its WAL and a backup are 0600 in a 0700 folder."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)  # as an operator or an older version left it
    path = folder / "magwb.sqlite3"
    previous = os.umask(0o022)
    try:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        upgrade_schema(app)
        with app.app_context():
            db.session.add(Study(title="Private"))
            db.session.commit()
            assert _mode(folder) == 0o700
            for name in ("magwb.sqlite3", "magwb.sqlite3-wal", "magwb.sqlite3-shm"):
                assert _mode(folder / name) == 0o600, name
            db.engine.dispose()
    finally:
        os.umask(previous)
    copy = tmp_path / "backup.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "backup", str(copy)],
        cwd=ROOT,
        env=_env(path),
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    assert _mode(copy) == 0o600


@pytest.mark.parametrize("kind", ["text", "other-sqlite"])
def test_restore_of_something_else_gives_the_documented_message(sqlite_file, tmp_path, kind):
    """A non-SQLite file or another program's SQLite database: a clear message, no traceback."""
    other = tmp_path / "other.sqlite3"
    if kind == "text":
        other.write_text("Ceci n'est pas une base de données.\n" * 200)
    else:
        connection = sqlite3.connect(other)
        connection.execute("CREATE TABLE notes (x)")
        connection.close()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "restore", "--yes", str(other)],
        cwd=ROOT,
        env=_env(sqlite_file),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "nothing was changed" in result.stderr
    connection = sqlite3.connect(sqlite_file)
    assert connection.execute("SELECT count(*) FROM passage").fetchone()[0] == 1
    connection.close()


def test_restore_refuses_while_the_app_has_the_database_open(sqlite_file, tmp_path):
    """A running app (an open connection) makes restore stop before touching anything."""
    copy = tmp_path / "backup.sqlite3"
    env = _env(sqlite_file)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "backup", str(copy)], cwd=ROOT, env=env, check=True)
    live = sqlite3.connect(sqlite_file)  # what a running app's pool holds
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("SELECT count(*) FROM passage").fetchone()
    try:
        result = subprocess.run(
            [*flask, "restore", "--yes", str(copy)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        live.close()
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "in use" in result.stderr and "Nothing was changed" in result.stderr
