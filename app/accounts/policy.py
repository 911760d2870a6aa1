"""Who may do what: one table, enforced before every request.

Each view declares its access with one of the decorators below. A
`before_request` hook (`enforce_access`) reads the declaration and refuses
the request before the view runs; a view without a declaration is refused
too (fail closed), and a test fails if any route lacks one.

Rules, in order:
- anonymous users are sent to the login page (401 for JSON requests);
- a disabled account is logged out;
- for study routes, a study the user is not a member of is a 404, exactly as
  if it did not exist, so ids cannot be probed; a member whose role lacks the
  action gets 403.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam

from app.models import Membership, Role, Study
from app.platform.errors import wants_json
from app.platform.extensions import db

OWNER, FACILITATOR, RESEARCHER, OBSERVER = (
    Role.OWNER,
    Role.FACILITATOR,
    Role.RESEARCHER,
    Role.OBSERVER,
)

# action -> roles allowed. README.md ("Roles") describes the same table in words.
POLICY: dict[str, frozenset[Role]] = {
    "study.view": frozenset({OWNER, FACILITATOR, RESEARCHER, OBSERVER}),
    "study.edit": frozenset({OWNER}),
    "members.manage": frozenset({OWNER}),
    "session.edit": frozenset({OWNER, FACILITATOR}),
    "participant.view": frozenset({OWNER, FACILITATOR, RESEARCHER, OBSERVER}),
    "participant.edit": frozenset({OWNER, FACILITATOR}),
    "participant.erase": frozenset({OWNER}),
    "codebook.edit": frozenset({OWNER, FACILITATOR}),
    "coding.edit": frozenset({OWNER, FACILITATOR, RESEARCHER}),
    # The theme sweep codes and rejects passages: the people who code.
    "theme.sweep": frozenset({OWNER, FACILITATOR, RESEARCHER}),
    "audit.view": frozenset({OWNER}),
    "privacy.review": frozenset({OWNER, FACILITATOR}),
    "synthesis.view": frozenset({OWNER, FACILITATOR, RESEARCHER, OBSERVER}),
    "synthesis.edit": frozenset({OWNER, FACILITATOR}),
    # Answers can be attributed: only the people who run the group see them.
    "validation.manage": frozenset({OWNER, FACILITATOR}),
    "incident.view": frozenset({OWNER, FACILITATOR, RESEARCHER, OBSERVER}),
    "incident.edit": frozenset({OWNER, FACILITATOR}),
    # Exports carry transcript quotes out of the tool: not for observers.
    "export.download": frozenset({OWNER, FACILITATOR, RESEARCHER}),
    # The archive holds everything, real names on the known-names list included.
    "study.backup": frozenset({OWNER}),
}

PUBLIC, LOGIN, ADMIN = "public", "login", "admin"


def _declare(kind: str, action: str | None = None) -> Callable:
    def decorator(view: Callable) -> Callable:
        view.access = (kind, action)
        return view

    return decorator


public = _declare(PUBLIC)
login_required = _declare(LOGIN)
admin_required = _declare(ADMIN)


def study_action(action: str) -> Callable:
    """Declare that a view acts on the study in its `study_id` argument."""
    if action not in POLICY:
        raise KeyError(f"No policy entry for {action!r}")
    return _declare("study", action)


def allowed(role: Role | None, action: str) -> bool:
    """Tell whether `role` may perform `action`."""
    return role is not None and role in POLICY[action]


def membership_of(user_id: int, study_id: int) -> Membership | None:
    """Return the user's membership of the study, if any."""
    return db.session.execute(
        db.select(Membership).filter_by(user_id=user_id, study_id=study_id)
    ).scalar_one_or_none()


# Built once (its cache key kept, as logins._LIVE_LOGIN): every study request asks.
_STUDY_AND_MEMBERSHIP = (
    db.select(Study, Membership)
    .join(Membership, Membership.study_id == Study.id)
    .where(Study.id == bindparam("study_id"), Membership.user_id == bindparam("user_id"))
)


def _study_and_membership(study_id: int, user_id: int):
    """Return (study, membership of the user) in one query (every study request asks)."""
    found = db.session.execute(_STUDY_AND_MEMBERSHIP, {"study_id": study_id, "user_id": user_id})
    return found.one_or_none()


def _check_csrf() -> None:
    """Check the CSRF token of unsafe requests, except API calls whose bearer token is valid.

    A header alone proves nothing: an invalid or revoked token next to a session cookie
    must not switch the check off, so the token is checked first.
    """
    from app.accounts.tokens import bearer_token, user_for_token
    from app.platform.extensions import csrf

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = bearer_token()
    if token and user_for_token(token) is not None:
        return  # authenticated by the token, which a forged cross-site request cannot carry
    csrf.protect()


def enforce_access():
    """Refuse the request unless the view's declaration allows it."""
    if request.endpoint is None:
        return None  # 404/405 from routing
    if request.endpoint == "static":
        return None
    _check_csrf()
    view = current_app.view_functions[request.endpoint]
    kind, action = getattr(view, "access", (None, None))
    if kind is None:
        current_app.logger.error("Route %s has no access declaration", request.endpoint)
        abort(403)
    if kind == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if kind == ADMIN and not current_user.is_admin:
        abort(403)
    if kind == "study":
        study_id = (request.view_args or {}).get("study_id")
        found = _study_and_membership(study_id, current_user.id) if study_id is not None else None
        if found is None:
            abort(404)
        study, membership = found
        if not allowed(membership.role, action):
            abort(403)
        g.study, g.membership = study, membership
    return None


def in_study(model, object_id: int):
    """Load an object of the current study by id; another study's object is a 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.study_id != g.study.id:
        abort(404)
    return obj
