"""Incident sheets: record, edit, count and theme the second source of a study.

Every save checks the free-text fields (procedure, barriers, narrative) for
personal data, like transcripts: a sheet must not name anyone, and findings
go to the study's review queue.
"""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import allowed, study_action
from app.models import Consequence, IncidentSheet, Theme, WorkerAction
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import (
    ValidationError,
    as_id,
    as_number,
    clean_date,
    clean_long_text,
    clean_text,
)

bp = Blueprint("incidents", __name__, url_prefix="/studies/<int:study_id>/incidents")

# Suggestions shown in the form (free text is allowed: the field is a kind, never a name).
ORGANISATIONS = (
    "CPAS/OCMW",
    "commune / gemeente",
    "ONEM/RVA, Actiris, VDAB, FOREM",
    "SPF Finances / FOD Financiën",
    "mutualité / ziekenfonds",
    "bank",
    "energy supplier",
    "school",
    "other",
)
CHANNELS = (
    "online form",
    "app",
    "itsme / eID",
    "eBox",
    "phone only",
    "online appointment only",
    "e-mail",
    "other",
)
ACTION_NAMES = {
    WorkerAction.INFORMED: _l("informed the person"),
    WorkerAction.WITH_PERSON: _l("did it with the person"),
    WorkerAction.INSTEAD: _l("did it in their place"),
    WorkerAction.OWN_MEANS: _l("used own device or credentials"),
}
CONSEQUENCE_NAMES = {
    Consequence.NONE: _l("none"),
    Consequence.DELAY: _l("delay"),
    Consequence.LOSS: _l("loss or suspension of a benefit"),
    Consequence.PENALTY: _l("penalty"),
    Consequence.GAVE_UP: _l("gave up"),
    Consequence.NON_TAKE_UP: _l("non-take-up of a right"),
}


def _choice(enum_type, value, field: str, message):
    try:
        return enum_type(value)
    except ValueError:
        raise ValidationError(message, field) from None


FIELD_LABELS = {
    "occurred_on": _l("Date of the incident"),
    "organisation": _l("Organisation concerned (a kind, never a name)"),
    "procedure": _l("Procedure or right at stake"),
    "channel": _l("Channel imposed"),
    "barriers": _l("Barriers met"),
    "worker_action": _l("What the worker did"),
    "minutes_spent": _l("Time spent (minutes)"),
    "consequence": _l("Consequence for the person"),
    "personal_data_involved": _l("Personal data or consent were involved"),
    "narrative": _l("What happened (no names, no numbers, no addresses)"),
    "themes": _l("Themes"),
}


def _stored(sheet: IncidentSheet) -> dict:
    return {name: getattr(sheet, name) for name in FIELD_LABELS}


def _shown(values: dict) -> dict:
    """Return {field label: value as the conflict page shows it}."""
    shown = {}
    for name, label in FIELD_LABELS.items():
        value = values[name]
        if name == "worker_action":
            value = ACTION_NAMES[value]
        elif name == "consequence":
            value = CONSEQUENCE_NAMES[value]
        elif name == "personal_data_involved":
            value = _l("yes") if value else _l("no")
        elif name == "themes":
            ordered = sorted(value, key=lambda theme: (theme.position, theme.id))
            value = ", ".join(theme.label(str(get_locale())) for theme in ordered)
        elif value is None:
            value = ""
        shown[label] = value
    return shown


def save_incident(study_id: int, form, *, user_id: int, sheet: IncidentSheet | None = None):
    """Create or update a sheet from form values; scan its texts for personal data.

    An update must come from the sheet's current `version` (StaleEdit otherwise).
    """
    from app.privacy.scan import scan_incident

    fields = {
        "occurred_on": clean_date(form.get("occurred_on"), "occurred_on"),
        "organisation": clean_text(form.get("organisation"), "organisation", max_length=120),
        "procedure": clean_text(form.get("procedure"), "procedure", max_length=200, required=False),
        "channel": clean_text(form.get("channel"), "channel", max_length=60),
        "barriers": clean_long_text(form.get("barriers"), "barriers", max_length=5000),
        "worker_action": _choice(
            WorkerAction,
            form.get("worker_action"),
            "worker_action",
            _l("Choose what the worker did."),
        ),
        "consequence": _choice(
            Consequence,
            form.get("consequence"),
            "consequence",
            _l("Choose the consequence for the person."),
        ),
        "personal_data_involved": form.get("personal_data_involved") == "1",
        "narrative": clean_long_text(form.get("narrative"), "narrative", max_length=10_000),
    }
    minutes = form.get("minutes_spent", "").strip()
    fields["minutes_spent"] = as_number(minutes, default=-1, maximum=100_000) if minutes else None
    if fields["minutes_spent"] == -1:
        raise ValidationError(_l("Give the time spent in whole minutes."), "minutes_spent")
    ids = {as_id(value) for value in form.getlist("themes")} - {None}
    themes = list(db.session.execute(db.select(Theme).where(Theme.id.in_(ids))).scalars())
    if len(themes) != len(ids) or any(theme.study_id != study_id for theme in themes):
        raise ValidationError(_l("Choose themes of this study."), "themes")
    if sheet is None:
        sheet = IncidentSheet(study_id=study_id, created_by_id=user_id)
        db.session.add(sheet)
        action = "incident.create"
    else:
        claim_version(
            sheet,
            form.get("version"),
            lambda: differences(_shown(_stored(sheet)), _shown(fields | {"themes": themes})),
        )
        action = "incident.edit"
    for name, value in fields.items():
        setattr(sheet, name, value)
    sheet.themes = themes
    db.session.flush()
    scan_incident(sheet)
    record(action, sheet, user_id=user_id, study_id=study_id)
    return sheet


