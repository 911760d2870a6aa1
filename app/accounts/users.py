"""Accounts: first-start setup, login, invitations, profile and language.

Passwords are hashed with Argon2id at OWASP's minimum (Password Storage Cheat
Sheet: 19 MiB, 2 passes, 1 lane), about 30 ms of one core: argon2-cffi's default
(RFC 9106's second profile, 64 MiB × 3 passes × 4 lanes) took about 290 ms of CPU per
login, so a workshop of 50 logging in together queued for 7 s on 2 cores, and each
login attempt let a client spend ten times as much of the server (BENCHMARKS.md, "Where
the CPU goes under load"). Hashes made earlier keep their own parameters and verify.

Login cookies carry the user's session token; rotating it revokes every cookie,
which is what logout-everywhere, password changes and disabling an account do.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.accounts.audit import record, record_event
from app.accounts.logins import (
    SESSION_KEY,
    end_login_session,
    live_login_user,
    start_login_session,
)
from app.accounts.policy import login_required, public
from app.models import Membership, Role, Study, User
from app.models.accounts import new_session_token
from app.platform.extensions import db, limiter, login_manager
from app.platform.forms import (
    ValidationError,
    clean_email,
    clean_language,
    clean_password,
    clean_text,
)

bp = Blueprint("accounts", __name__)
_SETUP_DONE = "magwb.setup_done"  # key in app.extensions: see needs_setup
# Never below OWASP's minimum for Argon2id: m ≥ 19 MiB with t ≥ 2, p = 1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# --- services -------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`."""
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """Tell whether `password` is the user's password."""
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_setup() -> bool:
    """Tell whether nobody can log in yet (first start).

    The demo's coder accounts have no password, so they do not count. Once an account has
    a password, one always will (accounts are disabled, never deleted; a password is only
    replaced by another), so that answer is kept for the application's lifetime and the
    login page sends no query.
    """
    if current_app.extensions.get(_SETUP_DONE):
        return False
    with_password = db.select(User.id).where(User.password_hash.is_not(None)).limit(1)
    if db.session.execute(with_password).first() is None:
        return True
    current_app.extensions[_SETUP_DONE] = True
    return False


def find_user(email: str) -> User | None:
    """Return the account with this e-mail address (case-insensitive), if any."""
    return db.session.execute(
        db.select(User).filter_by(email=email.strip().lower())
    ).scalar_one_or_none()


def create_user(
    email: str,
    display_name: str,
    *,
    password: str | None = None,
    is_admin: bool = False,
    invited_by_id: int | None = None,
) -> User:
    """Create an account; without a password it is an invitation."""
    email = clean_email(email)
    display_name = clean_text(display_name, "display_name", max_length=120)
    exists = db.session.execute(db.select(User.id).filter_by(email=email)).first()
    if exists:
        raise ValidationError(_l("An account with this e-mail address already exists."), "email")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        invited_by_id=invited_by_id,
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", user, user_id=invited_by_id or user.id, details={"admin": is_admin})
    return user


def adopt_ownerless_studies(user: User) -> list[Study]:
    """Make `user` owner of studies nobody owns (the demo study at first start)."""
    owned = db.select(Membership.study_id).filter_by(role=Role.OWNER)
    studies = db.session.execute(db.select(Study).where(Study.id.not_in(owned))).scalars().all()
    for study in studies:
        db.session.add(Membership(study=study, user_id=user.id, role=Role.OWNER))
    return list(studies)


def set_password(user: User, password: str) -> None:
    """Change the password and revoke every existing login of the user."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invite")


def invite_token(user: User) -> str:
    """Return a signed, expiring invitation token, void once a password is set."""
    return _invite_serializer().dumps({"u": user.id, "t": user.session_token})


def user_for_invite(token: str) -> User | None:
    """Return the invited user for a valid, unused token, else None."""
    try:
        data = _invite_serializer().loads(token, max_age=current_app.config["INVITE_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not hmac.compare_digest(user.session_token, str(data.get("t"))):
        return None
    return user


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """Return the user of a login cookie, if its session token is still current."""
    user_id, _sep, token = login_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    # One query: the user, and the cookie's login row live (not logged out on the server).
    user = live_login_user(int(user_id), token)
    return user if user is not None and user.is_active else None


def _start_login(user: User) -> None:
    """Log this browser in: a new server-side login row, committed, then the cookie."""
    # Drop whatever the anonymous session held before granting a login.
    session.clear()
    token = start_login_session(user)
    db.session.commit()
    login_user(user, remember=False)
    session[SESSION_KEY] = token


def _safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else the study list."""
    if target and target.startswith("/") and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("studies.index")


# --- views ----------------------------------------------------------------


