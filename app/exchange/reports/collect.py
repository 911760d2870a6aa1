"""Gather what a Word report shows: database queries in, plain data out.

Everything here runs a bounded number of queries (no query per coding), so a
study with 2,000 codings collects in well under a second. Nothing here
translates: labels are resolved by `docx_report` under the report's locale.
Which quotes may appear and which are the strongest is decided in `quotes`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import selectinload

from analysis import agreement_by_theme
from app.exchange.reports.data import (
    AgreementRow,
    AgreementTable,
    IncidentSummary,
    ReportData,
    SessionInfo,
    StatementItem,
    ThemeSection,
)
from app.exchange.reports.incidents import incident_summary
from app.exchange.reports.quotes import linked_quotes, pick_quotes, role
from app.exchange.reports.statements import in_mag_order, next_number, round_info
from app.models import (
    Coding,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    PiiFinding,
    Statement,
    StatementLink,
    Study,
    Synthesis,
)
from app.platform.extensions import db
from app.studies.codebook import theme_tree
from app.synthesis.quotations import (
    Redactor,
    exportable_comments,
    left_out_as_person,
    may_quote,
)
from app.synthesis.state import statement_validation


def selected_sessions(study_id: int, session_ids: Sequence[int] | None) -> list[GroupSession]:
    """Return the study's sessions in number order, restricted to `session_ids` when given."""
    query = db.select(GroupSession).filter_by(study_id=study_id).order_by(GroupSession.number)
    if session_ids is not None:
        query = query.where(GroupSession.id.in_(list(session_ids)))
    return list(db.session.execute(query).scalars())


def open_findings(study_id: int, sessions: list[GroupSession], whole_study: bool) -> list[dict]:
    """Return the open personal-data findings of the sessions as (session, phase, kind) dicts.

    Never the finding's text: the list is shown to people who may not see it.
    """
    ids = [s.id for s in sessions]
    query = db.select(PiiFinding).filter_by(study_id=study_id, status="open")
    if whole_study:
        query = query.where(
            PiiFinding.group_session_id.in_(ids) | PiiFinding.group_session_id.is_(None)
        )
    else:
        query = query.where(PiiFinding.group_session_id.in_(ids))
    findings = list(db.session.execute(query.order_by(PiiFinding.id)).scalars())
    passage_ids = {f.object_id for f in findings if f.object_type == "passage"}
    coding_ids = {f.object_id for f in findings if f.object_type == "coding"}
    phase_of_passage = dict(
        db.session.execute(db.select(Passage.id, Passage.phase).where(Passage.id.in_(passage_ids)))
        .tuples()
        .all()
    )
    phase_of_coding = dict(
        db.session.execute(
            db.select(Coding.id, Passage.phase)
            .join(Passage, Coding.passage_id == Passage.id)
            .where(Coding.id.in_(coding_ids))
        )
        .tuples()
        .all()
    )
    number = {s.id: s.number for s in sessions}
    problems = []
    for finding in findings:
        # Only passages and memos have a phase; other texts' ids would name other rows.
        lookup = {"passage": phase_of_passage, "coding": phase_of_coding}.get(
            finding.object_type, {}
        )
        problems.append(
            {
                "session": number.get(finding.group_session_id),
                "phase": lookup.get(finding.object_id),
                "kind": finding.kind,
            }
        )
    problems.sort(key=lambda p: (p["session"] or 0, p["phase"] or 0))
    return problems


