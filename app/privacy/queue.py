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

from analysis import normalise_text
from app.accounts.audit import record_event
from app.accounts.policy import study_action
from app.models import KnownName, Participant, PiiFinding, Study
from app.platform.edits import StaleEdit, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_text
from app.privacy.replace import dismiss, replace_everywhere
from app.privacy.scan import known_names, scan_study
from app.privacy.texts import field_at, finding_row, finding_text, where

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
            # A passage's speaker label is saved with it, as its own kind of finding.
            PiiFinding.object_type.in_(
                (object_type, "speaker_label") if object_type == "passage" else (object_type,)
            ),
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


def _finding_row(finding: PiiFinding):
    """Return the row a finding is about, only if it belongs to the finding's study."""
    row = finding_row(finding.object_type, finding.object_id)
    if row is None or where(finding.object_type, row)[0] != finding.study_id:
        return None
    return row


def _finding_text(finding: PiiFinding) -> str:
    """Return the current text a finding is about, only if it belongs to the finding's study."""
    row = _finding_row(finding)
    return finding_text(finding.object_type, row) if row is not None else ""


def _context(finding: PiiFinding) -> tuple[str, str, str]:
    """Return (before, found, after) around a finding, from the current text."""
    text = _finding_text(finding)
    start, end = finding.start_offset, finding.end_offset
    return text[max(0, start - 60) : start], text[start:end], text[end : end + 60]


def place_names() -> dict[tuple[str, str], str]:
    """Return the readable (translated) name of each place a finding can be: (kind, field)."""
    return {
        ("passage", "text"): _("passage"),
        ("speaker_label", "speaker_label"): _("speaker label"),
        ("coding", "memo"): _("coding memo"),
        ("narrative", ""): _("story proposal"),
        ("statement", ""): _("synthesis statement"),
        ("statement_answer", "comment"): _("validation comment"),
        ("quote_decision", "rephrasing"): _("quote rephrasing"),
        ("incident", "procedure"): _("incident sheet"),
        ("incident", "barriers"): _("incident sheet"),
        ("incident", "narrative"): _("incident sheet"),
        ("incident", "organisation"): _("incident sheet: organisation"),
        ("incident", "channel"): _("incident sheet: channel"),
        ("group_session", "title"): _("session title"),
        ("group_session", "place"): _("session place"),
        ("validation_round", "title"): _("round title"),
        ("grouping", "label"): _("grouping label"),
        ("grouping", "labels"): _("grouping label"),
        ("grouping", "note"): _("grouping note"),
        ("grouping", "terms"): _("grouping terms"),
        ("consent", "note"): _("consent note"),
        ("study", "title"): _("study title"),
        ("study", "description"): _("study description"),
    }


def _link(kind: str, row) -> str | None:
    """Return the page where the text of a finding's row is seen or edited."""
    study_id, session, _language = where(kind, row)
    if kind == "group_session":
        return url_for("group_sessions.edit", study_id=study_id, session_id=row.id)
    if kind == "statement":
        return url_for("syntheses.statement_page", study_id=study_id, statement_id=row.id)
    if kind in ("statement_answer", "quote_decision", "validation_round"):
        round_id = row.id if kind == "validation_round" else row.link.round_id
        return url_for("rounds.dashboard", study_id=study_id, round_id=round_id)
    if kind == "incident":
        return url_for("incidents.edit", study_id=study_id, sheet_id=row.id)
    if kind == "grouping":
        return url_for("analysis.groupings", study_id=study_id)
    if kind == "consent":
        return url_for("participants.edit", study_id=study_id, participant_id=row.participant_id)
    if session is not None:  # passages, speaker labels, memos, stories
        return url_for("group_sessions.overview", study_id=study_id, session_id=session.id)
    return url_for("studies.overview", study_id=study_id)


def _place(finding: PiiFinding) -> tuple[str, str | None]:
    """Return where a finding is, readable, and the page to fix it on (or None)."""
    row = _finding_row(finding)
    if row is None:
        return "", None
    field = field_at(finding.object_type, row, finding.start_offset)
    name = place_names().get((finding.object_type, field), "")
    return name, _link(finding.object_type, row)


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
        places={f.id: _place(f) for f in findings},
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
    # Normalised as the texts they are looked for in (NFC, no control character: NUL
    # alone made PostgreSQL refuse the save).
    text = normalise_text(request.form.get("names", ""))
    lines = [" ".join(line.split()) for line in text.splitlines()]
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
