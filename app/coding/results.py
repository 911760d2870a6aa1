"""The retrieval page's result lists (coded segments, found passages) as HTML.

Up to 500 segments and 200 passages, each a few hundred characters of transcript:
rendering them item by item in Jinja (an escape and a lookup per field) was about
half of the search's time (issue 16). Here each item is one f-string over plain rows,
with the same markup the template wrote; every stored text, name and translated word
goes through `text()`, which escapes exactly as Jinja's autoescape does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup


def text(value) -> str:
    """Escape a value for HTML as markupsafe does (same entities), returning a plain str."""
    if isinstance(value, Markup):
        return str(value)
    return (
        str(value)
        .replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


@dataclass(frozen=True)
class Shared:
    """What every item of the lists shares, computed once per page."""

    heads: dict[int, Markup]  # theme id -> swatch and bold label
    session_names: dict[int, str]  # session id -> "Session 3"
    phase_names: list[str]  # phase number - 1 -> name
    workspace: dict[int, str]  # session id -> coding view URL
    organisations: dict[int, str]  # participant id -> organisation type (when set)
    memo: str  # "Memo:"
    open: str  # "Open in the coding view"


def segments_html(rows: Iterable, shared: Shared) -> Markup:
    """Return the coded segments' list items: meta line, passage with the span marked, memo."""
    memo, open_ = text(shared.memo), text(shared.open)
    sessions = {k: text(v) for k, v in shared.session_names.items()}
    phases = [text(name) for name in shared.phase_names]
    items = []
    for s in rows:
        organisation = shared.organisations.get(s.participant_id)
        speaker = text(s.speaker) + (f" ({text(organisation)})" if organisation else "")
        coder = text(s.coder) if s.coder is not None else ""
        note = f'<p class="memo-text">{memo} {text(s.memo)}</p>' if s.memo else ""
        items.append(
            f'\n  <li class="theme-{s.theme_id}">\n'
            f'    <p class="meta">{shared.heads[s.theme_id]} ·\n'
            f"      {sessions[s.session_id]} · {s.phase}. {phases[s.phase - 1]} ·\n"
            f"      {speaker} ·\n"
            f"      {coder}</p>\n"
            f'    <blockquote lang="{text(s.language)}">{text(s.text[: s.start])}'
            f"<mark>{text(s.text[s.start : s.end])}</mark>{text(s.text[s.end :])}</blockquote>\n"
            f"    {note}\n"
            f'    <a href="{text(shared.workspace[s.session_id])}#passage-{s.passage_id}">'
            f"{open_}</a>\n"
            f"  </li>\n  "
        )
    return Markup("".join(items))  # noqa: S704 (every value above went through text())


def passages_html(rows: Iterable, shared: Shared) -> Markup:
    """Return the found passages' list items: session, phase, speaker, text, link."""
    open_ = text(shared.open)
    sessions = {k: text(v) for k, v in shared.session_names.items()}
    phases = [text(name) for name in shared.phase_names]
    items = [
        f'\n  <li><p class="meta">{sessions[p.session_id]} · {p.phase}. {phases[p.phase - 1]}'
        f" · {text(p.speaker)}</p>\n"
        f'    <blockquote lang="{text(p.language)}">{text(p.text)}</blockquote>\n'
        f'    <a href="{text(shared.workspace[p.session_id])}#passage-{p.id}">{open_}</a></li>\n  '
        for p in rows
    ]
    return Markup("".join(items))  # noqa: S704 (every value above went through text())