@bp.get("/")
@public
def home():
    """Send people where they can start: setup, login or their studies."""
    if needs_setup():
        return redirect(url_for("accounts.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("studies.index"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """Create the first administrator; only available while no account exists."""
    if not needs_setup():
        abort(404)
    if request.method == "GET":
        return render_template("accounts/setup.html", form={}, error=None)
    form = request.form
    try:
        password = clean_password(
            form.get("password"),
            form.get("confirm"),
            user_inputs=(form.get("email"), form.get("display_name")),
        )
        user = create_user(
            form.get("email"), form.get("display_name"), password=password, is_admin=True
        )
    except ValidationError as error:
        db.session.rollback()
        return render_template("accounts/setup.html", form=form, error=error), 422
    adopted = adopt_ownerless_studies(user)
    db.session.commit()
    _start_login(user)
    flash(_("Welcome. Your administrator account is ready."), "success")
    if len(adopted) == 1:
        return redirect(url_for("studies.overview", study_id=adopted[0].id))
    return redirect(url_for("studies.index"))


def _login_email() -> str:
    """The e-mail address tried, as the account is looked up (and as its limit is counted)."""
    # NUL cannot be in a stored address (PostgreSQL refuses it in a query, too).
    return (request.form.get("email") or "").replace("\x00", "").strip().lower()


def _login_account_key() -> str:
    """Rate-limit key for the account being tried, whatever address the attempts come from."""
    # A digest: the limiter's store (Redis) and log need no e-mail addresses.
    digest = hashlib.sha256(_login_email().encode("utf-8", "replace")).hexdigest()
    return "login-account:" + digest[:32]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
# Per account: slows down guessing one password from many addresses. Per client address
# (behind MAGWB_TRUSTED_PROXIES proxies, the forwarded one): slows down trying many accounts,
# yet high enough for a room of people behind one NAT logging in together.
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account_key)
@limiter.limit(_login_address_limit, methods=["POST"])
def login():
    """Log in with e-mail address and password."""
    if needs_setup():
        return redirect(url_for("accounts.setup"))
    if request.method == "GET":
        return render_template("accounts/login.html", email="", error=None)
    email = _login_email()
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if (
        user is None
        or not user.is_active
        or not check_password(user, request.form.get("password", ""))
    ):
        # The same answer whether the account exists or not; the log says which.
        record_event(
            "login.failure",
            "user",
            user.id if user else None,
            user_id=None,
            details={"email": email[:254]},
        )
        db.session.commit()
        error = _("Wrong e-mail address or password, or the account is disabled.")
        return render_template("accounts/login.html", email=email, error=error), 401
    record_event("login.success", "user", user.id, user_id=user.id)
    db.session.commit()
    _start_login(user)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    """End this browser's login, on the server too: a copy of the cookie stops working."""
    end_login_session()
    record("user.logout", current_user._get_current_object(), user_id=current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    """Let an invited person choose a password, which activates the account."""
    user = user_for_invite(token)
    if user is None:
        return render_template("accounts/invite_invalid.html"), 404
    if request.method == "GET":
        return render_template("accounts/accept_invite.html", user=user, error=None)
    try:
        password = clean_password(
            request.form.get("password"),
            request.form.get("confirm"),
            user_inputs=(user.email, user.display_name),
        )
    except ValidationError as error:
        return render_template("accounts/accept_invite.html", user=user, error=error), 422
    set_password(user, password)
    record("user.activate", user, user_id=user.id)
    db.session.commit()
    _start_login(user)
    return redirect(url_for("studies.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    """Change one's language or password, or log out on every device."""
    if request.method == "GET":
        return render_template("accounts/profile.html", error=None)
    user = current_user._get_current_object()
    action = request.form.get("action")
    try:
        if action == "language":
            user.locale = clean_language(request.form.get("language"))
            flash(_("Language saved."), "success")
        elif action == "password":
            if not check_password(user, request.form.get("current", "")):
                raise ValidationError(_l("Your current password is not correct."), "current")
            set_password(
                user,
                clean_password(
                    request.form.get("password"),
                    request.form.get("confirm"),
                    user_inputs=(user.email, user.display_name),
                ),
            )
            record("user.password", user, user_id=user.id)
        elif action == "logout_everywhere":
            user.session_token = new_session_token()
            record("user.logout_everywhere", user, user_id=user.id)
        else:
            abort(400)
    except ValidationError as error:
        db.session.rollback()
        return render_template("accounts/profile.html", error=error), 422
    db.session.commit()
    if action in {"password", "logout_everywhere"}:
        _start_login(user)  # keep this browser, revoke the others
        flash(_("Other devices have been logged out."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/language")
@public
def choose_language():
    """Switch the UI language for this browser (and the account, if logged in)."""
    try:
        language = clean_language(request.form.get("language"))
    except ValidationError:
        abort(400)
    session["locale"] = language
    if current_user.is_authenticated:
        current_user.locale = language
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
