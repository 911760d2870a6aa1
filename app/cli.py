"""Command-line interface: `flask --app app users|studies|demo ...`.

The database upgrade is Flask-Migrate's `flask --app app db upgrade`.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.accounts.users import adopt_ownerless_studies, create_user, find_user
from app.demo import load_demo
from app.models import Membership, Role, Study, User
from app.platform.extensions import db
from app.platform.files import create_private, private_sqlite
from app.platform.forms import ValidationError, clean_password
from app.studies.studies import create_study

# AppGroup runs each command inside an application context.
users = AppGroup("users", help="Manage accounts.")
studies = AppGroup("studies", help="Manage studies.")
demo = AppGroup("demo", help="The demo study.")
sessions = AppGroup("sessions", help="Group sessions and their transcripts.")


def _fail(error: ValidationError) -> None:
    db.session.rollback()
    raise click.ClickException(str(error.message))


def _user_by_email(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    return user


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.password_option(help="Asked interactively when not given.")
def create_user_command(email: str, display_name: str, admin: bool, password: str) -> None:
    """Create an account with a password.

    The first account that can log in adopts the studies nobody owns (the demo loaded on
    the first start), as the web setup page does: otherwise nobody could reach them.
    """
    first = (
        db.session.execute(db.select(User.id).where(User.password_hash.is_not(None))).first()
        is None
    )
    try:
        user = create_user(
            email,
            display_name,
            password=clean_password(password, password, user_inputs=(email, display_name)),
            is_admin=admin,
        )
    except ValidationError as error:
        _fail(error)
    adopted = adopt_ownerless_studies(user) if first else []
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}>")
    for study in adopted:
        click.echo(f"{user.email} now owns study {study.id} ({study.title}), which had no owner.")


@studies.command("create")
@click.option("--title", required=True)
@click.option("--owner", "owner_email", required=True, help="E-mail address of the owner.")
@click.option("--language", default="fr", show_default=True, type=click.Choice(["nl", "fr", "en"]))
@click.option("--description", default="")
def create_study_command(title: str, owner_email: str, language: str, description: str) -> None:
    """Create a study with the default codebook."""
    owner = _user_by_email(owner_email)
    try:
        study = create_study(title, description, language, owner_id=owner.id)
    except ValidationError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created study {study.id}: {study.title}")


@studies.command("list")
def list_studies_command() -> None:
    """List every study with its id, sessions and owners."""
    for study in db.session.execute(db.select(Study).order_by(Study.id)).scalars():
        owners = (
            db.session.execute(
                db.select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .filter(Membership.study_id == study.id, Membership.role == Role.OWNER)
            )
            .scalars()
            .all()
        )
        click.echo(
            f"{study.id}\t{study.title}\tsessions={len(study.group_sessions)}"
            f"\towners={','.join(owners) or '-'}"
        )


@demo.command("load")
@click.option("--owner", "owner_email", default=None, help="Make this account the demo's owner.")
def load_demo_command(owner_email: str | None) -> None:
    """Load the demo study from sessions/demo/ unless it is already there.

    With --owner, an already loaded demo that nobody owns gets that owner, so it is reachable.
    """
    owner = _user_by_email(owner_email) if owner_email else None
    study = load_demo(owner_id=owner.id if owner else None)
    if study is not None:
        db.session.commit()
        click.echo(f"Loaded the demo study as study {study.id}")
        return
    existing = db.session.execute(
        db.select(Study).where(Study.demo_key.is_not(None)).order_by(Study.id)
    ).scalar()
    owned = (
        existing is not None
        and db.session.execute(
            db.select(Membership.id).filter_by(study_id=existing.id, role=Role.OWNER)
        ).first()
    )
    if owner is not None and existing is not None and not owned:
        db.session.add(Membership(study=existing, user_id=owner.id, role=Role.OWNER))
        db.session.commit()
        click.echo(
            f"The demo study is already loaded (study {existing.id}); {owner.email} now owns it."
        )
        return
    click.echo(
        "The demo study is already loaded"
        + (f" (study {existing.id})." if existing is not None else ".")
        + ("" if owned else " Nobody owns it yet: run `demo load --owner EMAIL`.")
    )


@sessions.command("import")
@click.option("--study", "study_id", required=True, type=int, help="Study id.")
@click.option(
    "--language",
    default=None,
    type=click.Choice(["nl", "fr", "en"]),
    help="Language of the sessions (default: detected from each file's text).",
)
@click.option(
    "--phase",
    "default_phase",
    default=None,
    type=click.IntRange(1, 11),
    help="Phase for subtitle cues before any phase marker.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="NAME=PSEUDONYM",
    help="Store a speaker of the files as this participant.",
)
@click.option(
    "--facilitator",
    "facilitators",
    multiple=True,
    metavar="NAME=LABEL",
    help="Store a speaker of the files as a facilitator with this label.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def import_sessions_command(study_id, language, default_phase, maps, facilitators, files):
    """Import transcript files, one new session each; print the new session ids.

    Speakers whose name is a participant's pseudonym map to that participant;
    map the others with --map or --facilitator. Nothing is stored unless every
    file is valid and every speaker is mapped.
    """
    from pathlib import Path

    from app.capture.formats import speakers as speakers_of
    from app.capture.transcripts import (
        import_sessions,
        known_speakers,
        map_speakers,
        read_files,
    )
    from app.platform.forms import pseudonym_key

    study = db.session.get(Study, study_id)
    if study is None:
        raise click.ClickException(f"No study with id {study_id}.")
    try:
        parsed = read_files(
            [(Path(f).name, Path(f).read_bytes()) for f in files],
            default_phase=default_phase,
            known=known_speakers(study),
        )
        by_key = {p.pseudonym_key: p for p in study.participants}
        choices, labels = {}, {}
        for pair in maps:
            name, _sep, pseudonym = pair.partition("=")
            participant = by_key.get(pseudonym_key(pseudonym.strip()))
            if participant is None:
                raise click.ClickException(f"--map {pair}: no participant {pseudonym!r}.")
            choices[name.strip()] = f"p:{participant.id}"
        for pair in facilitators:
            name, _sep, label = pair.partition("=")
            choices[name.strip()], labels[name.strip()] = "f", label.strip()
        names = speakers_of([t for _n, turns in parsed for t in turns])
        for name in names:
            if name not in choices and pseudonym_key(name) in by_key:
                choices[name] = f"p:{by_key[pseudonym_key(name)].id}"
        mapped = map_speakers(study.id, names, choices, labels)
        created = import_sessions(study, parsed, mapped, language=language, user_id=None)
    except ValidationError as error:
        _fail(error)
    db.session.commit()
    for group_session in created:
        click.echo(group_session.id)


def _sqlite_path() -> str:
    from flask import current_app

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        raise click.ClickException(
            "backup and restore copy the embedded SQLite database; for PostgreSQL use "
            "pg_dump and pg_restore."
        )
    return uri.removeprefix("sqlite:///")


@click.command("backup")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
def backup_command(output: str) -> None:
    """Copy the SQLite database to OUTPUT while the app keeps running (online backup)."""
    import sqlite3

    source = sqlite3.connect(_sqlite_path())
    create_private(Path(output))  # a backup holds every transcript: 0600 from the start
    target = sqlite3.connect(output)
    with target:
        source.backup(target)  # a consistent snapshot, even with writers active
    check = target.execute("PRAGMA integrity_check").fetchone()[0]
    source.close()
    target.close()
    if check != "ok":
        raise click.ClickException(f"The copy failed its integrity check: {check}")
    click.echo(f"Backed up to {output}")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm replacing the current database.")
def restore_command(backup: str, yes: bool) -> None:
    """Replace the SQLite database with BACKUP (stop the app first)."""
    import sqlite3

    if not yes:
        raise click.ClickException("Restoring replaces every study in this database: add --yes.")
    try:
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        schema = source.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('alembic_version', 'study')"
        ).fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise click.ClickException(
            f"{backup} is not a SQLite database or is damaged ({error}); nothing was changed."
        ) from None
    if check != "ok":
        raise click.ClickException(f"{backup} is damaged ({check}); nothing was changed.")
    if schema != 2:
        raise click.ClickException(
            f"{backup} is not a MAG Workbench database; nothing was changed."
        )
    db.engine.dispose()
    path = _sqlite_path()
    _refuse_if_in_use(path)
    target = sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    private_sqlite(Path(path))
    click.echo(f"Restored from {backup}")


def _refuse_if_in_use(path: str) -> None:
    """Refuse to restore under a running app: any other open connection holds the file.

    Leaving WAL mode needs the only connection to the database; if another process
    (the app, a worker) has it open, SQLite says "locked" and nothing is touched.
    """
    import sqlite3

    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        mode = probe.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode == "delete":
            probe.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        mode = "locked"
    finally:
        probe.close()
    if mode != "delete":
        raise click.ClickException(
            "The database is in use (is the app or a worker still running?): stop it, then "
            "restore. Nothing was changed."
        )


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    from app.exchange.cli import export, import_

    for group in (users, studies, demo, sessions, backup_command, restore_command, export, import_):
        app.cli.add_command(group)
