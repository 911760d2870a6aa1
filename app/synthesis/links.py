"""Personal validation links: signed, revocable tokens a participant opens without an account.

A link's token is the link id and its nonce, signed with the instance's secret key
(itsdangerous), so facilitators can reprint a link and revoking it takes effect at once.
A participant who was erased or withdrew their participation consent has no door
left: their links stop working and cannot be reissued (`participant_barred`).
"""

from __future__ import annotations

import secrets

from flask import (
    abort,
    current_app,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from app.models import (
    ConsentScope,
    Participant,
    Synthesis,
    ValidationLink,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import as_id
from app.synthesis.quotations import consent_in_force

TOKEN_SALT = "magwb-validation-link"  # noqa: S105  (a namespace, not a secret)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def link_token(link: ValidationLink) -> str:
    """Return the URL token of a link (the signed id and nonce)."""
    return _serializer().dumps([link.id, link.nonce])


def link_url(link: ValidationLink) -> str:
    """Return the participant's full personal address."""
    return url_for("respond.page", token=link_token(link), _external=True)


# Everything opening a link reads (its round, the group's language, the participant's
# consents for `link_problem`, the link's own answers for the page and `save_answers`) in
# one statement instead of a chain of six lazy loads and a query of the answers. Built
# once, so SQLAlchemy keeps its cache key instead of deriving it again per request.
_LINK = (
    db.select(ValidationLink)
    .where(ValidationLink.id == bindparam("link_id"))
    .options(
        joinedload(ValidationLink.round)
        .joinedload(ValidationRound.synthesis)
        .options(joinedload(Synthesis.group_session), joinedload(Synthesis.study)),
        joinedload(ValidationLink.participant).joinedload(Participant.consents),
        joinedload(ValidationLink.answers),
    )
)


def link_from_token(token: str) -> ValidationLink:
    """Return the link a token stands for, or 404 for anything forged, altered or replaced."""
    try:
        link_id, nonce = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        abort(404)
    link = db.session.execute(_LINK, {"link_id": as_id(link_id) or 0}).unique().scalar_one_or_none()
    if link is None or not isinstance(nonce, str) or not secrets.compare_digest(link.nonce, nonce):
        abort(404)
    return link


def participant_barred(participant: Participant) -> str | None:
    """Return why a participant may not answer at all ("erased", "withdrawn"), or None."""
    if participant.erased_at is not None:
        return "erased"
    if consent_in_force(participant, ConsentScope.PARTICIPATION) is False:
        return "withdrawn"
    return None


def link_problem(link: ValidationLink) -> str | None:
    """Return why a link no longer works ("erased", "withdrawn", "revoked", "closed",
    "expired"), or None."""
    barred = participant_barred(link.participant)
    if barred:
        return barred
    if link.revoked_at is not None:
        return "revoked"
    round_ = link.round
    if round_.closed_at is not None:
        return "closed"
    expires = round_.expires_at
    if expires.tzinfo is None:  # SQLite returns naive UTC datetimes
        expires = expires.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow():
        return "expired"
    return None
