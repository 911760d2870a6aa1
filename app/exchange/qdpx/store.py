"""Importing a .qdpx as a new study: check, read into a plan, then store it in one go.

Nothing touches the database until the archive, the XML and every reference
have been checked. Storing runs inside a savepoint, so even an unexpected
database error leaves nothing behind; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from analysis import normalise_text
from analysis.pii import detect
from app.accounts.audit import record
from app.exchange.codebook_qdc import CodebookEntry, tree_order
from app.exchange.qdpx.archive import MAX_PROJECT_BYTES, PROJECT_MEMBER, Archive, parse_project
from app.exchange.qdpx.plan import Plan, PlanSource
from app.exchange.qdpx.reader import Reader
from app.exchange.qdpx.report import Report
from app.exchange.qdpx.study_block import BlockStore
from app.models import (
    Coding,
    GroupSession,
    Membership,
    Participant,
    Passage,
    PiiFinding,
    Role,
    SessionStatus,
    SpeakerKind,
    Study,
    Theme,
    User,
)
from app.platform.config import LANGUAGES
from app.platform.extensions import db
from app.platform.forms import pseudonym_key
from app.privacy.scan import known_names, ner_pipeline

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
DEFAULT_PHASE = 3  # passages of other programs' texts without phase headings: "Narrative"


@dataclass
class ImportResult:
    """The study an import created, what it holds, and what could not be mapped."""

    study: Study
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def import_qdpx(
    data: bytes,
    *,
    filename: str,
    owner_id: int,
    language: str,
    default_phase: int = DEFAULT_PHASE,
) -> ImportResult:
    """Create a new study from a REFI-QDA project; raise QdpxError and store nothing if unfit."""
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.")
    if not 1 <= default_phase <= 11:
        raise ValueError(f"default_phase must be 1 to 11, not {default_phase}")
    archive = Archive(data, filename)
    forgiven: list = []
    root = parse_project(archive.read(PROJECT_MEMBER, MAX_PROJECT_BYTES), filename, forgiven)
    plan = Reader(archive, root, language=language, default_phase=default_phase).read()
    plan.warnings[:0] = forgiven
    with db.session.begin_nested():
        study, counts = _store(plan, filename=filename, owner_id=owner_id, language=language)
    return ImportResult(study=study, counts=counts, warnings=plan.warnings)


def _store(plan: Plan, *, filename: str, owner_id: int, language: str) -> tuple[Study, dict]:
    fallback = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "REFI-QDA"
    title = " ".join(plan.title.split())[:MAX_TITLE] or fallback[:MAX_TITLE]
    study = Study(
        title=title,
        description=normalise_text(plan.description)[:MAX_DESCRIPTION],
        language=plan.language if plan.language in LANGUAGES else language,
        created_by_id=owner_id,
    )
    db.session.add(study)
    db.session.add(Membership(study=study, user_id=owner_id, role=Role.OWNER))
    db.session.flush()
    record("study.create", study, user_id=owner_id, study_id=study.id, details={"from": "qdpx"})
    themes = _themes(study, plan.entries)
    participants = {}
    for case in plan.cases:
        participant = Participant(
            study=study,
            pseudonym=case.pseudonym,
            pseudonym_key=pseudonym_key(case.pseudonym),
            attributes=case.attributes,
        )
        db.session.add(participant)
        participants[case.key] = participant
    passages, codings, sessions = [], [], {}
    coders = _coders(plan)
    numbers = _session_numbers(plan.sources)
    for source, number in zip(plan.sources, numbers, strict=True):
        group_session, stored = _session(
            study, source, number, participants, language=study.language
        )
        sessions[source.guid] = (group_session, stored)
        passages.extend(stored)
        for planned in source.codings:
            passage = stored[planned.passage]
            end = min(planned.end, len(passage.text))
            if planned.start >= end:
                continue
            codings.append(
                Coding(
                    passage=passage,
                    theme=themes[planned.code_guid],
                    coder_id=coders.get(planned.coder),
                    start_offset=planned.start,
                    end_offset=end,
                    memo=planned.memo,
                )
            )
    db.session.add_all(codings)
    db.session.flush()
    _scan_new_texts(study, passages, [c for c in codings if c.memo])
    carried = {"consents": 0, "statements": 0}
    if plan.study_block is not None:  # our own extension: consents, withdrawals, statements
        report = Report(plan.source)
        carried = BlockStore(plan.study_block, study=study, owner_id=owner_id, report=report).store(
            participants, sessions, themes
        )
        plan.warnings.extend(report.warnings)
    counts = {
        "sessions": len(plan.sources),
        "passages": len(passages),
        "participants": len(participants),
        "themes": len(themes),
        "codings": len(codings),
        "memos": sum(1 for c in codings if c.memo),
        **carried,
        "warnings": len(plan.warnings),
    }
    # The file name is not recorded: it may carry a person's name.
    record("study.import", study, user_id=owner_id, study_id=study.id, details=counts)
    return study, counts


def _coders(plan: Plan) -> dict[str, int]:
    """Match the project's coders to accounts by display name (one account each, or none).

    A coder only labels codings (agreement, history): matching grants no access to the study.
    """
    names = sorted({c.coder for source in plan.sources for c in source.codings if c.coder})
    found: dict[str, list[int]] = {}
    if names:
        rows = db.session.execute(
            db.select(User.id, User.display_name).where(User.display_name.in_(names))
        )
        for user_id, name in rows:
            found.setdefault(name, []).append(user_id)
    coders = {name: ids[0] for name, ids in found.items() if len(ids) == 1}
    if missing := [name for name in names if name not in coders]:
        report = Report(plan.source)
        report.users(missing)
        plan.warnings.extend(report.warnings)
    return coders


def _scan_new_texts(study: Study, passages: list[Passage], memos: list[Coding]) -> None:
    """Queue findings for the new passages (text, speaker) and memos, as the privacy scan does.

    `privacy.scan_passages` first deletes an object's open findings with a bulk DELETE that
    walks every object in the session; new rows have no findings, and on an import of
    2,000 passages that walk made the import quadratic (17 s instead of 2).
    """
    names = known_names(study.id)
    texts = [("passage", p, p.text, p.group_session) for p in passages]
    texts += [("speaker_label", p, p.speaker_label, p.group_session) for p in passages]
    texts += [("coding", c, c.memo, c.passage.group_session) for c in memos]
    for object_type, row, text, group_session in texts:
        language = group_session.language
        for finding in detect(text, language=language, names=names, nlp=ner_pipeline(language)):
            db.session.add(
                PiiFinding(
                    study_id=study.id,
                    group_session_id=group_session.id,
                    object_type=object_type,
                    object_id=row.id,
                    kind=finding.kind,
                    start_offset=finding.start,
                    end_offset=finding.end,
                    text=finding.text,
                )
            )


def _themes(study: Study, entries: list[CodebookEntry]) -> dict[str, Theme]:
    """Add the codebook in tree order; an empty label takes another language's, else the key."""
    themes: dict[str, Theme] = {}
    by_key: dict[str, Theme] = {}
    for position, entry in enumerate(tree_order(entries)):
        labels = {lang: getattr(entry, f"label_{lang}") for lang in LANGUAGES}
        first = next((label for label in labels.values() if label), entry.key)
        theme = Theme(
            study=study,
            key=entry.key,
            guid=entry.guid,
            colour=entry.colour,
            position=position,
            parent=by_key.get(entry.parent_key) if entry.parent_key else None,
            seed_terms=entry.seed_terms_dict(),
            **{f"label_{lang}": labels[lang] or first for lang in LANGUAGES},
            **{f"definition_{lang}": getattr(entry, f"definition_{lang}") for lang in LANGUAGES},
        )
        db.session.add(theme)
        themes[entry.guid] = by_key[entry.key] = theme
    return themes


