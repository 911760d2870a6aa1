"""Login limits: per account, and per client address as the trusted proxies report it.

The limits are counted in the limiter's real storage (memory:// in the tests, one per app).
"""

from __future__ import annotations

import pytest

PROXY = "10.0.0.1"  # the reverse proxy every request arrives from


def _attempt(client, email: str, *, forwarded_for: str | None = None, remote=PROXY) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post(
        "/login",
        data={"email": email, "password": "not the password"},
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )
    return response.status_code


@pytest.fixture
def limited(make_app, make_user):
    """An app with low limits; an account exists so the login form is in use."""
    make_user("someone@example.org")

    def factory(**overrides):
        config = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "100 per minute"}
        return make_app(**{**config, **overrides})

    return factory


def test_clients_behind_a_trusted_proxy_get_their_own_bucket(limited):
    """With one trusted proxy, each forwarded client address is limited on its own."""
    app = limited(TRUSTED_PROXIES=1, LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    client = app.test_client()
    first = [_attempt(client, f"a{n}@example.org", forwarded_for="203.0.113.5") for n in range(4)]
    assert first == [401, 401, 401, 429]
    # Another person behind the same proxy is not blocked by the first one's attempts.
    assert _attempt(client, "b@example.org", forwarded_for="203.0.113.6") == 401
    # The proxy appends the address it saw: what the client wrote before it is not believed.
    forged = _attempt(client, "c@example.org", forwarded_for="198.51.100.9, 203.0.113.5")
    assert forged == 429


def test_forged_forwarded_for_does_not_escape_the_limit_without_trusted_proxies(limited):
    """With no trusted proxy (the default), X-Forwarded-For is ignored: one address, one bucket."""
    app = limited(LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    assert app.config["TRUSTED_PROXIES"] == 0
    client = app.test_client()
    codes = [
        _attempt(client, f"x{n}@example.org", forwarded_for=f"203.0.113.{n}", remote="192.0.2.7")
        for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_a_room_behind_one_address_can_log_in_together(limited):
    """Forty people behind one Wi-Fi, each mistyping once, stay within the default limits."""
    app = limited(LOGIN_RATE_LIMIT="10 per minute")  # the address limit keeps its default
    assert app.config["LOGIN_ADDRESS_RATE_LIMIT"] == "100 per minute"
    client = app.test_client()
    codes = {
        _attempt(client, f"person{n}@example.org", remote="192.0.2.40")
        for n in range(40)
        for _try in range(2)
    }
    assert codes == {401}


def test_one_account_is_limited_however_its_address_is_written(limited):
    """Case, spaces and NUL bytes in the e-mail address do not open new buckets for one account."""
    app = limited(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    spellings = [
        "target@example.org",
        " TARGET@example.org",
        "target@example.org\x00",
        "Target@Example.org\x00\x00",
    ]
    codes = [_attempt(client, email, remote=f"192.0.2.{n}") for n, email in enumerate(spellings, 1)]
    assert codes == [401, 401, 401, 429]
