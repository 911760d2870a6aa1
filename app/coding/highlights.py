"""The coding view's passages as HTML, built from plain rows.

A 30,000-word session has thousands of coded runs and a thousand codings. Loading
them as ORM objects and looping over them in Jinja took most of the coding view's
time (220 ms, 1.6 MB with a remove form and a memo form per coding). Here two
queries return plain tuples and the markup is joined in Python; every stored text
goes through `markupsafe.escape`. Per-coding forms are not on the page: each coding
has a remove button that submits the page's one shared form (`form=` attribute, so
it works without JavaScript) and a link to its own page with the memo form.

Offsets are Unicode code points over the passage text, end exclusive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape  # plain str out: markupsafe's Markup wrapper per run cost 20% here
from typing import NamedTuple

from markupsafe import Markup

from app.models import Coding, GroupSession, Participant, Passage, SpeakerKind, User
from app.platform.extensions import db

REMOVE_FORM = "remove-coding-form"


class CodingRow(NamedTuple):
    """What the view shows of a coding (a tuple: a thousand a page, made from rows)."""

    id: int
    passage_id: int
    theme_id: int
    coder_id: int | None
    start: int
    end: int
    memo: str
    coder_name: str | None


class PassageRow(NamedTuple):
    """What the view shows of a passage."""

    id: int
    phase: int
    version: int
    text: str
    speaker: str
    facilitator: bool


@dataclass(frozen=True)
class Context:
    """Values every passage shares, computed once per request."""

    base: str  # the session's URL prefix, relative to the coding view ("." there)
    language: str  # the session's language, for the lang attribute
    labels: dict[int, str]  # theme id -> label in the reader's language
    remove_labels: dict[int, str]  # theme id -> "Remove the coding …"
    words: dict[str, str]  # translated fixed words, already escaped
    can_code: bool
    user_id: int
    reviewer: bool  # may change anyone's codings

    def may_change(self, coding: CodingRow) -> bool:
        """Coders change their own codings; owners and facilitators change any."""
        return self.can_code and (self.reviewer or coding.coder_id == self.user_id)


def _passage_select(*extra):
    return (
        db.select(
            Passage.id,
            Passage.phase,
            Passage.version,
            Passage.text,
            Passage.speaker_kind,
            Passage.speaker_label,
            Participant.pseudonym,
            *extra,
        )
        .outerjoin(Participant, Passage.participant_id == Participant.id)
        .order_by(Passage.phase, Passage.position, Passage.id)
    )


def _passage_row(id, phase, version, text, kind, label, pseudonym) -> PassageRow:  # noqa: A002
    speaker = pseudonym if pseudonym is not None else label
    return PassageRow(id, phase, version, text, speaker, kind == SpeakerKind.FACILITATOR)


def load_passages(session_id: int) -> list[PassageRow]:
    """Return a session's passages in reading order."""
    query = _passage_select().where(Passage.group_session_id == session_id)
    return [_passage_row(*row) for row in db.session.execute(query).all()]


def load_passage(study_id: int, session_id: int, passage_id: int) -> tuple[PassageRow, str] | None:
    """Return a passage of the study's session and the session's language, in one query."""
    query = (
        _passage_select(GroupSession.language)
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .where(
            Passage.id == passage_id,
            Passage.group_session_id == session_id,
            GroupSession.study_id == study_id,
        )
    )
    row = db.session.execute(query).first()
    return None if row is None else (_passage_row(*row[:-1]), row[-1])


def load_codings(
    session_id: int, coder_id: int | None = None, passage_id: int | None = None
) -> dict[int, list[CodingRow]]:
    """Return the session's codings (only `coder_id`'s if given) by passage, by start."""
    query = (
        db.select(
            Coding.id,
            Coding.passage_id,
            Coding.theme_id,
            Coding.coder_id,
            Coding.start_offset,
            Coding.end_offset,
            Coding.memo,
            User.display_name,
        )
        .join(Passage, Coding.passage_id == Passage.id)
        .outerjoin(User, Coding.coder_id == User.id)
        .where(Passage.group_session_id == session_id)
        .order_by(Coding.passage_id, Coding.start_offset, Coding.id)
    )
    if coder_id is not None:
        query = query.where(Coding.coder_id == coder_id)
    if passage_id is not None:
        query = query.where(Coding.passage_id == passage_id)
    by_passage: dict[int, list[CodingRow]] = defaultdict(list)
    # .all(): one fetch and a list of rows, not a generator step per row.
    for row in db.session.execute(query).all():
        by_passage[row[1]].append(CodingRow(*row))
    return by_passage


