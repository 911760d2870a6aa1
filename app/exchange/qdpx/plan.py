"""What a checked .qdpx will store: the plan the reader builds before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from analysis import normalise_text
from app.exchange.codebook_qdc import (
    CodebookEntry,
    canonical_guid,
)
from app.exchange.qdpx.layout import (
    Turn,
)
from app.exchange.qdpx.study_block import StudyBlock
from app.platform.forms import pseudonym_key

MAX_MEMO = 5000  # Coding.memo, as the coding services allow


MAX_PSEUDONYM = 80


UNATTRIBUTED = "unattributed"  # participant key of passages without a known speaker


UNATTRIBUTED_NAMES = {"fr": "Non attribué", "nl": "Niet toegewezen", "en": "Unattributed"}


@dataclass
class PlanCase:
    """A participant to create, keyed by its Case GUID (or UNATTRIBUTED)."""

    key: str
    pseudonym: str
    attributes: dict


@dataclass
class PlanCoding:
    """A coding of one passage (index into the source's turns), local code-point offsets."""

    passage: int
    start: int
    end: int
    code_guid: str
    memo: str
    coder: str = ""  # the REFI-QDA user's name; the store matches it to an account


@dataclass
class PlanSource:
    """A session to create: fields, its passages as turns over `text`, and codings."""

    name: str
    fields: dict
    text: str
    turns: list[Turn]
    codings: list[PlanCoding] = field(default_factory=list)
    guid: str = ""  # the TextSource's, canonical


@dataclass
class Plan:
    """Everything an import stores, and what it could not map."""

    title: str
    description: str
    language: str | None
    entries: list[CodebookEntry]
    cases: list[PlanCase]
    sources: list[PlanSource]
    warnings: list[str]
    source: str = ""  # the file name, for messages made when storing
    study_block: StudyBlock | None = None  # our consents and statements (study_block.py)


def repeated_guid(root: etree._Element) -> tuple[str, int, int] | None:
    """Return (GUID, first line, line) of the first GUID used twice in a project, or None."""
    seen: dict[str, int] = {}
    for element in root.iter(etree.Element):
        value = element.get("guid")
        if value is None:
            continue
        guid = canonical_guid(value)  # the schema checked the shape
        if guid in seen:
            return guid, seen[guid], element.sourceline
        seen[guid] = element.sourceline
    return None


def _unique(name: str, taken: set[str]) -> str:
    """Return `name`, or "name 2", "name 3"... if its pseudonym key is taken; record it."""
    candidate, number = name, 2
    while pseudonym_key(candidate) in taken:
        suffix = f" {number}"
        candidate = name[: MAX_PSEUDONYM - len(suffix)] + suffix
        number += 1
    taken.add(pseudonym_key(candidate))
    return candidate


def _variable_value(element: etree._Element):
    """Return a VariableValue as a JSON value: str, bool, int or float (dates as text)."""
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).localname == "VariableRef":
            continue
        kind, text = etree.QName(child).localname, (child.text or "").strip()
        if kind == "BooleanValue":
            return text in ("true", "1")
        if kind == "IntegerValue":
            return int(text)
        if kind == "FloatValue":
            return float(text)
        return normalise_text(child.text or "") if kind == "TextValue" else text
    return ""
