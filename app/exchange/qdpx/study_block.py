"""Our own extension of a .qdpx: participants' consents, withdrawn quotes and the statements.

REFI-QDA has no place for consent or for a synthesis, so they travel in ONE marked Note, like the
codebook container (`app.exchange.codebook_block`): QualCoder lists it as a journal, never as a
code memo, and a project without it imports as before. Its lines (values escaped as there)::

    --- MAG Workbench study data: keep this block to re-import without loss ---
    [magwb] source=<TextSource GUID> <number of passages>
    [magwb] withdrawn=<TextSource GUID> <passage index>
    [magwb] case=<Case GUID>
    [magwb] consent=quotation granted 2026-01-31
    [magwb] statement=<GUID of the statement's Note>
    [magwb] session=<TextSource GUID>            (none: the transversal analysis)
    [magwb] kind=convergence
    [magwb] text=…
    [magwb] link=<TextSource GUID> <passage index> [<start> <end> <Code GUID>]

A .qdpx may leave the team (the study archive may not), so it carries only what the quotation
rule (`app.synthesis.quotations`) lets out: the decision in force per consent scope with its
date (no consent notes), no erased participant nor one who withdrew from the study (they are
no Case, so there is nothing to hang their decisions on), withdrawn passages as an
index (their words are already the marker), statements as they read now with names scrubbed
(no earlier versions, no version notes), links only to passages that may be quoted, and the
validation state with answer counts (no answers, comments or rounds: they are people's words
and personal links). Passage indexes count a source's passages in export order; they are used
only if the imported source has as many passages (our own layout was read back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from analysis import normalise_text
from app.exchange.codebook_block import escape, unescape
from app.exchange.codebook_qdc import canonical_guid
from app.models import (
    Consent,
    ConsentScope,
    Participant,
    ProposalLevel,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
    Theme,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.privacy.scan import scan_statement
from app.synthesis.quotations import consent_in_force, is_withheld
from app.synthesis.state import statement_validation

SEPARATOR = "--- MAG Workbench study data: keep this block to re-import without loss ---"
NAME = "MAG Workbench study data (not a memo: keep it to re-import without loss)"
_LINE = re.compile(r"^\[magwb\] ([a-z_]+)=(.*)$")


def _guid(value: str) -> str:
    """Return a GUID in canonical form; a damaged one becomes "" and matches nothing."""
    try:
        return canonical_guid(value)
    except ValueError:
        return ""


def is_study_block(text: str | None) -> bool:
    """Tell whether a Note's text is this extension."""
    return bool(text) and (text == SEPARATOR or text.startswith(SEPARATOR + "\n"))


# --- export --------------------------------------------------------------------------------


def export_block(
    study, participants: list[Participant], sources: list[dict], guids, redact
) -> str | None:
    """Return the block's text for an export, or None if there is nothing to carry."""
    lines = [SEPARATOR]
    where: dict[int, tuple[str, int]] = {}  # passage id -> (source GUID, index)
    spans = {i: span for source in sources for i, span in source["spans"].items()}
    for source in sources:
        lines.append(_line("source", f"{source['guid']} {len(source['passages'])}"))
        for index, passage in enumerate(source["passages"]):
            where[passage.id] = (source["guid"], index)
            if passage.quote_withdrawn_at is not None:
                lines.append(_line("withdrawn", f"{source['guid']} {index}"))
    for participant in participants:  # never erased or withdrawn ones: the caller leaves them out
        decisions = []
        for scope in ConsentScope:
            newest = [c for c in participant.consents if c.scope == scope]
            if newest:
                state = "granted" if consent_in_force(participant, scope) else "refused"
                decisions.append(f"{scope.value} {state} {newest[-1].given_on.isoformat()}")
        if decisions:
            lines.append(_line("case", guids("participant", participant.id)))
            lines += [_line("consent", d) for d in decisions]
    for synthesis in db.session.execute(
        db.select(Synthesis).filter_by(study_id=study.id).order_by(Synthesis.id)
    ).scalars():
        for statement in synthesis.statements:
            if statement.archived_at is None and statement.versions:
                lines += _statement_lines(statement, synthesis, guids, redact, where, spans)
    carried = [line for line in lines[1:] if not line.startswith("[magwb] source=")]
    return "\n".join(lines) if carried else None