def report_data(study: Study, sessions: list[GroupSession], whole_study: bool) -> ReportData:
    """Return everything the report shows for `sessions` of `study` as plain data."""
    number_of = {s.id: s.number for s in sessions}
    passages = list(
        db.session.execute(
            db.select(Passage)
            .where(Passage.group_session_id.in_(list(number_of)))
            .options(selectinload(Passage.participant).selectinload(Participant.consents))
        ).scalars()
    )
    passage_by_id = {p.id: p for p in passages}
    codings = (
        db.session.execute(
            db.select(
                Coding.id,
                Coding.theme_id,
                Coding.passage_id,
                Coding.coder_id,
                Coding.start_offset,
                Coding.end_offset,
            ).where(Coding.passage_id.in_(list(passage_by_id)))
        )
        .tuples()
        .all()
    )
    tree = theme_tree(study.id)
    sections = {theme.id: _section(theme, depth) for theme, depth in tree}
    lineage = _lineage(tree)
    statements = _statements(study.id, list(number_of), whole_study)
    linked_passages = {link.passage_id for st in statements for link in st.links}
    _count(sections, lineage, codings, passage_by_id, number_of)
    # Names that may not leave (erased labels; pseudonyms of who may not be quoted)
    # are scrubbed from every text the report prints, whoever wrote it.
    redact = Redactor.for_study(study.id, publication=True)
    withheld = pick_quotes(sections, codings, passage_by_id, number_of, linked_passages, redact)
    items = _statement_items(statements, sections, number_of, redact)
    participants = _participants(study.id, sessions, passages)
    phase_counts = Counter(p.phase for p in passages)
    return ReportData(
        study_title=redact(study.title),
        sessions=[
            SessionInfo(s.id, s.number, redact(s.title), s.held_on, s.language) for s in sessions
        ],
        participant_count=len(participants),
        composition=_composition(participants),
        phases=sorted(phase_counts.items()),
        narratives=[(n, redact(title)) for n, title in _narratives(number_of)],
        coding_count=len(codings),
        coder_count=len({c[3] for c in codings if c[3] is not None}),
        withheld_passages=withheld,
        themes=list(sections.values()),
        statements=items,
        cooccurrence=_cooccurrence(codings, lineage),
        agreement=_agreement(sessions, passages, codings, tree),
        incidents=incident_summary(study.id, redact) if whole_study else IncidentSummary(),
        whole_study=whole_study,
    )


def _section(theme, depth: int) -> ThemeSection:
    langs = ("nl", "fr", "en")
    return ThemeSection(
        id=theme.id,
        key=theme.key,
        depth=depth,
        colour=theme.colour,
        labels={lang: theme.label(lang) for lang in langs},
        definitions={
            lang: getattr(theme, f"definition_{lang}") or theme.definition_en for lang in langs
        },
        seed_terms={lang: list((theme.seed_terms or {}).get(lang, [])) for lang in langs},
    )


def _lineage(tree) -> dict[int, set[int]]:
    """Map each theme id to itself plus its ancestors, so counts roll up to parents."""
    parents = {theme.id: theme.parent_id for theme, _depth in tree}
    lineage = {}
    for theme, _depth in tree:
        chain, current = set(), theme.id
        while current is not None and current not in chain:
            chain.add(current)
            current = parents.get(current)
        lineage[theme.id] = chain
    return lineage


def _count(sections, lineage, codings, passage_by_id, number_of) -> None:
    """Count codings per theme by (session, phase) and by speaker role (None: facilitators)."""
    for _id, theme_id, passage_id, _coder, _start, _end in codings:
        passage = passage_by_id[passage_id]
        cell = (number_of[passage.group_session_id], passage.phase)
        speaker = role(passage.participant) if passage.participant_id else None
        for owner in lineage.get(theme_id, ()):
            section = sections[owner]
            section.total += 1
            section.by_session_phase[cell] += 1
            section.by_role[speaker] += 1


def _statements(study_id: int, session_ids: list[int], whole_study: bool) -> list[Statement]:
    """Return the live statements of the sessions' syntheses (and the transversal one)."""
    which = Synthesis.group_session_id.in_(session_ids)
    if whole_study:  # the transversal analysis speaks for all sessions, not for a subset
        which = which | Synthesis.group_session_id.is_(None)
    return list(
        db.session.execute(
            db.select(Statement)
            .join(Synthesis)
            .where(Synthesis.study_id == study_id, which, Statement.archived_at.is_(None))
            .order_by(Statement.position, Statement.id)
            .options(
                selectinload(Statement.versions),
                selectinload(Statement.themes),
                selectinload(Statement.links).selectinload(StatementLink.coding),
                selectinload(Statement.links)
                .selectinload(StatementLink.passage)
                .selectinload(Passage.participant)
                .selectinload(Participant.consents),
                selectinload(Statement.links)
                .selectinload(StatementLink.passage)
                .selectinload(Passage.group_session),
                selectinload(Statement.synthesis).selectinload(Synthesis.group_session),
            )
        ).scalars()
    )


