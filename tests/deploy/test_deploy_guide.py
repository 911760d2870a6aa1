"""The commands of docs/deploy.md that run on one machine, run as written (PostgreSQL pass).

Migrations on a fresh database and the backup and restore drill use PostgreSQL's own
tools, so they need the PostgreSQL pass of .ci/run; gunicorn with the repository's
configuration and the worker unit are run by the other tests of this folder on both passes.
"""

from __future__ import annotations

import subprocess
import uuid

import psycopg

from app.models import Study
from app.platform.extensions import db
from tests.deploy.conftest import ROOT, guide_block


def _run(block: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{block}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_upgrade_commands_build_a_fresh_database_to_the_newest_schema(
    postgresql_only, stack_env
):
    """`flask db upgrade` on an empty PostgreSQL database, after the queue check, reaches head."""
    server = postgresql_only.rsplit("/", 1)[0]
    name = f"magwb_fresh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        output = _run(guide_block("upgrade"), {**stack_env, "DATABASE_URL": f"{server}/{name}"})
        assert "(head)" in output
        with psycopg.connect(f"{server}/{name}") as connection:
            tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables")}
        assert {"study", "passage", "coding", "audit_event", "job"} <= tables
    finally:
        _drop(server, name)


def test_the_backup_and_restore_drill_gives_a_database_the_app_reads(
    postgresql_only, app, make_user, make_study, make_passages, stack_env, tmp_path
):
    """pg_dump, pg_restore into a scratch database, then the app lists the same study there."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner, title="Étude « drill » de sauvegarde")
    make_passages(study_id, ["Le guichet est fermé le vendredi."])
    server = postgresql_only.rsplit("/", 1)[0]
    scratch = f"magwb_drill_{uuid.uuid4().hex[:10]}"
    env = {**stack_env, "DATABASE_URL": postgresql_only, "BACKUP": str(tmp_path / "magwb.dump")}
    try:
        _run(guide_block("backup"), env)
        assert (tmp_path / "magwb.dump").stat().st_size > 0
        output = _run(guide_block("restore-drill").replace("magwb_drill", scratch), env)
    finally:
        _drop(server, scratch)
    assert "(head)" in output
    assert (
        f"{study_id}\tÉtude « drill » de sauvegarde\tsessions=1\towners=owner@example.org" in output
    )
    with app.app_context():  # the live database is untouched by the drill
        assert db.session.get(Study, study_id).title == "Étude « drill » de sauvegarde"