def _session_numbers(sources: list[PlanSource]) -> list[int]:
    """Keep the numbers of our own export when they are valid and distinct, else 1, 2, 3..."""
    wanted = []
    for source in sources:
        value = source.fields.get("number", "")
        wanted.append(int(value) if value.isdigit() and 1 <= int(value) <= 10_000 else None)
    if None in wanted or len(set(wanted)) != len(wanted):
        return list(range(1, len(sources) + 1))
    return wanted


def _session(
    study: Study, source: PlanSource, number: int, participants: dict, *, language: str
) -> tuple[GroupSession, list[Passage]]:
    fields = source.fields
    status = fields.get("status", SessionStatus.TRANSCRIBED.value)
    group_session = GroupSession(
        study=study,
        number=number,
        title=" ".join(fields.get("title", "").split())[:MAX_TITLE],
        held_on=_date(fields.get("held_on", "")),
        place=" ".join(fields.get("place", "").split())[:MAX_TITLE],
        language=fields["language"] if fields.get("language") in LANGUAGES else language,
        status=SessionStatus(status)
        if status in {s.value for s in SessionStatus}
        else SessionStatus.TRANSCRIBED,
    )
    db.session.add(group_session)
    passages, positions = [], {}
    for turn in source.turns:
        positions[turn.phase] = positions.get(turn.phase, 0) + 1
        participant = participants.get(turn.participant) if turn.participant else None
        text = source.text[turn.start : turn.end]
        passages.append(
            Passage(
                group_session=group_session,
                phase=turn.phase,
                position=positions[turn.phase],
                speaker_kind=SpeakerKind.PARTICIPANT if participant else SpeakerKind.FACILITATOR,
                participant=participant,
                speaker_label="" if participant else turn.label[:80],
                text=text if normalise_text(text) == text else normalise_text(text),
                start_time=turn.start_time,
                end_time=turn.end_time,
            )
        )
    db.session.add_all(passages)
    return group_session, passages


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
