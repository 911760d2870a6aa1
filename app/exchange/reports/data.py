"""The plain data a Word report is written from: no database, no Word, no translation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SessionInfo:
    id: int
    number: int
    title: str
    held_on: date | None
    language: str


@dataclass(frozen=True)
class QuoteItem:
    text: str
    pseudonym: str
    position: str
    organisation_type: str
    session_number: int
    phase: int
    language: str
    order: tuple  # transcript order: session, phase, passage position, offset


@dataclass(frozen=True)
class RoundInfo:
    """The newest validation round that put a statement to the group."""

    invited: int  # participants who received a link
    is_open: bool
    closes_on: date | None  # while open: the day the links stop working


@dataclass(frozen=True)
class StatementItem:
    kind: str
    text: str
    positions: str
    level: str | None
    session_number: int | None  # None: the transversal synthesis
    state: str
    revised: bool
    answered: int
    invited: int
    disagreements: tuple[str, ...]
    nuances: tuple[str, ...]
    number: str = ""  # "1.3": the third statement of session 1; "T.2" in the transversal one
    group_label: str = ""  # interpretations: the heading the facilitators grouped them under
    counts: dict[str, int] = field(default_factory=dict)  # verdict → answers
    round: RoundInfo | None = None
    quotes: tuple[QuoteItem, ...] = ()  # the linked passages that may be quoted
    withheld_quotes: int = 0  # linked passages that may not


@dataclass
class IncidentExample:
    organisation: str
    channel: str
    consequence: str  # Consequence value
    narrative: str


@dataclass
class IncidentSummary:
    """The incident sheets of the study, counted; narratives only where they may be quoted."""

    total: int = 0
    by_organisation: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_consequence: Counter = field(default_factory=Counter)  # Consequence value → sheets
    by_theme: Counter = field(default_factory=Counter)  # theme id → sheets
    examples: list[IncidentExample] = field(default_factory=list)
    withheld_examples: int = 0  # narratives left out: open personal-data findings


@dataclass
class ThemeSection:
    id: int
    key: str
    depth: int
    colour: str
    labels: dict[str, str]
    definitions: dict[str, str]
    seed_terms: dict[str, list[str]]
    # Counts include the codings of nested themes (as app/coding/matrices.py does).
    total: int = 0
    by_session_phase: Counter = field(default_factory=Counter)  # (session number, phase)
    by_role: Counter = field(default_factory=Counter)  # (position, organisation type)
    quotes: list[QuoteItem] = field(default_factory=list)
    statements: list[StatementItem] = field(default_factory=list)  # written in the synthesis


@dataclass(frozen=True)
class AgreementRow:
    theme_id: int
    units: int
    percent: float
    kappa: float | None
    alpha: float | None


@dataclass(frozen=True)
class AgreementTable:
    session_number: int
    coders: int
    rows: tuple[AgreementRow, ...]


@dataclass
class ReportData:
    study_title: str
    sessions: list[SessionInfo]
    participant_count: int
    composition: list[tuple[str, str, int]]  # (position, organisation type, participants)
    phases: list[tuple[int, int]]  # (phase number, passages) for phases with passages
    narratives: list[tuple[int, str]]  # (session number, chosen story title)
    coding_count: int
    coder_count: int
    withheld_passages: int  # coded passages whose words may not be quoted
    themes: list[ThemeSection]
    statements: list[StatementItem]  # each once, by synthesis then MAG order
    cooccurrence: Counter  # (theme id, theme id) → passages coded with both
    agreement: list[AgreementTable]
    incidents: IncidentSummary = field(default_factory=IncidentSummary)
    whole_study: bool = True  # incident sheets and the transversal analysis belong to it
