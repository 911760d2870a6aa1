"""Coding passages: the services, the coding view and its passage fragments.

Offsets are Unicode code points, zero-based, end exclusive, over the stored
passage text; `passage.text[start:end]` is the coded span. The browser
converts its UTF-16 selection to code points before it sends anything.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import and_, bindparam
from sqlalchemy.orm import contains_eager, joinedload

from app.accounts.audit import log_transcript_view, record
from app.accounts.policy import allowed, in_study, study_action
from app.coding.highlights import (
    REMOVE_FORM,
    Context,
    load_codings,
    load_passage,
    load_passages,
    passages_html,
)
from app.coding.suggestion_panel import suggestion_panel
from app.models import (
    Coding,
    CodingOrigin,
    GroupSession,
    Passage,
    Role,
    Theme,
)
from app.models.phases import PHASES
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_long_text
from app.privacy.scan import scan_memo
from app.studies import codebook

bp = Blueprint("coding", __name__, url_prefix="/studies/<int:study_id>/sessions")

# Roles that may remove or edit codings made by someone else (review, merges).
REVIEWERS = frozenset({Role.OWNER, Role.FACILITATOR})


# --- services -------------------------------------------------------------


def _theme_column(theme_ref) -> tuple[str, int | str | None]:
    """Return the theme column's name and the value a reference names (key None if neither)."""
    if isinstance(theme_ref, int) and not isinstance(theme_ref, bool):
        return "id", as_id(theme_ref) or 0
    if not isinstance(theme_ref, str) or "\x00" in theme_ref:
        return "key", None  # `key = NULL` matches no theme
    return "key", theme_ref


class PassageChanged(Exception):
    """The passage's version is not the one the coder saw: their offsets may be stale."""


# Built once per theme column (id, key): a statement object keeps its cache key.
_PASSAGE = {
    name: db.select(Passage, Theme)
    .join(Passage.group_session)
    .outerjoin(Theme, and_(Theme.study_id == GroupSession.study_id, column == bindparam("ref")))
    .where(Passage.id == bindparam("passage"), GroupSession.study_id == bindparam("study"))
    .options(contains_eager(Passage.group_session))
    for name, column in (("id", Theme.id), ("key", Theme.key))
}


def _passage_and_theme(study_id: int, passage_id, theme_ref) -> tuple[Passage | None, Theme | None]:
    """Load a passage of the study with its session, and the study's theme, in one query."""
    passage_id = as_id(passage_id) if isinstance(passage_id, int) else None
    if passage_id is None:
        return None, None
    column, ref = _theme_column(theme_ref)
    values = {"passage": passage_id, "study": study_id, "ref": ref}
    row = db.session.execute(_PASSAGE[column], values).first()
    return (None, None) if row is None else (row[0], row[1])


