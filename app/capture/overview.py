"""The session page's passages as HTML, built from plain rows.

A session has hundreds of passages. Two queries return plain tuples (ORM objects and a
macro per coding were most of the page's time), and each passage is one f-string with
the markup the template wrote; every stored text goes through `markupsafe.escape`, so
the page escapes exactly as Jinja's autoescape did (issue 16).

An owner's tools per passage (edit link, move up and down, merge with the next) are
links and buttons: the buttons submit the page's one shared form (`form=` and
`formaction=` attributes, so they work without JavaScript) instead of three forms, each
with its own CSRF field, per passage.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from flask import get_template_attribute, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Row

from app.models import Coding, Participant, Passage, SpeakerKind
from app.models.phases import PHASES
from app.platform.extensions import db

TOOLS_FORM = "passage-tools-form"


class PhasePassages(NamedTuple):
    """One MAG phase of the session page: how many passages it has and their markup."""

    phase: object  # app.models.phases.Phase
    count: int
    html: Markup


def code_tags(themes) -> dict[int, str]:
    """Return each theme's code tag (swatch and label in the reader's language), once."""
    swatch = get_template_attribute("_macros.html", "swatch")
    locale = str(get_locale())
    return {
        theme.id: Markup('<span class="code-tag">{}{}</span>').format(
            swatch(theme.colour), theme.label(locale)
        )
        for theme in themes
    }


_SLOT = 2_147_483_647  # stands for the passage id in a URL built once per page


def _tools(study_id: int, session_id: int) -> tuple[str, str]:
    """Return an owner's tools and merge button as `str.format` patterns.

    The tools take the passage id, the merge button (empty for the last passage of a
    phase) and the `_seen` queries of the up and down buttons; the merge button takes
    the passage id and the `_seen` query of the next passage.
    """
    urls = {}
    for name in ("edit", "move", "merge"):
        url = url_for(f"editor.{name}", study_id=study_id, session_id=session_id, passage_id=_SLOT)
        pattern = str(escape(url)).replace("{", "{{").replace("}", "}}")
        urls[name] = pattern.replace(str(_SLOT), "{0}")
    # Translated words go into `str.format` patterns: their braces are doubled like the URLs'.
    words = {
        name: str(escape(word)).replace("{", "{{").replace("}", "}}")
        for name, word in (
            ("edit", _("Edit, split or see history")),
            ("up", _("Move up")),
            ("down", _("Move down")),
            ("merge", _("Merge with the next passage")),
        )
    }
    move = f'<button type="submit" form="{TOOLS_FORM}" formaction="{urls["move"]}'
    buttons = "".join(
        f'\n          {move}{{{slot}}}" name="direction" value="{direction}" class="link">'
        f"{words[direction]}</button>"
        for slot, direction in ((2, "up"), (3, "down"))
    )
    return (
        f'<div class="passage-tools">\n          <a href="{urls["edit"]}">'
        f"{words['edit']}</a>{buttons}{{1}}\n        </div>"
    ), (
        f'\n          <button type="submit" form="{TOOLS_FORM}" formaction="{urls["merge"]}{{1}}" '
        f'class="link">{words["merge"]}</button>'
    )


def _seen(row: Row, neighbour: Row | None) -> str:
    """Return the query a move or merge button sends: what its page showed (editor._seen)."""
    if neighbour is None:
        return f"?version={row.version}"
    return (
        f"?version={row.version}&amp;neighbour={neighbour.id}"
        f"&amp;neighbour_version={neighbour.version}"
    )


def _clock(seconds: float) -> str:
    # As the template's '%d:%02d:%02d' did: whole hours, minutes and seconds, truncated.
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"


def session_passages(group_session_id: int) -> list[Row]:
    """Return what the page shows of a session's passages, in reading order, as plain rows.

    The rows also give the page its speaking participants and facilitator labels.
    """
    return list(
        db.session.execute(
            db.select(
                Passage.id,
                Passage.phase,
                Passage.speaker_kind,
                Passage.speaker_label,
                Passage.participant_id,
                Participant.pseudonym,
                Passage.start_time,
                Passage.text,
                Passage.version,
            )
            .outerjoin(Participant, Passage.participant_id == Participant.id)
            .where(Passage.group_session_id == group_session_id)
            .order_by(Passage.phase, Passage.position, Passage.id)
        )
    )


def passages_by_phase(
    study_id: int, group_session, themes, rows: list[Row], *, tools: bool
) -> list[PhasePassages]:
    """Return every MAG phase, in method order, with the markup of its passages.

    `rows` are `session_passages`; `tools`: add an owner's edit link and move and merge
    buttons to each passage.
    """
    theme_ids: dict[int, list[int]] = defaultdict(list)
    for passage_id, theme_id in db.session.execute(
        db.select(Coding.passage_id, Coding.theme_id)
        .join(Passage, Coding.passage_id == Passage.id)
        .where(Passage.group_session_id == group_session.id)
        .order_by(Coding.passage_id, Coding.start_offset, Coding.id)
    ):
        theme_ids[passage_id].append(theme_id)
    by_phase: dict[int, list] = {phase.number: [] for phase in PHASES}
    for row in rows:
        by_phase[row.phase].append(row)
    tags = code_tags(themes)
    # (Translated words outside the f-strings: pybabel does not look inside them.)
    facilitator, themes_word = escape(_("facilitator")), escape(_("Themes:"))
    words = {
        "lang": str(escape(group_session.language)),
        "facilitator": f" <small>({facilitator})</small>",
        "themes": f'<p class="codes"><span class="visually-hidden">{themes_word}</span>',
    }
    tool, merge = _tools(study_id, group_session.id) if tools else ("", "")
    phases = []
    for phase in PHASES:
        passages, items = by_phase[phase.number], []
        for i, row in enumerate(passages):
            codes = "".join([tags[t] for t in theme_ids.get(row.id, ())])
            edit = ""
            if tools:  # the last passage of a phase has nothing to merge with
                above = passages[i - 1] if i else None
                below = passages[i + 1] if i + 1 < len(passages) else None
                joined = merge.format(row.id, _seen(row, below)) if below else ""
                edit = tool.format(row.id, joined, _seen(row, above), _seen(row, below))
            items.append(_passage_html(row, codes, edit, words))
        # Safe: every stored text and label went through escape().
        phases.append(PhasePassages(phase, len(passages), Markup("".join(items))))  # noqa: S704
    return phases


def _passage_html(row: Row, codes: str, edit: str, words: dict[str, str]) -> str:
    """One passage as the template wrote it: speaker, time, text, code tags, tools."""
    speaker = row.pseudonym if row.participant_id is not None else row.speaker_label
    facilitator = words["facilitator"] if row.speaker_kind == SpeakerKind.FACILITATOR else ""
    time = "" if row.start_time is None else f'<small class="time">{_clock(row.start_time)}</small>'
    if codes:
        codes = f"{words['themes']}\n          {codes}</p>"
    return (
        f'\n      <div class="passage" id="passage-{row.id}" lang="{words["lang"]}">\n'
        f'        <p class="speaker">{escape(speaker)}{facilitator}\n          {time}</p>\n'
        f'        <p class="text">{escape(row.text)}</p>\n        {codes}\n        '
        f"{edit}\n      </div>\n      "
    )
