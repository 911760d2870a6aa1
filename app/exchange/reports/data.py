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
    statements: list[StatementItem] = field(default_factory=list)


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
    proposals: list[StatementItem]
    cooccurrence: Counter  # (theme id, theme id) → passages coded with both
    agreement: list[AgreementTable]
