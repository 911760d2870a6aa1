"""The personal-data review queue: findings waiting for a facilitator's decision.

Routes on the "privacy" blueprint: the queue page, a study-wide scan, replace or
dismiss one finding, and the list of names the study knows to look for.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.audit import record_event
from app.accounts.policy import study_action
from app.models import (
    Coding,
    IncidentSheet,
    KnownName,
    Narrative,
    Participant,
    Passage,
    PiiFinding,
    QuoteDecision,
    Statement,
    StatementAnswer,
    Study,
)
from app.platform.edits import StaleEdit, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_text
from app.privacy.replace import dismiss, replace_everywhere
from app.privacy.scan import (
    _incident_text,
    known_names,
    narrative_text,
    scan_study,
    statement_text,
)

bp = Blueprint("privacy", __name__, url_prefix="/studies/<int:study_id>/privacy")


PLACEHOLDERS = {
    "person": {"nl": "[NAAM]", "fr": "[NOM]", "en": "[NAME]"},
    "national_number": {
        "nl": "[RIJKSREGISTERNUMMER]",
        "fr": "[NUMÉRO NATIONAL]",
        "en": "[NATIONAL NUMBER]",
    },
    "bis_number": {"nl": "[BISNUMMER]", "fr": "[NUMÉRO BIS]", "en": "[BIS NUMBER]"},
    "iban": {"nl": "[REKENINGNUMMER]", "fr": "[NUMÉRO DE COMPTE]", "en": "[ACCOUNT NUMBER]"},
    "phone": {"nl": "[TELEFOON]", "fr": "[TÉLÉPHONE]", "en": "[PHONE]"},
    "email": {"nl": "[E-MAIL]", "fr": "[COURRIEL]", "en": "[E-MAIL]"},
    "address": {"nl": "[ADRES]", "fr": "[ADRESSE]", "en": "[ADDRESS]"},
}


def kind_names() -> dict[str, str]:
    """Return the readable (translated) name of each kind of finding."""
    return {
        "national_number": _("national register number"),
        "bis_number": _("BIS number"),
        "iban": _("bank account"),
        "phone": _("phone number"),
        "email": _("e-mail address"),
        "address": _("address"),
        "person": _("name"),
    }


def save_warning(object_type: str, object_ids: list[int]) -> str | None:
    """Return the warning to show after saving texts that hold open findings, or None.

    Saving is never blocked (the words were said); the warning says what was found, never
    the text, and the page shows it with a link to the review queue (flash category "pii").
    """
    kinds = db.session.execute(
        db.select(PiiFinding.kind)
        .where(
            PiiFinding.object_type == object_type,
            PiiFinding.object_id.in_(object_ids),
            PiiFinding.status == "open",
        )
        .distinct()
    ).scalars()
    names = kind_names()
    found = sorted({names.get(kind, kind) for kind in kinds})
    if not found:
        return None
    return _(
        "This text may hold personal data (%(kinds)s). It was saved; review it before it "
        "leaves the tool.",
        kinds=", ".join(found),
    )


def open_findings(study_id: int) -> list[PiiFinding]:
    """Return the study's findings still to review, by session and position."""
    return list(
        db.session.execute(
            db.select(PiiFinding)
            .filter_by(study_id=study_id, status="open")
            .order_by(PiiFinding.group_session_id, PiiFinding.object_id, PiiFinding.start_offset)
        ).scalars()
    )


def _finding_text(finding: PiiFinding) -> str:
    """Return the current text a finding is about, only if it belongs to the finding's study."""
    if finding.object_type == "passage":
        source = db.session.get(Passage, finding.object_id)
        owner = source.group_session.study_id if source else None
        text = source.text if source else ""
    elif finding.object_type == "statement":
        source = db.session.get(Statement, finding.object_id)
        owner = source.synthesis.study_id if source else None
        text = statement_text(source.current) if source and source.versions else ""
    elif finding.object_type == "narrative":
        source = db.session.get(Narrative, finding.object_id)
        owner = source.group_session.study_id if source else None
        text = narrative_text(source) if source else ""
    elif finding.object_type == "coding":
        source = db.session.get(Coding, finding.object_id)
        owner = source.passage.group_session.study_id if source else None
        text = source.memo if source else ""
    elif finding.object_type == "incident":
        source = db.session.get(IncidentSheet, finding.object_id)
        owner = source.study_id if source else None
        text = _incident_text(source) if source else ""
    elif finding.object_type == "statement_answer":
        source = db.session.get(StatementAnswer, finding.object_id)
        owner = source.link.round.study_id if source else None
        text = source.comment if source else ""
    elif finding.object_type == "quote_decision":
        source = db.session.get(QuoteDecision, finding.object_id)
        owner = source.link.round.study_id if source else None
        text = source.rephrasing if source else ""
    else:
        return ""
    return text if owner == finding.study_id else ""


