"""JSON API for the coding view's script and researchers' scripts.

Authenticate with the session cookie (plus the X-CSRFToken header on writes)
or with a personal token: `Authorization: Bearer magwb_...`. Errors are JSON:
`{"error": status, "message": "..."}`. Documented in README.md ("JSON API").
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import bindparam, literal_column
from sqlalchemy.orm import contains_eager

from app.accounts.audit import record_event
from app.accounts.policy import study_action
from app.coding.codings import (
    REVIEWERS,
    PassageChanged,
    changeable_coding,
    code_passage,
    set_memo,
)
from app.models import Coding, GroupSession, Passage, Theme
from app.platform.edits import StaleEdit
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id
from app.studies.codebook import add_theme, theme_by_id, theme_fields
from app.studies.theme_changes import delete_theme

bp = Blueprint("api", __name__, url_prefix="/api/studies/<int:study_id>")


def _theme_json(theme: Theme) -> dict:
    return {
        "id": theme.id,
        "key": theme.key,
        "guid": theme.guid,
        "colour": theme.colour,
        "parent_id": theme.parent_id,
        "position": theme.position,
        "labels": {lang: getattr(theme, f"label_{lang}") for lang in ("nl", "fr", "en")},
        "definitions": {lang: getattr(theme, f"definition_{lang}") for lang in ("nl", "fr", "en")},
        "seed_terms": theme.seed_terms,
    }


def _coding_json(coding: Coding) -> dict:
    return {
        "id": coding.id,
        "passage_id": coding.passage_id,
        "theme": coding.theme.key,
        "theme_id": coding.theme_id,
        "start": coding.start_offset,
        "end": coding.end_offset,
        "text": coding.quote,
        "coder_id": coding.coder_id,
        "origin": coding.origin.value,
        "memo": coding.memo,
        "memo_version": coding.memo_version,
        "created_at": coding.created_at.isoformat(),
    }


def _body() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON
        body = None
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object with Content-Type: application/json.")
    return body


@bp.get("/themes")
@study_action("study.view")
def list_themes(study_id: int):
    """List the study's codebook."""
    return jsonify(themes=[_theme_json(t) for t in g.study.themes])


@bp.post("/themes")
@study_action("codebook.edit")
def create_theme(study_id: int):
    """Add a theme: {"key", "label_en"/"label_fr"/"label_nl", "colour", "parent_id", ...}."""
    body = _body()
    form = {k: v for k, v in body.items() if isinstance(v, str)}
    for lang in ("nl", "fr", "en"):
        terms = (
            body.get("seed_terms", {}).get(lang)
            if isinstance(body.get("seed_terms"), dict)
            else None
        )
        if isinstance(terms, list):
            form[f"seed_terms_{lang}"] = "; ".join(str(t) for t in terms)
    key = body.get("key") if isinstance(body.get("key"), str) else ""
    parent = body.get("parent_id")
    parent_id = (as_id(parent) or -1) if parent not in (None, "") else None
    theme = add_theme(study_id, key, theme_fields(form), parent_id, user_id=current_user.id)
    db.session.commit()
    return jsonify(_theme_json(theme)), 201


@bp.delete("/themes/<int:theme_id>")
@study_action("codebook.edit")
def remove_theme(study_id: int, theme_id: int):
    """Delete a theme: ?codings=delete, or ?move_to=<theme id> to keep its codings."""
    theme = theme_by_id(study_id, theme_id) or abort(404)
    move_to = request.args.get("move_to", "")
    if move_to:
        target = theme_by_id(study_id, as_id(move_to)) if as_id(move_to) else None
        if target is None:
            raise ValidationError("move_to is not a theme of this study.", "move_to")
        count = delete_theme(theme, user_id=current_user.id, move_to=target)
    elif request.args.get("codings") == "delete":
        count = delete_theme(theme, user_id=current_user.id)
    else:
        raise ValidationError("Say what happens to the codings: ?codings=delete or ?move_to=ID.")
    db.session.commit()
    return jsonify(deleted=theme_id, codings_affected=count)


