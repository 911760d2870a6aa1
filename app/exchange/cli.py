"""Command line for exports and imports (issue 7), the same code as the download buttons.

    flask --app app export docx --study ID -o report.docx [--language fr] [--session N]...
    flask --app app export qdpx|qdc|csv|xlsx|matrices --study ID -o FILE
    flask --app app export study ID -o study.zip
    flask --app app import study FILE [--owner EMAIL]
    flask --app app import qdpx FILE --owner EMAIL [--language fr]
    flask --app app import taguette FILE --study ID --coder EMAIL [--check]

Every export is audit-logged like a download; output files are written
atomically (a temporary file renamed at the end), so a failed export never
leaves a half-written file that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

from app.accounts.audit import record_event
from app.accounts.users import find_user
from app.coding.retrieval import SegmentFilters
from app.models import Study
from app.platform.extensions import db
from app.platform.forms import ValidationError

export = AppGroup("export", help="Export a study: Word report, REFI-QDA, spreadsheets, archive.")
import_ = AppGroup("import", help="Import a study archive or a REFI-QDA project.")

STUDY = click.option("--study", "study_id", required=True, type=int, help="Study id.")
OUTPUT = click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write."
)
SHEET_LANGUAGE = click.option(
    "--language",
    type=click.Choice(["nl", "fr", "en"]),
    help="Language of the headers, phase names and theme labels (default: the study's).",
)


def _study(study_id: int) -> Study:
    study = db.session.get(Study, study_id)
    if study is None:
        raise click.ClickException(f"No study with id {study_id}.")
    return study


def _write(output: str, data: bytes) -> None:
    target = Path(output)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {target} ({len(data):,} bytes).")


def _audit(study_id: int, fmt: str) -> None:
    record_event(
        "export." + fmt, "study", study_id, user_id=None, study_id=study_id, details={"cli": True}
    )
    db.session.commit()


@export.command("docx")
@STUDY
@OUTPUT
@click.option("--language", type=click.Choice(["nl", "fr", "en"]), default=None)
@click.option("--session", "sessions", multiple=True, type=int, help="Session number (repeat).")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False), help="Styles .docx.")
@click.option("--override-pii", is_flag=True, help="Export despite open personal-data findings.")
def export_docx(study_id, output, language, sessions, reference, override_pii):
    """The Word thematic synthesis report."""
    from app.exchange.reports import ReportRefused, build_report

    study = _study(study_id)
    numbers = set(sessions)
    session_ids = [s.id for s in study.group_sessions if s.number in numbers]
    if numbers and len(session_ids) != len(numbers):
        raise click.ClickException("One of the --session numbers is not a session of the study.")
    try:
        data = build_report(
            study.id,
            language=language or study.language,
            session_ids=session_ids or None,
            reference_docx=Path(reference).read_bytes() if reference else None,
            override_pii=override_pii,
        )
    except ReportRefused as refused:
        db.session.rollback()
        lines = "\n  ".join(refused.problems)
        raise click.ClickException(
            f"The report was not made:\n  {lines}\n"
            "Review the findings (personal data page) or pass --override-pii (audit-logged)."
        ) from refused
    db.session.commit()  # the report's audit events
    _write(output, data)


@export.command("qdpx")
@STUDY
@OUTPUT
def export_qdpx_command(study_id, output):
    """The study as a REFI-QDA project (.qdpx)."""
    from app.exchange.qdpx import export_qdpx

    data = export_qdpx(_study(study_id), user_id=None)
    _audit(study_id, "qdpx")
    _write(output, data)


@export.command("qdc")
@STUDY
@OUTPUT
@click.option("--language", type=click.Choice(["nl", "fr", "en"]), default=None)
def export_qdc_command(study_id, output, language):
    """The codebook as a REFI-QDA codebook (.qdc)."""
    from app.exchange.codebook_files import codebook_entries
    from app.exchange.codebook_qdc import export_qdc

    study = _study(study_id)
    data = export_qdc(codebook_entries(study.id), language=language or study.language)
    _audit(study_id, "qdc")
    _write(output, data)


@export.command("csv")
@STUDY
@OUTPUT
@SHEET_LANGUAGE
def export_csv_command(study_id, output, language):
    """The coded segments (only quotable ones) as CSV."""
    from app.exchange.spreadsheets import segments_csv

    study = _study(study_id)
    data = segments_csv(study_id, SegmentFilters(), language=language or study.language)
    _audit(study_id, "segments")
    _write(output, data)


@export.command("xlsx")
@STUDY
@OUTPUT
@click.option("--matrices", is_flag=True, help="The theme matrices instead of the segments.")
@SHEET_LANGUAGE
def export_xlsx_command(study_id, output, matrices, language):
    """The coded segments (or, with --matrices, the theme matrices) as XLSX."""
    from app.exchange.spreadsheets import matrix_xlsx, segments_xlsx

    language = language or _study(study_id).language
    if matrices:
        data = matrix_xlsx(study_id, language=language)
    else:
        data = segments_xlsx(study_id, SegmentFilters(), language=language)
    _audit(study_id, "matrices" if matrices else "segments")
    _write(output, data)


@export.command("study")
@click.argument("study_id", type=int)
@OUTPUT
def export_study_command(study_id, output):
    """Everything of a study as one versioned archive (restore with `import study`)."""
    from app.exchange.archive.export import export_study_archive

    _study(study_id)
    data = export_study_archive(study_id)
    _audit(study_id, "archive")
    _write(output, data)


def _owner_id(email: str | None) -> int | None:
    if email is None:
        return None
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    return user.id


@import_.command("study")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--owner", "owner_email", default=None, help="Make this account an owner.")
def import_study_command(archive, owner_email):
    """Restore a study archive as a new study; print its id."""
    from app.exchange.archive.restore import import_study_archive

    try:
        restored = import_study_archive(Path(archive).read_bytes(), owner_id=_owner_id(owner_email))
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(restored.study_id)


@import_.command("qdpx")
@click.argument("project", type=click.Path(exists=True, dir_okay=False))
@click.option("--owner", "owner_email", required=True, help="The new study's owner.")
@click.option("--language", type=click.Choice(["nl", "fr", "en"]), default="fr")
def import_qdpx_command(project, owner_email, language):
    """Create a study from a REFI-QDA project; print its id and what could not be mapped."""
    from app.exchange.qdpx import import_qdpx

    path = Path(project)
    try:
        result = import_qdpx(
            path.read_bytes(),
            filename=path.name,
            owner_id=_owner_id(owner_email),
            language=language,
        )
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(result.study.id)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@import_.command("taguette")
@click.argument("highlights", type=click.Path(exists=True, dir_okay=False))
@STUDY
@click.option("--coder", "coder_email", required=True, help="The account the codings are by.")
@click.option(
    "--check", is_flag=True, help="Check the file and say what it would do; store nothing."
)
def import_taguette_command(highlights, study_id, coder_email, check):
    """Code a study's passages from Taguette's highlights export (.csv or .xlsx)."""
    from app.exchange.taguette import HighlightsError, import_highlights

    path = Path(highlights)
    try:
        result = import_highlights(
            _study(study_id),
            path.read_bytes(),
            filename=path.name,
            coder_id=_owner_id(coder_email),
            store=not check,
        )
    except ValidationError as error:
        db.session.rollback()
        problems = getattr(error, "problems", []) if isinstance(error, HighlightsError) else []
        raise click.ClickException("\n".join([str(error.message), *problems])) from error
    if check:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would add" if check else "added"
    click.echo(f"{verb} {result.codings} codings, {len(result.themes_created)} new themes")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