def _statement_items(
    statements: list[Statement], sections, number_of, redact
) -> list[StatementItem]:
    """Return every statement once, numbered in MAG order per synthesis; note it on its themes."""
    shown = []
    rounds: dict = {}  # round id → RoundInfo, one query per round
    for statement in in_mag_order(statements):
        if not statement.versions:
            continue
        validation = statement_validation(statement)
        session = statement.synthesis.group_session
        quotes, withheld = linked_quotes(statement.links, number_of, redact)
        item = StatementItem(
            kind=statement.kind.value,
            text=redact(statement.current.text),
            positions=redact(statement.current.positions),
            level=statement.level.value if statement.level else None,
            session_number=session.number if session else None,
            state=validation.state.value,
            revised=validation.revised,
            answered=validation.answered,
            invited=validation.invited,
            # Participants' own words: only under their quotation consent.
            disagreements=tuple(
                redact(c) for c in exportable_comments(validation.disagreement_comments)
            ),
            nuances=tuple(redact(c) for c in exportable_comments(validation.nuance_comments)),
            number=next_number(shown, session.number if session else None),
            group_label=redact(statement.group_label or ""),
            counts=dict(validation.counts),
            round=round_info(validation.round_id, rounds),
            quotes=quotes,
            withheld_quotes=withheld,
        )
        theme_ids = {t.id for t in statement.themes}
        theme_ids |= {link.coding.theme_id for link in statement.links if link.coding}
        for theme_id in theme_ids:
            if theme_id in sections:
                sections[theme_id].statements.append(item)
        shown.append(item)
    return shown


def _participants(study_id: int, sessions, passages) -> list[Participant]:
    """Return the participants who spoke in or sat at the sessions.

    Erased ones and those who withdrew from the study are left out: the composition table
    would show their position and organisation type (`left_out_as_person`).
    """
    ids = {p.participant_id for p in passages if p.participant_id}
    for session in sessions:
        ids |= {i for i in (session.seating or []) if isinstance(i, int)}
    people = db.session.execute(
        db.select(Participant)
        .where(
            Participant.study_id == study_id,
            Participant.id.in_(ids),
            Participant.erased_at.is_(None),
        )
        .options(selectinload(Participant.consents))
    ).scalars()
    return [p for p in people if not left_out_as_person(p)]


def _composition(participants) -> list[tuple[str, str, int]]:
    counts = Counter(role(p) for p in participants)
    return sorted(
        ((position, organisation, n) for (position, organisation), n in counts.items()),
        key=lambda row: (-row[2], row[0].casefold(), row[1].casefold()),
    )


def _narratives(number_of: dict[int, int]) -> list[tuple[int, str]]:
    """Return the chosen stories' titles whose proposer may be quoted (their words)."""
    narratives = db.session.execute(
        db.select(Narrative)
        .where(Narrative.group_session_id.in_(list(number_of)), Narrative.is_chosen.is_(True))
        .order_by(Narrative.id)
    ).scalars()
    return sorted(
        (number_of[n.group_session_id], n.title)
        for n in narratives
        if may_quote(n.proposer) and may_quote(n.narrator)
    )


def _cooccurrence(codings, lineage) -> Counter:
    """Count passages coded with both themes (diagonal: passages coded with the theme)."""
    per_passage: dict[int, set[int]] = defaultdict(set)
    for _id, theme_id, passage_id, *_rest in codings:
        per_passage[passage_id] |= lineage.get(theme_id, set())
    counts: Counter = Counter()
    for present in per_passage.values():
        for a in present:
            for b in present:
                counts[a, b] += 1
    return counts


def _agreement(sessions, passages, codings, tree) -> list[AgreementTable]:
    """Agreement per session, as the agreement page computes it, where ≥ 2 coders coded."""
    themes = [theme for theme, _depth in tree]
    key_of = {theme.id: theme.key for theme in themes}
    passages_of: dict[int, list[Passage]] = defaultdict(list)
    for passage in sorted(passages, key=lambda p: (p.phase, p.position, p.id)):
        passages_of[passage.group_session_id].append(passage)
    session_of = {p.id: p.group_session_id for p in passages}
    assigned: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for _id, theme_id, passage_id, coder_id, _start, _end in codings:
        if coder_id is not None and theme_id in key_of:
            assigned[session_of[passage_id]][coder_id][passage_id].add(key_of[theme_id])
    tables = []
    for session in sessions:
        coders = assigned.get(session.id, {})
        if len(coders) < 2 or not themes:
            continue
        units = [p.id for p in passages_of[session.id]]
        results = agreement_by_theme(coders, units, [t.key for t in themes])
        rows = tuple(
            AgreementRow(theme.id, r.units, r.percent, r.kappa, r.alpha)
            for theme, r in zip(themes, results, strict=True)
        )
        tables.append(AgreementTable(session.number, len(coders), rows))
    return tables
