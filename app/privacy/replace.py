"""Replacing personal data everywhere it is stored, and closing findings.

A replacement rewrites every passage of the session that holds the words (codings
stay on their words, the passage history is scrubbed too), the study's syntheses, and
the analysis cache; a finding is closed as replaced or dismissed, with an audit event.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from analysis.anchoring import reanchor
from analysis.pii import name_span
from app.accounts.audit import record, record_event
from app.models import (
    Coding,
    Grouping,
    GroupSession,
    IncidentSheet,
    Narrative,
    Passage,
    PassageRevision,
    PiiFinding,
    QuoteDecision,
    Statement,
    StatementAnswer,
    StatementVersion,
    Synthesis,
    ValidationLink,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.privacy.scan import (
    INCIDENT_FIELDS,
    _statement_versions,
    scan_incident,
    scan_passages,
    scan_statement,
)


def _count_save(record, counter: str = "version") -> None:
    """Count a rewrite as a save: an edit form drawn before it is stale (platform/edits).

    Otherwise saving that form would silently put the replaced personal data back.
    """
    setattr(record, counter, getattr(record, counter) + 1)


def _literal(replacement: str) -> str:
    """Escape a replacement for `re.sub`: a typed "\\1" is text, not a group reference."""
    return replacement.replace("\\", "\\\\")


def _replace_in_passage(passage: Passage, pattern: re.Pattern, new: str) -> int:
    new_text = pattern.sub(new, passage.text)
    if new_text == passage.text:
        return 0
    return _rewrite(passage, new_text)


def _words_to_replace(finding: PiiFinding) -> str:
    """Return what a replacement may touch: the finding's text, for a person only the name.

    The replacement reaches the history, so a word next to the name would be lost for good.
    """
    if finding.kind != "person":
        return finding.text
    span = name_span(finding.text)
    if span is None:
        raise ValidationError(_l("This finding holds no name to replace. Dismiss it instead."))
    return finding.text[span[0] : span[1]]


def replace_words_in_study(study_id: int, word: str, replacement: str) -> int:
    """Replace a whole word in every passage, revision, memo and narrative of a study."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    replacement = _literal(replacement)
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
        memo = pattern.sub(replacement, coding.memo or "")
        if memo != coding.memo:
            coding.memo = memo
            _count_save(coding, "memo_version")
    for narrative in db.session.execute(
        db.select(Narrative).join(GroupSession).where(GroupSession.study_id == study_id)
    ).scalars():
        title = pattern.sub(replacement, narrative.title)
        summary = pattern.sub(replacement, narrative.summary or "")
        if (title, summary) != (narrative.title, narrative.summary):
            narrative.title, narrative.summary = title, summary
            _count_save(narrative)
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
        before = (version.text, version.positions, version.note)
        version.text = pattern.sub(replacement, version.text)
        version.positions = pattern.sub(replacement, version.positions)
        version.note = pattern.sub(replacement, version.note)
        if (version.text, version.positions, version.note) != before:
            _count_save(version.statement, "revision")
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
        before = [getattr(sheet, name) for name in INCIDENT_FIELDS]
        for name in INCIDENT_FIELDS:
            setattr(sheet, name, pattern.sub(replacement, getattr(sheet, name) or ""))
        if [getattr(sheet, name) for name in INCIDENT_FIELDS] != before:
            _count_save(sheet)
    for grouping in db.session.execute(db.select(Grouping).filter_by(study_id=study_id)).scalars():
        if pattern.search(grouping.label):
            grouping.label = pattern.sub(replacement, grouping.label)
            _count_save(grouping)
        grouping.labels = {k: pattern.sub(replacement, v) for k, v in grouping.labels.items()}
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
    if not finding.text:
        raise ValidationError(_l("This finding was already handled."))
    old = _words_to_replace(finding)
    # Whole words only: replacing "Jan" must not turn "Janssens" into "[NOM]ssens".
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    replacement = _literal(replacement)
    passages = (
        db.session.execute(db.select(Passage).filter_by(group_session_id=finding.group_session_id))
        .scalars()
        .all()
    )
    changed = [p for p in passages if _replace_in_passage(p, pattern, replacement)]
    count = len(changed)
    ids = [p.id for p in passages]
    for revision in db.session.execute(
        db.select(PassageRevision).where(PassageRevision.passage_id.in_(ids))
    ).scalars():
        revision.text = pattern.sub(replacement, revision.text)
    for coding in db.session.execute(db.select(Coding).where(Coding.passage_id.in_(ids))).scalars():
        if pattern.search(coding.memo or ""):
            coding.memo = pattern.sub(replacement, coding.memo)
            _count_save(coding, "memo_version")
    # Synthesis statements of the same session, history included: personal data is not
    # kept in old versions either.
    for sheet in db.session.execute(
        db.select(IncidentSheet).filter_by(study_id=finding.study_id)
    ).scalars():  # sheets name nobody: a name found anywhere goes everywhere
        changed_sheet = False
        for name in INCIDENT_FIELDS:
            value = getattr(sheet, name) or ""
            if pattern.search(value):
                setattr(sheet, name, pattern.sub(replacement, value))
                changed_sheet = True
        if changed_sheet:
            _count_save(sheet)
            db.session.flush()
            scan_incident(sheet)
    for grouping in db.session.execute(
        db.select(Grouping).filter_by(study_id=finding.study_id)
    ).scalars():  # labels and terms are words of the passages
        if pattern.search(grouping.label):
            grouping.label = pattern.sub(replacement, grouping.label)
            _count_save(grouping)
        grouping.labels = {k: pattern.sub(replacement, v) for k, v in grouping.labels.items()}
        grouping.terms = [pattern.sub(replacement, term) for term in grouping.terms]
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
        answer.comment = pattern.sub(replacement, answer.comment)
    for decision in db.session.execute(
        db.select(QuoteDecision).where(QuoteDecision.link_id.in_(links))
    ).scalars():
        decision.rephrasing = pattern.sub(replacement, decision.rephrasing)
    rewritten = {}
    for version in _statement_versions(finding.study_id, finding.group_session_id):
        if pattern.search(version.text) or pattern.search(version.positions):
            version.text = pattern.sub(replacement, version.text)
            version.positions = pattern.sub(replacement, version.positions)
            rewritten[version.statement_id] = version.statement
    for statement in rewritten.values():
        _count_save(statement, "revision")
    same = (
        db.session.execute(
            db.select(PiiFinding)
            .filter_by(
                study_id=finding.study_id,
                group_session_id=finding.group_session_id,
                status="open",
            )
            .where(PiiFinding.text.in_({finding.text, old}))
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
