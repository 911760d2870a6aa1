"""The retrieval page's result lists (coded segments, found passages) as HTML.

Up to 500 segments and 200 passages, each a few hundred characters of transcript:
rendering them item by item in Jinja (an escape and a lookup per field) was about
half of the search's time (issue 16). Here each item is one f-string over plain rows,
with the same markup the template wrote; every stored text, name and translated word
goes through `text()`, which escapes exactly as Jinja's autoescape does.

Round 2 (issue 16): the rows are unpacked as tuples (a named attribute of a row costs
a lookup), the values many items share (speaker, coder, language, link) are escaped
once per page, and a passage text holding no character to escape is sliced as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

try:  # markupsafe's own escaping (C), without the Markup wrapper per value
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover (markupsafe built without its C extension)
    from markupsafe._native import _escape_inner


def text(value) -> str:
    """Escape a value for HTML as markupsafe does (same entities), returning a plain str."""
    if isinstance(value, Markup):
        return str(value)
    return _escape_inner(value if type(value) is str else str(value))


def _plain(value: str) -> bool:
    """True when the text holds no character that escaping changes."""
    return not ("&" in value or "<" in value or ">" in value or "'" in value or '"' in value)


class _Escaped(dict):
    """Escaped values by value: a page repeats few speakers, coders and languages."""

    def __missing__(self, value) -> str:
        escaped = self[value] = text(value)
        return escaped


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


def _sessions(shared: Shared) -> dict[int, tuple[str, str]]:
    """Session id -> (escaped name, escaped coding view URL)."""
    return {
        key: (text(name), text(shared.workspace[key])) for key, name in shared.session_names.items()
    }


def segments_html(rows: Iterable, shared: Shared) -> Markup:
    """Return the coded segments' list items: meta line, passage with the span marked, memo.

    Each row is segment_rows' tuple: coding id, theme id, start, end, memo, coder name,
    passage id, phase, text, speaker, participant id, session id, language.
    """
    memo_word, open_ = text(shared.memo), text(shared.open)
    sessions = _sessions(shared)
    phases = [text(name) for name in shared.phase_names]
    heads = {key: str(head) for key, head in shared.heads.items()}
    organisations = shared.organisations
    escaped = _Escaped()
    speakers: dict[tuple, str] = {}
    plain_texts: dict[int, bool] = {}
    items = []
    append = items.append
    for (
        _id,
        theme_id,
        start,
        end,
        memo,
        coder,
        passage_id,
        phase,
        passage_text,
        speaker,
        participant_id,
        session_id,
        language,
    ) in rows:
        who = speakers.get((participant_id, speaker))
        if who is None:
            organisation = organisations.get(participant_id)
            who = speakers[participant_id, speaker] = text(speaker) + (
                f" ({text(organisation)})" if organisation else ""
            )
        plain = plain_texts.get(passage_id)
        if plain is None:
            plain = plain_texts[passage_id] = _plain(passage_text)
        if plain:
            before, marked, after = (
                passage_text[:start],
                passage_text[start:end],
                passage_text[end:],
            )
        else:
            before = _escape_inner(passage_text[:start])
            marked = _escape_inner(passage_text[start:end])
            after = _escape_inner(passage_text[end:])
        session_name, link = sessions[session_id]
        note = f'<p class="memo-text">{memo_word} {text(memo)}</p>' if memo else ""
        append(
            f'\n  <li class="theme-{theme_id}">\n'
            f'    <p class="meta">{heads.get(theme_id, "")} ·\n'
            f"      {session_name} · {phase}. {phases[phase - 1]} ·\n"
            f"      {who} ·\n"
            f"      {escaped[coder] if coder is not None else ''}</p>\n"
            f'    <blockquote lang="{escaped[language]}">{before}'
            f"<mark>{marked}</mark>{after}</blockquote>\n"
            f"    {note}\n"
            f'    <a href="{link}#passage-{passage_id}">'
            f"{open_}</a>\n"
            f"  </li>\n  "
        )
    return Markup("".join(items))  # noqa: S704 (every value above went through text())


def passages_html(rows: Iterable, shared: Shared) -> Markup:
    """Return the found passages' list items: session, phase, speaker, text, link.

    Each row is found_passages' tuple: passage id, phase, text, speaker, session id, language.
    """
    open_ = text(shared.open)
    sessions = _sessions(shared)
    phases = [text(name) for name in shared.phase_names]
    escaped = _Escaped()
    items = []
    append = items.append
    for passage_id, phase, passage_text, speaker, session_id, language in rows:
        session_name, link = sessions[session_id]
        append(
            f'\n  <li><p class="meta">{session_name} · {phase}. {phases[phase - 1]}'
            f" · {escaped[speaker]}</p>\n"
            f'    <blockquote lang="{escaped[language]}">{_escape_inner(passage_text)}'
            f"</blockquote>\n"
            f'    <a href="{link}#passage-{passage_id}">{open_}</a></li>\n  '
        )
    return Markup("".join(items))  # noqa: S704 (every value above went through text())