@bp.get("/codings")
@study_action("study.view")
def list_codings(study_id: int):
    """List codings, optionally filtered by ?session=ID, ?passage=ID, ?theme=KEY, ?coder=ID."""
    query = (
        db.select(Coding)
        .join(Theme)
        .join(Passage)
        .join(GroupSession)
        .where(GroupSession.study_id == study_id)
        .order_by(Passage.id, Coding.start_offset, Coding.id)
        # Each coding's theme key and quoted text come from the rows joined here, not from
        # a lazy load per theme and passage.
        .options(contains_eager(Coding.theme), contains_eager(Coding.passage))
    )
    filters = {"session": GroupSession.id, "passage": Passage.id, "coder": Coding.coder_id}
    for arg, column in filters.items():
        if as_id(request.args.get(arg, "")) is not None:
            query = query.where(column == as_id(request.args[arg]))
    if request.args.get("theme"):
        query = query.where(Theme.key == request.args["theme"].replace("\x00", ""))
    codings = db.session.execute(query).scalars().all()
    return jsonify(codings=[_coding_json(c) for c in codings])


@bp.post("/codings")
@study_action("coding.edit")
def create_coding(study_id: int):
    """Code a span: {"passage_id", "start", "end", "theme" (key or id), "memo"?}."""
    body = _body()
    try:
        coding = code_passage(
            study_id,
            body.get("passage_id"),
            body.get("start"),
            body.get("end"),
            body.get("theme"),
            coder_id=current_user.id,
            memo=body.get("memo") if isinstance(body.get("memo"), str) else "",
            passage_version=body.get("passage_version"),
        )
    except PassageChanged:
        return jsonify(
            error=409,
            message="The passage changed since this page was loaded; reload it before coding.",
        ), 409
    # Built from what was just written (ids and defaults are set by the flush): after the
    # commit every attribute would be read again from the database.
    saved = _coding_json(coding)
    db.session.commit()
    return jsonify(saved), 201


@bp.patch("/codings/<int:coding_id>")
@study_action("coding.edit")
def update_coding(study_id: int, coding_id: int):
    """Change a coding's memo: {"memo": "...", "memo_version": n}, both required.

    `memo_version` is the one GET returned: a memo saved by someone else since answers
    409 with both memos instead of being overwritten, and a PATCH without it answers 428,
    since it could only overwrite blindly.
    """
    coding = changeable_coding(study_id, coding_id)
    body = _body()
    memo, version = body.get("memo"), body.get("memo_version")
    if not isinstance(memo, str):
        raise ValidationError("memo must be a string.", "memo")
    if version is None:
        return jsonify(
            error=428,
            message="Send the memo_version you read (GET the coding first), so a memo saved"
            " since is not overwritten; nothing was saved.",
        ), 428
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError("memo_version must be a whole number.", "memo_version")
    try:
        set_memo(coding, memo, version=version, user_id=current_user.id)
    except StaleEdit:
        db.session.rollback()
        current = changeable_coding(study_id, coding_id)
        return jsonify(
            error=409,
            message="Someone else saved this memo since you read it; nothing was saved.",
            memo=current.memo,
            memo_version=current.memo_version,
            yours=memo,
        ), 409
    db.session.flush()  # updated_at and the memo as stored, without a read after the commit
    saved = _coding_json(coding)
    db.session.commit()
    return jsonify(saved)


# One statement deletes a coding of the study that the user may change (their own, or any
# for reviewers: `codings.may_change`) and returns what its audit event records. Only when
# it deletes nothing is the coding read, to answer 404 or 403. Built once (cache keys).
_TABLE = Coding.__table__
_DELETE_ANY = (
    db.delete(_TABLE)
    .where(
        _TABLE.c.id == bindparam("coding_id"),
        _TABLE.c.theme_id.in_(db.select(Theme.id).where(Theme.study_id == bindparam("study_id"))),
    )
    .returning(
        _TABLE.c.passage_id,
        # Spelled out: SQLite prints RETURNING columns without their table.
        literal_column('(SELECT theme."key" FROM theme WHERE theme.id = coding.theme_id)'),
    )
)
_DELETE_OWN = _DELETE_ANY.where(_TABLE.c.coder_id == bindparam("user_id"))


@bp.delete("/codings/<int:coding_id>")
@study_action("coding.edit")
def delete_coding(study_id: int, coding_id: int):
    """Remove a coding."""
    query = _DELETE_ANY if g.membership.role in REVIEWERS else _DELETE_OWN
    values = {"coding_id": coding_id, "study_id": study_id, "user_id": current_user.id}
    deleted = db.session.execute(query, values).first()
    if deleted is None:
        changeable_coding(study_id, coding_id)  # 404 or 403: nothing was deleted
        abort(404)  # deleted by a simultaneous request since: its audit event is the one
    passage_id, theme_key = deleted
    details = {"passage": passage_id, "theme": theme_key}
    record_event(
        "coding.delete",
        "coding",
        coding_id,
        user_id=current_user.id,
        study_id=study_id,
        details=details,
    )
    db.session.commit()
    return "", 204
