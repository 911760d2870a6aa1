"""Web security over every route: CSRF on every unsafe request, headers on every response."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.platform.extensions import db
from tests.app.accounts.test_access import _routes, _url, world  # noqa: F401  (fixture)
from tests.conftest import PASSWORD, csrf_token

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def app(make_app):
    """The app as in production: CSRF protection on."""
    return make_app(WTF_CSRF_ENABLED=True)


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def _login(client, email):
    token = csrf_token(client.get("/login").data)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("bearer", [None, "Bearer magwb_forged-token", "Bearer "])
@pytest.mark.parametrize("visitor", ["anonymous", "owner", "admin-no-role"])
def test_every_unsafe_route_refuses_requests_without_csrf_token(
    app,
    world,  # noqa: F811
    visitor,
    bearer,
):
    """No POST, PATCH or DELETE changes anything without the session's CSRF token.

    An Authorization header whose token does not authenticate changes nothing either.
    """
    accounts, ids = world
    headers = {"Authorization": bearer} if bearer else {}
    client = app.test_client()
    if visitor != "anonymous":
        _login(client, accounts[visitor])
    before = _row_counts(app)
    checked = 0
    for endpoint, method, rule in _routes():
        if method not in UNSAFE:
            continue
        response = client.open(_url(rule, ids), method=method, data={"x": "1"}, headers=headers)
        assert response.status_code == 400, f"{method} {endpoint}: {response.status_code}"
        checked += 1
    assert checked > 30
    assert _row_counts(app) == before


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def test_every_response_carries_the_security_headers(make_app, world):  # noqa: F811
    """Pages, downloads, API answers, redirects and errors all send CSP and no-store."""
    accounts, ids = world
    app = make_app()  # CSRF off, to reach every handler
    client = app.test_client()
    client.post("/login", data={"email": accounts["owner"], "password": PASSWORD})
    seen = 0
    for endpoint, method, rule in _routes():
        if endpoint in {"accounts.logout", "accounts.profile"} and method == "POST":
            continue
        response = client.open(_url(rule, ids), method=method, data={})
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, endpoint
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, endpoint
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, f"{endpoint}: {name}"
        seen += 1
    assert seen > 60
    for path in ("/no-such-page", "/static/style.css"):
        with client.get(path) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(app, make_user):
    """The login cookie cannot be read by scripts and is not sent by other sites' forms."""
    make_user("cookie@example.org")
    client = app.test_client()
    _login(client, "cookie@example.org")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/studies/").status_code == 200  # this cookie is the login


def test_login_is_rate_limited_per_account_across_addresses(make_app, make_user):
    """Guessing one account's password from many addresses is slowed down too."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user("target@example.org")
    codes = []
    for number in range(4):
        client = app.test_client()
        response = client.post(
            "/login",
            data={"email": "target@example.org", "password": "x"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{number + 1}"},
        )
        codes.append(response.status_code)
    assert codes == [401, 401, 401, 429]


def test_login_attempts_are_in_the_audit_log(make_app, make_user):
    """Failed and successful logins are logged, for unknown addresses too."""
    from app.models import AuditEvent

    app = make_app()
    client = app.test_client()
    user_id = make_user("log@example.org")
    client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    client.post("/login", data={"email": "log@example.org", "password": "wrong"})
    client.post("/login", data={"email": "log@example.org", "password": PASSWORD})
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_id)
            .where(AuditEvent.action.like("login.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert events == [
        ("login.failure", None),
        ("login.failure", user_id),
        ("login.success", user_id),
    ]


LONE = "a\ud800b"  # a lone UTF-16 surrogate: valid JSON escape, not storable text


def test_lone_surrogates_in_json_get_422_on_every_api_and_live_capture(
    app,
    client,
    world,  # noqa: F811
):
    """Every JSON route (API, live capture) refuses a lone surrogate with 422, not a 500."""
    accounts, ids = world
    _login(client, accounts["owner"])
    headers = {"X-CSRFToken": csrf_token(client.get("/account").data)}
    body = {
        "memo": LONE,
        "text": LONE,
        "passage_id": 1,
        "start": 0,
        "end": 3,
        "theme": "dependency",
        "phase": 3,
        "client_key": "k1",
        LONE: [LONE],
    }
    before = _row_counts(app)
    checked = set()
    for endpoint, method, rule in _routes():
        if method not in {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        if not (rule.rule.startswith("/api/") or endpoint == "live.contribute"):
            continue
        response = client.open(_url(rule, ids), method=method, json=body, headers=headers)
        assert response.status_code == 422, f"{method} {endpoint}: {response.status_code}"
        checked.add(endpoint)
    assert "live.contribute" in checked and len(checked) >= 3
    assert _row_counts(app) == before