def _statement_lines(statement: Statement, synthesis, guids, redact, where, spans) -> list[str]:
    current = statement.current
    validation = statement_validation(statement)
    lines = [_line("statement", guids("statement", statement.id))]
    if synthesis.group_session_id is not None:
        lines.append(_line("session", guids("group_session", synthesis.group_session_id)))
    lines += [_line("kind", statement.kind.value), _line("position", str(statement.position))]
    if statement.level is not None:
        lines.append(_line("level", statement.level.value))
    if statement.group_label:
        lines.append(_line("group", redact(statement.group_label)))
    lines.append(_line("text", redact(current.text)))
    if current.positions:
        lines.append(_line("positions", redact(current.positions)))
    lines += [_line("theme", theme.guid) for theme in statement.themes]
    counts = ", ".join(f"{k} {v}" for k, v in validation.counts.items() if v)
    lines.append(_line("validation", f"{validation.state.value} {counts}".strip()))
    for link in statement.links:
        if is_withheld(link.passage) or link.passage_id not in where:
            continue  # the quotation rule: a withheld passage is no quote elsewhere either
        source_guid, index = where[link.passage_id]
        value = f"{source_guid} {index}"
        # The coding's offsets in the exported text (`export._session_source`); a coding left
        # out there (its words all in a scrubbed name) leaves its passage as the quote.
        if link.coding is not None and link.coding_id in spans:
            start, end = spans[link.coding_id]
            value += f" {start} {end} {link.coding.theme.guid}"
        lines.append(_line("link", value))
    return lines


def _line(name: str, value: str) -> str:
    return f"[magwb] {name}={escape(value)}"


# --- import --------------------------------------------------------------------------------


@dataclass
class BlockStatement:
    """A statement as the block carries it."""

    guid: str
    fields: dict[str, str] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)


@dataclass
class StudyBlock:
    """The parsed block: what to add once sessions, participants and codings exist."""

    sources: dict[str, int] = field(default_factory=dict)
    withdrawn: list[tuple[str, int]] = field(default_factory=list)
    consents: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    statements: list[BlockStatement] = field(default_factory=list)


def read_study_block(text: str) -> StudyBlock:
    """Parse the block; lines it does not know are ignored (a later version may add some)."""
    block, case, statement = StudyBlock(), None, None
    for line in text.split("\n")[1:]:
        match = _LINE.match(line)
        if not match:
            continue
        name, value = match[1], normalise_text(unescape(match[2]))  # "\\r" unescapes to CR
        words = value.split()
        if name == "source" and len(words) == 2 and words[1].isdecimal():
            block.sources[_guid(words[0])] = int(words[1])
        elif name == "withdrawn" and len(words) == 2 and words[1].isdecimal():
            block.withdrawn.append((_guid(words[0]), int(words[1])))
        elif name == "case":
            case = block.consents.setdefault(_guid(value.strip()), [])
        elif name == "consent" and case is not None and len(words) == 3:
            case.append((words[0], words[1], words[2]))
        elif name == "statement":
            statement = BlockStatement(_guid(value.strip()))
            block.statements.append(statement)
        elif statement is not None and name == "theme":
            statement.themes.append(_guid(value.strip()))
        elif statement is not None and name == "link":
            statement.links.append(words)
        elif statement is not None:
            statement.fields[name] = value
    return block