def incident_counts(sheets: list[IncidentSheet]) -> dict[str, list[tuple[str, int]]]:
    """Count sheets per organisation, channel, worker action, consequence and theme."""
    counts = {
        "organisation": Counter(s.organisation for s in sheets),
        "channel": Counter(s.channel for s in sheets),
        "worker_action": Counter(str(ACTION_NAMES[s.worker_action]) for s in sheets),
        "consequence": Counter(str(CONSEQUENCE_NAMES[s.consequence]) for s in sheets),
        "theme": Counter(theme.id for s in sheets for theme in s.themes),
    }
    return {name: counter.most_common() for name, counter in counts.items()}


def _sheet(sheet_id: int) -> IncidentSheet:
    sheet = db.session.get(IncidentSheet, sheet_id)
    if sheet is None or sheet.study_id != g.study.id:
        abort(404)
    return sheet


def _page(form=None, error=None, status=200, editing: IncidentSheet | None = None, conflict=None):
    sheets = list(
        db.session.execute(
            db.select(IncidentSheet)
            .filter_by(study_id=g.study.id)
            .order_by(IncidentSheet.occurred_on.desc(), IncidentSheet.id.desc())
        ).scalars()
    )
    return render_template(
        "incidents/index.html",
        study=g.study,
        sheets=sheets,
        counts=incident_counts(sheets),
        themes=g.study.themes,
        organisations=ORGANISATIONS,
        channels=CHANNELS,
        actions=ACTION_NAMES,
        consequences=CONSEQUENCE_NAMES,
        form=form or {},
        error=error,
        editing=editing,
        conflict=conflict,
        can_edit=allowed(g.membership.role, "incident.edit"),
    ), status


@bp.get("/")
@study_action("incident.view")
def index(study_id: int):
    """The study's incident sheets, their counts, and a form to add one."""
    return _page()


def _warn_personal_data(sheet_id: int) -> None:
    """Flash a non-blocking warning when the sheet's texts hold personal-data findings."""
    from app.privacy.queue import save_warning

    warning = save_warning("incident", [sheet_id])
    if warning:
        flash(warning, "pii")


@bp.post("/")
@study_action("incident.edit")
def create(study_id: int):
    """Record an incident sheet."""
    try:
        sheet = save_incident(study_id, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        return _page(form=request.form, error=error, status=422)
    db.session.commit()
    flash(_("Incident sheet recorded."), "success")
    _warn_personal_data(sheet.id)
    return redirect(url_for("incidents.index", study_id=study_id), code=303)


@bp.route("/<int:sheet_id>", methods=["GET", "POST"])
@study_action("incident.edit")
def edit(study_id: int, sheet_id: int):
    """Edit an incident sheet."""
    sheet = _sheet(sheet_id)
    if request.method == "GET":
        return _page(editing=sheet)
    try:
        save_incident(study_id, request.form, user_id=current_user.id, sheet=sheet)
    except StaleEdit as conflict:
        db.session.rollback()
        current = _sheet(sheet_id)
        # The form keeps what this person sent; saving it again replaces the saved sheet.
        form = request.form.copy()
        form["version"] = str(current.version)
        return _page(form=form, status=409, editing=current, conflict=conflict)
    except ValidationError as error:
        db.session.rollback()
        return _page(form=request.form, error=error, status=422, editing=_sheet(sheet_id))
    db.session.commit()
    flash(_("Incident sheet saved."), "success")
    _warn_personal_data(sheet_id)
    return redirect(url_for("incidents.index", study_id=study_id), code=303)


@bp.post("/<int:sheet_id>/delete")
@study_action("incident.edit")
def delete(study_id: int, sheet_id: int):
    """Delete an incident sheet."""
    sheet = _sheet(sheet_id)
    record("incident.delete", sheet, user_id=current_user.id, study_id=study_id)
    db.session.delete(sheet)
    db.session.commit()
    flash(_("Incident sheet deleted."), "success")
    return redirect(url_for("incidents.index", study_id=study_id), code=303)