def _context(finding: PiiFinding) -> tuple[str, str, str]:
    """Return (before, found, after) around a finding, from the current text."""
    text = _finding_text(finding)
    start, end = finding.start_offset, finding.end_offset
    return text[max(0, start - 60) : start], text[start:end], text[end : end + 60]


@bp.get("/")
@study_action("privacy.review")
def index(study_id: int):
    """Show the personal-data review queue and the private list of known names."""
    return _index_page(study_id)


def names_version(names: list[str]) -> str:
    """Return a digest of a names list: the version the names form was drawn from."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]


def _index_page(study_id: int, *, conflict=None, names: str | None = None, status=200):
    findings = open_findings(study_id)
    stored = known_names(study_id)
    return render_template(
        "privacy/index.html",
        study=g.study,
        findings=findings,
        contexts={f.id: _context(f) for f in findings},
        placeholders=PLACEHOLDERS,
        # After a conflict the form holds this person's list, with the current version.
        names="\n".join(stored) if names is None else names,
        names_version=names_version(stored),
        conflict=conflict,
        language=g.study.language,
    ), status


@bp.post("/scan")
@study_action("privacy.review")
def scan(study_id: int):
    """Look for personal data in every passage and memo of the study."""
    count = scan_study(study_id)
    record_event(
        "pii.scan",
        "study",
        study_id,
        user_id=current_user.id,
        study_id=study_id,
        details={"open": count},
    )
    db.session.commit()
    flash(_("Scan finished: %(n)d findings to review.", n=count), "success")
    return redirect(url_for("privacy.index", study_id=study_id))


def _finding(study_id: int, finding_id: int) -> PiiFinding:
    finding = db.session.get(PiiFinding, finding_id)
    if finding is None or finding.study_id != study_id:
        abort(404)
    return finding


@bp.post("/findings/<int:finding_id>")
@study_action("privacy.review")
def resolve(study_id: int, finding_id: int):
    """Replace a finding everywhere in its session (placeholder or pseudonym), or dismiss it."""
    finding = _finding(study_id, finding_id)
    action = request.form.get("action")
    try:
        if action == "dismiss":
            dismiss(finding, user_id=current_user.id)
        elif action == "pseudonym":
            participant = db.session.get(Participant, as_id(request.form.get("participant")) or 0)
            if participant is None or participant.study_id != study_id:
                raise ValidationError(_l("Choose a participant of this study."), "participant")
            replace_everywhere(finding, participant.pseudonym, user_id=current_user.id)
        elif action == "placeholder":
            text = clean_text(request.form.get("placeholder"), "placeholder", max_length=60)
            replace_everywhere(finding, text, user_id=current_user.id)
        else:
            abort(400)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("privacy.index", study_id=study_id)), 303
    db.session.commit()
    flash(_("Done."), "success")
    return redirect(url_for("privacy.index", study_id=study_id))


@bp.post("/names")
@study_action("privacy.review")
def names(study_id: int):
    """Save the private list of real names to look for (one per line)."""
    lines = [" ".join(line.split()) for line in request.form.get("names", "").splitlines()]
    wanted = sorted({line[:120] for line in lines if len(line) >= 2})
    # The list is saved whole: check it is still the one the form showed, or a name
    # another reviewer added meanwhile would silently stop being looked for.
    db.session.execute(db.select(Study.id).where(Study.id == study_id).with_for_update())
    stored = known_names(study_id)
    stale = request.form.get("names_version") != names_version(stored)
    if stale and stored and wanted != sorted(stored):  # an empty list loses nothing
        db.session.rollback()
        label = _("Known real names")
        conflict = StaleEdit(
            None, differences({label: ", ".join(stored)}, {label: ", ".join(wanted)})
        )
        return _index_page(
            study_id, conflict=conflict, names=request.form.get("names", ""), status=409
        )
    db.session.execute(db.delete(KnownName).where(KnownName.study_id == study_id))
    db.session.add_all(KnownName(study_id=study_id, name=name) for name in wanted)
    record_event(
        "pii.names",
        "study",
        study_id,
        user_id=current_user.id,
        study_id=study_id,
        details={"count": len(wanted)},
    )
    db.session.commit()
    flash(_("Names saved. Scan the study to find them."), "success")
    return redirect(url_for("privacy.index", study_id=study_id))