def check_span(passage: Passage, start, end) -> tuple[int, int]:
    """Check that [start, end) is a non-empty span inside the passage text."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise ValidationError(_l("Start and end must be whole numbers."), "start")
    if not 0 <= start < end <= len(passage.text):
        raise ValidationError(
            _l(
                "The span %(start)d–%(end)d is not inside the passage (0–%(length)d) or is empty.",
                start=start,
                end=end,
                length=len(passage.text),
            ),
            "start",
        )
    return start, end


def code_passage(
    study_id: int,
    passage_id: int,
    start: int,
    end: int,
    theme_ref: int | str,
    *,
    coder_id: int,
    origin: CodingOrigin = CodingOrigin.MANUAL,
    memo: str = "",
    passage_version: int | None = None,
) -> Coding:
    """Apply a theme to a span of a passage.

    `passage_version`, when given, must be the passage's current version (else
    PassageChanged): the offsets were taken from that text.
    """
    # One query for the passage, its session and the theme: the coding view sends one
    # of these per selection.
    passage, theme = _passage_and_theme(study_id, passage_id, theme_ref)
    if passage is None:
        raise ValidationError(_l("This passage does not exist in this study."), "passage_id")
    if passage_version is not None and passage_version != passage.version:
        raise PassageChanged
    start, end = check_span(passage, start, end)
    if theme is None:
        raise ValidationError(_l("This theme is not in this study's codebook."), "theme")
    coding = Coding(
        passage=passage,
        theme=theme,
        coder_id=coder_id,
        start_offset=start,
        end_offset=end,
        origin=origin,
        memo=clean_long_text(memo, "memo", max_length=5000),
    )
    db.session.add(coding)
    db.session.flush()
    if coding.memo:
        scan_memo(coding)
    record(
        "coding.create",
        coding,
        user_id=coder_id,
        study_id=study_id,
        details={"passage": passage.id, "theme": theme.key, "start": start, "end": end},
    )
    return coding


def coding_in_study(coding_id: int, study_id: int) -> Coding | None:
    """Return the coding if it belongs to the study."""
    coding = db.session.get(Coding, coding_id, options=[joinedload(Coding.theme)])
    if coding is None or coding.theme.study_id != study_id:  # coding_id comes from the URL
        return None
    return coding


def may_change(coding: Coding, user_id: int, role: Role) -> bool:
    """Coders change their own codings; owners and facilitators change any."""
    return coding.coder_id == user_id or role in REVIEWERS


def remove_coding(coding: Coding, *, user_id: int) -> None:
    """Delete a coding and log what it was (a Core DELETE: no ORM cascades from a coding)."""
    table = Coding.__table__
    if db.session.execute(table.delete().where(table.c.id == coding.id)).rowcount != 1:
        abort(404)  # a simultaneous request deleted it first: its audit event is the only one
    details = {"passage": coding.passage_id, "theme": coding.theme.key}
    record(
        "coding.delete", coding, user_id=user_id, study_id=coding.theme.study_id, details=details
    )
    db.session.expunge(coding)  # gone: no later load or flush of this session may touch it


def set_memo(coding: Coding, memo: str | None, *, version, user_id: int) -> None:
    """Replace the memo of a coding, written from memo `version` (StaleEdit otherwise)."""
    memo = clean_long_text(memo, "memo", max_length=5000)
    claim_version(
        coding,
        version,
        lambda: differences({_l("Memo"): coding.memo}, {_l("Memo"): memo}),
        attribute="memo_version",
    )
    coding.memo = memo
    scan_memo(coding)
    record("coding.memo", coding, user_id=user_id, study_id=coding.theme.study_id)


# --- views ----------------------------------------------------------------


def changeable_coding(study_id: int, coding_id: int, session_id: int | None = None) -> Coding:
    """Load a coding of the study (and session) the current user may change; else 404/403."""
    coding = coding_in_study(coding_id, study_id)
    if coding is None or (session_id is not None and coding.passage.group_session_id != session_id):
        abort(404)
    if not may_change(coding, current_user.id, g.membership.role):
        abort(403)
    return coding


def _context(language: str) -> Context:
    """Values every passage of the view shares, computed once (the view has thousands)."""
    labels = {theme.id: theme.label(str(get_locale())) for theme in g.study.themes}
    words = {
        "facilitator": _("facilitator"),
        "codings": _("Codings of this passage"),
        "unknown_coder": _("unknown coder"),
        "remove": _("Remove"),
        "memo": _("Memo"),
    }
    remove = _("Remove the coding %(theme)s")  # translated once, as gettext formats it
    return Context(
        # Relative URLs (resolved against the coding view's own, where fragments land too):
        # a thousand codings each carry two.
        base=".",
        language=language,
        labels=labels,
        remove_labels={theme_id: remove % {"theme": label} for theme_id, label in labels.items()},
        words={key: str(escape(word)) for key, word in words.items()},
        can_code=allowed(g.membership.role, "coding.edit"),
        user_id=current_user.id,
        reviewer=g.membership.role in REVIEWERS,
    )


@bp.get("/<int:session_id>/code")
@study_action("study.view")
def workspace(study_id: int, session_id: int):
    """Show a session's transcript for coding: select text, press a number or click a theme."""
    group_session = in_study(GroupSession, session_id)
    log_transcript_view(group_session, "session.view_coding")
    only_mine = request.args.get("show") == "mine"
    context = _context(group_session.language)
    codings = load_codings(session_id, current_user.id if only_mine else None)
    by_phase = {phase.number: [] for phase in PHASES}
    for passage in load_passages(session_id):
        by_phase[passage.phase].append(passage)
    return render_template(
        "coding/workspace.html",
        group_session=group_session,
        phases=[
            (phase, passages_html(by_phase[phase.number], codings, context))
            for phase in PHASES
            if by_phase[phase.number]
        ],
        remove_form=REMOVE_FORM,
        study=g.study,
        themes=g.study.themes,
        labels=context.labels,
        can_code=context.can_code,
        token=generate_csrf(),
        only_mine=only_mine,
        colours=colours_version(g.study.themes),
        # Only coders see the suggestion panel.
        **(suggestion_panel(study_id, session_id) if context.can_code else {}),
    )