def _content(value: str) -> str:
    """Escape text for element content, as `html.escape(value, quote=False)`."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Escaped(dict):
    """Escaped values by value (coder names): a session has few coders, a thousand codings."""

    def __missing__(self, value: str) -> str:
        escaped = self[value] = escape(value)
        return escaped


class _Page:
    """What the passages of one response share, escaped once (round 2 of issue 16)."""

    __slots__ = ("context", "labels", "remove_labels", "coders", "covering", "language")

    def __init__(self, context: Context) -> None:
        self.context = context
        self.labels = {key: escape(label) for key, label in context.labels.items()}
        self.remove_labels = {key: escape(label) for key, label in context.remove_labels.items()}
        self.coders = _Escaped()
        # Theme ids covering a run -> the run's title and its opening tags.
        self.covering: dict[tuple[int, ...], tuple[str, str]] = {}
        self.language = escape(context.language)


def passage_html(passage: PassageRow, codings: list[CodingRow], context: Context) -> str:
    """Return one passage: speaker, text cut into runs (coded runs marked), coding list."""
    return _passage_html(passage, codings, _Page(context))


def _passage_html(passage: PassageRow, codings: list[CodingRow], page: _Page) -> str:
    context = page.context
    words = context.words
    text = passage.text
    facilitator = f" <small>({words['facilitator']})</small>" if passage.facilitator else ""
    # Most passages hold no character that needs escaping: skip the escaping then.
    plain = not ("&" in text or "<" in text or ">" in text)
    parts = [
        f'<div class="passage coding-passage" id="passage-{passage.id}" '
        f'data-passage-id="{passage.id}" data-version="{passage.version}" '
        f'data-fragment-url="{context.base}/passages/{passage.id}">\n'
        f'<p class="speaker">{escape(passage.speaker)}{facilitator}</p>\n'
        f'<p class="text passage-text" lang="{page.language}" '
        f'data-length="{len(text)}">'
    ]
    if not codings:
        parts.append(f'<span class="seg" data-start="0">{text if plain else _content(text)}</span>')
    else:
        _runs(parts, text, plain, codings, page)
    parts.append("</p>\n")
    if codings:
        parts.append(f'<ul class="coding-list" aria-label="{words["codings"]}">\n')
        quoted = plain and not ('"' in text or "'" in text)
        parts.extend([_coding_item(text, quoted, coding, page) for coding in codings])
        parts.append("</ul>\n")
    parts.append("</div>\n")
    return "".join(parts)


def passages_html(
    passages: Iterable[PassageRow], codings: dict[int, list[CodingRow]], context: Context
) -> Markup:
    """Return the markup of several passages."""
    page = _Page(context)
    none: list[CodingRow] = []
    # Safe: _passage_html escapes every stored text and label it puts into the markup.
    html = "".join([_passage_html(p, codings.get(p.id, none), page) for p in passages])
    return Markup(html)  # noqa: S704


def _runs(parts: list[str], text: str, plain: bool, codings: list[CodingRow], page: _Page) -> None:
    """Cut the text where the set of covering codings changes; each run knows its start."""
    cuts = sorted({0, len(text)} | {c.start for c in codings} | {c.end for c in codings})
    known = page.covering
    append = parts.append
    for start, end in zip(cuts, cuts[1:], strict=False):
        run = text[start:end] if plain else _content(text[start:end])
        covering = tuple([c.theme_id for c in codings if c.start <= start and c.end >= end])
        if not covering:
            append(f'<span class="seg" data-start="{start}">{run}</span>')
            continue
        marks = known.get(covering)
        if marks is None:
            # escape(", ".join(labels)) == ", ".join(escaped labels): escaping is per character.
            names = ", ".join([page.labels[theme_id] for theme_id in covering])
            opened = "".join([f'<span class="u theme-{theme_id}">' for theme_id in covering])
            marks = known[covering] = (
                f'" tabindex="0" title="{names}">{opened}',
                "</span>" * (len(covering) + 1),
            )
        append(f'<span class="seg coded" data-start="{start}{marks[0]}{run}{marks[1]}')


def _coding_item(text: str, quoted: bool, coding: CodingRow, page: _Page) -> str:
    context = page.context
    words = context.words
    name = coding.coder_name
    coder = page.coders[name] if name is not None else words["unknown_coder"]
    quote = text[coding.start : coding.end]
    item = (
        f'<li class="theme-{coding.theme_id}" data-coding-id="{coding.id}">'
        f'<span class="tag">{page.labels[coding.theme_id]}</span> '
        f"<q>{quote if quoted else escape(quote)}</q> <small>{coder}</small>"
    )
    if context.may_change(coding):
        url = f"{context.base}/codings/{coding.id}"
        item += (
            f' <button form="{REMOVE_FORM}" formaction="{url}/delete" '
            f'class="link remove-coding" '
            f'aria-label="{page.remove_labels[coding.theme_id]}">'
            f'{words["remove"]}</button> <a class="memo-link" href="{url}">{words["memo"]}</a>'
        )
    if coding.memo:
        item += f'<p class="memo-text">{escape(coding.memo)}</p>'
    return item + "</li>\n"