class BlockStore:
    """Add the block's consents, withdrawals and statements to a study being imported."""

    def __init__(self, block: StudyBlock, *, study, owner_id: int, report) -> None:
        self.block, self.study, self.owner_id, self.report = block, study, owner_id, report
        self.dropped = 0
        self.syntheses: dict[int, Synthesis] = {}

    def store(self, participants: dict, sessions: dict, themes: dict) -> dict[str, int]:
        """Store everything; `sessions` maps a source GUID to (group_session, passages)."""
        # Indexes only mean something where the import kept our passages as they were.
        self.sessions = {
            guid: pair
            for guid, pair in sessions.items()
            if self.block.sources.get(guid) == len(pair[1])
        }
        for guid, index in self.block.withdrawn:
            if passage := self._passage(guid, index):
                passage.quote_withdrawn_at = utcnow()
        consents = self._consents(participants)
        statements = [self._statement(s, themes) for s in self.block.statements]
        statements = [s for s in statements if s is not None]
        db.session.flush()
        for statement in statements:
            scan_statement(statement.current)
        if self.dropped:
            self.report.block_links(self.dropped)
        return {"consents": consents, "statements": len(statements)}

    def _passage(self, guid: str, index: int):
        _session, passages = self.sessions.get(guid, (None, []))
        return passages[index] if 0 <= index < len(passages) else None

    def _consents(self, participants: dict) -> int:
        count = 0
        for case_guid, decisions in self.block.consents.items():
            participant = participants.get(case_guid)
            for scope, state, given_on in decisions:
                try:
                    consent = Consent(
                        scope=ConsentScope(scope),
                        granted=state == "granted",
                        given_on=date.fromisoformat(given_on),
                        recorded_by_id=self.owner_id,
                        note="",
                    )
                except ValueError:
                    consent = None
                if participant is None or consent is None or state not in ("granted", "refused"):
                    self.dropped += 1
                    continue
                participant.consents.append(consent)
                count += 1
        return count

    def _statement(self, planned: BlockStatement, themes: dict) -> Statement | None:
        fields = planned.fields
        try:
            kind = StatementKind(fields.get("kind", ""))
            level = ProposalLevel(fields["level"]) if fields.get("level") else None
        except ValueError:
            self.dropped += 1
            return None
        text = fields.get("text", "").strip()
        session_guid = _guid(fields["session"]) if "session" in fields else None
        group_session = self.sessions.get(session_guid, (None, []))[0]
        if not text or (session_guid is not None and group_session is None):
            self.dropped += 1
            return None
        synthesis = self._synthesis(group_session)
        position = fields.get("position", "0")
        statement = Statement(
            synthesis=synthesis,
            kind=kind,
            position=int(position) if position.isdecimal() and len(position) < 7 else 0,
            group_label=fields.get("group", "")[:200],
            level=level,
        )
        statement.versions.append(
            StatementVersion(
                number=1,
                text=text,
                positions=fields.get("positions", ""),
                note=f"validation: {fields['validation']}" if fields.get("validation") else "",
                author_id=self.owner_id,
            )
        )
        statement.themes = [themes[g] for g in dict.fromkeys(planned.themes) if g in themes]
        for words in planned.links:
            link = self._link(words, themes)
            if link is None:
                self.dropped += 1
            else:  # as many as the file has: the study they came from had them
                statement.links.append(link)
        db.session.add(statement)
        return statement

    def _synthesis(self, group_session) -> Synthesis:
        """Return the synthesis of `group_session` (None: transversal), made once."""
        key = id(group_session)
        if key not in self.syntheses:
            self.syntheses[key] = Synthesis(study=self.study, group_session=group_session)
            db.session.add(self.syntheses[key])
        return self.syntheses[key]

    def _link(self, words: list[str], themes: dict[str, Theme]) -> StatementLink | None:
        if len(words) not in (2, 5) or not words[1].isdecimal():
            return None
        passage = self._passage(_guid(words[0]), int(words[1]))
        if passage is None:
            return None
        if len(words) == 2:
            return StatementLink(passage=passage)
        theme = themes.get(_guid(words[4]))
        coding = next(
            (
                c
                for c in passage.codings
                if c.theme is theme and [str(c.start_offset), str(c.end_offset)] == words[2:4]
            ),
            None,
        )
        return None if coding is None else StatementLink(passage=passage, coding=coding)