@bp.get("/themes.css")
@study_action("study.view")
def theme_colours(study_id: int):
    """Serve the codebook's theme colours; at the URL of the current colours, cacheable."""
    response = codebook.stylesheet(study_id)
    if request.args.get("v") == colours_version(g.study.themes):
        # Colours only, no testimony; a changed colour changes the URL the view links to.
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def colours_version(themes) -> str:
    """A short digest of the theme ids and colours: the stylesheet's URL changes with them."""
    colours = ",".join(f"{theme.id}:{theme.colour}" for theme in themes)
    return hashlib.sha256(colours.encode()).hexdigest()[:12]


@bp.get("/<int:session_id>/passages/<int:passage_id>")
@study_action("study.view")
def passage_fragment(study_id: int, session_id: int, passage_id: int):
    """Render one passage with its codings, for the coding view's script to swap in."""
    found = load_passage(study_id, session_id, passage_id)  # 404 for another study's session
    if found is None:
        return render_template("errors/error.html", status=404), 404
    passage, language = found
    coder = current_user.id if request.args.get("show") == "mine" else None
    codings = load_codings(session_id, coder, passage_id)
    return passages_html([passage], codings, _context(language))


@bp.get("/<int:session_id>/codings/<int:coding_id>")
@study_action("study.view")
def detail(study_id: int, session_id: int, coding_id: int):
    """Show one coding with its memo form and remove button (the forms the view leaves out)."""
    coding = coding_in_study(coding_id, study_id)
    if coding is None or coding.passage.group_session_id != session_id:
        abort(404)
    return _coding_page(coding)


def _coding_page(coding: Coding, *, conflict=None, memo: str | None = None):
    can_change = allowed(g.membership.role, "coding.edit") and may_change(
        coding, current_user.id, g.membership.role
    )
    return render_template(
        "coding/coding.html",
        study=g.study,
        group_session=coding.passage.group_session,
        coding=coding,
        can_change=can_change,
        conflict=conflict,
        # After a conflict the form holds this person's memo, with the current version.
        memo=coding.memo if memo is None else memo,
    )


@bp.post("/<int:session_id>/codings/<int:coding_id>/delete")
@study_action("coding.edit")
def delete(study_id: int, session_id: int, coding_id: int):
    """Remove a coding (form fallback when scripts are off)."""
    remove_coding(changeable_coding(study_id, coding_id, session_id), user_id=current_user.id)
    db.session.commit()
    flash(_("Coding removed."), "success")
    return redirect(url_for("coding.workspace", study_id=study_id, session_id=session_id))


@bp.post("/<int:session_id>/codings/<int:coding_id>/memo")
@study_action("coding.edit")
def memo(study_id: int, session_id: int, coding_id: int):
    """Save the memo of a coding."""
    coding = changeable_coding(study_id, coding_id, session_id)
    try:
        set_memo(
            coding,
            request.form.get("memo"),
            version=request.form.get("memo_version", ""),
            user_id=current_user.id,
        )
    except StaleEdit as conflict:
        db.session.rollback()
        coding = changeable_coding(study_id, coding_id, session_id)
        return _coding_page(coding, conflict=conflict, memo=request.form.get("memo", "")), 409
    db.session.commit()
    flash(_("Memo saved."), "success")
    anchor = f"passage-{coding.passage_id}"
    return redirect(
        url_for("coding.workspace", study_id=study_id, session_id=session_id, _anchor=anchor)
    )
