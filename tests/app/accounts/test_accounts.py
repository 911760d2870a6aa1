"""Accounts: first start, login, invitations, revocable logins, language choice."""

from __future__ import annotations

import re

import pytest

from app.models import AuditEvent, Membership, Role, User
from app.platform.extensions import db
from tests.conftest import PASSWORD, csrf_token, login

NEW_ADMIN = {
    "display_name": "Ann Admin",
    "email": "ann@example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def test_first_start_leads_to_setup_and_setup_closes_afterwards(client, app):
    """With no account, / goes to setup; after it, setup is gone and the admin is logged in."""
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/setup")
    response = client.post("/setup", data=NEW_ADMIN)
    assert response.status_code == 302
    assert client.get("/studies/").status_code == 200
    assert client.get("/setup").status_code == 404
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.is_admin and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_setup_refuses_weak_or_mismatched_passwords(client, app):
    """Bad setup input re-renders the form with the problem named and stores nothing."""
    response = client.post("/setup", data={**NEW_ADMIN, "password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert b"at least 12 characters" in response.data
    response = client.post("/setup", data={**NEW_ADMIN, "confirm": PASSWORD + "x"})
    assert response.status_code == 422 and b"not the same" in response.data
    response = client.post("/setup", data={**NEW_ADMIN, "email": "not-an-address"})
    assert response.status_code == 422 and b"name@example.org" in response.data
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None


def test_setup_makes_the_admin_owner_of_the_demo_study(make_app):
    """On first start the demo is loaded and the new admin lands on it as owner."""
    app = make_app(LOAD_DEMO=True)
    client = app.test_client()
    response = client.post("/setup", data=NEW_ADMIN)
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 200
    assert "Demo — Digitalisering".encode() in page.data
    with app.app_context():
        membership = db.session.execute(db.select(Membership)).scalar_one()
        assert membership.role == Role.OWNER


def test_login_rejects_wrong_password_and_disabled_accounts(client, make_user, app):
    """Wrong credentials give 401 with one message that does not reveal which part was wrong."""
    make_user("bea@example.org")
    response = client.post("/login", data={"email": "bea@example.org", "password": "wrong" * 3})
    assert response.status_code == 401 and b"Wrong e-mail address or password" in response.data
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="bea@example.org")).scalar_one()
        user.is_enabled = False
        db.session.commit()
    response = client.post("/login", data={"email": "bea@example.org", "password": PASSWORD})
    assert response.status_code == 401


def test_login_redirects_only_to_local_pages(client, make_user):
    """The next parameter cannot send a user to another site after login."""
    make_user("cas@example.org")
    response = client.post(
        "/login?next=//evil.example/", data={"email": "cas@example.org", "password": PASSWORD}
    )
    assert response.location == "/studies/"
    client.post("/logout")
    response = client.post(
        "/login?next=/account", data={"email": "cas@example.org", "password": PASSWORD}
    )
    assert response.location == "/account"


def test_logout_ends_the_login(client, make_user):
    """After logout the same browser is anonymous again."""
    make_user("dirk@example.org")
    login(client, "dirk@example.org")
    client.post("/logout")
    assert client.get("/studies/").status_code == 302


def test_logout_ends_that_session_on_the_server_even_for_a_copied_cookie(app, make_user):
    """A cookie copied before "Log out" does not work after it; other browsers stay logged in."""
    make_user("dora@example.org")
    laptop, phone, thief = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "dora@example.org")
    login(phone, "dora@example.org")
    cookie = laptop.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
    assert thief.get("/studies/").status_code == 200  # the copy works while logged in
    laptop.post("/logout")
    response = thief.get("/studies/")
    assert response.status_code == 302 and "/login" in response.location
    assert phone.get("/studies/").status_code == 200  # plain logout ends this login only


def test_logout_everywhere_revokes_other_browsers(app, make_user):
    """A stolen or forgotten cookie stops working when the user logs out everywhere."""
    make_user("eva@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "eva@example.org")
    login(phone, "eva@example.org")
    laptop.post("/account", data={"action": "logout_everywhere"})
    assert laptop.get("/studies/").status_code == 200
    response = phone.get("/studies/")
    assert response.status_code == 302 and "/login" in response.location


def test_password_change_revokes_other_logins_and_needs_current_password(app, make_user):
    """Changing the password checks the old one and logs out other devices."""
    make_user("fien@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "fien@example.org")
    login(phone, "fien@example.org")
    new = "a new long passphrase"
    response = laptop.post(
        "/account", data={"action": "password", "current": "wrong", "password": new, "confirm": new}
    )
    assert response.status_code == 422 and b"current password is not correct" in response.data
    response = laptop.post(
        "/account",
        data={"action": "password", "current": PASSWORD, "password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert phone.get("/studies/").status_code == 302
    assert laptop.get("/studies/").status_code == 200
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"email": "fien@example.org", "password": PASSWORD}).status_code
        == 401
    )
    login(fresh, "fien@example.org", new)


def test_disabling_an_account_ends_its_logins(app, make_user):
    """An administrator disabling an account logs that person out at once."""
    admin_id = make_user("admin@example.org", admin=True)
    user_id = make_user("gert@example.org")
    admin, gert = app.test_client(), app.test_client()
    login(admin, "admin@example.org")
    login(gert, "gert@example.org")
    response = admin.post(f"/admin/users/{user_id}/enabled", data={"enabled": "0"})
    assert response.status_code == 302
    assert gert.get("/studies/").status_code == 302
    with app.app_context():
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="user.disable")
        ).scalar_one()
        assert (event.user_id, event.object_id) == (admin_id, user_id)


def test_invitation_link_sets_a_password_once(app, make_user):
    """An invited person activates the account through the link, which then stops working."""
    make_user("admin@example.org", admin=True)
    admin = app.test_client()
    login(admin, "admin@example.org")
    response = admin.post(
        "/admin/users", data={"email": "Hanne@Example.org", "display_name": "Hanne"}
    )
    assert response.status_code == 201
    link = (
        re.search(
            rb'<code class="invite-link">http://localhost(/invite/[^<]+)</code>', response.data
        )
        .group(1)
        .decode()
    )
    invited = app.test_client()
    assert b"hanne@example.org" in invited.get(link).data
    assert (
        invited.post("/login", data={"email": "hanne@example.org", "password": ""}).status_code
        == 401
    )
    response = invited.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    assert invited.get("/studies/").status_code == 200
    assert app.test_client().get(link).status_code == 404
    login(app.test_client(), "hanne@example.org")


def test_invitation_with_existing_email_is_refused(app, make_user):
    """Inviting an address that already has an account says so and creates nothing."""
    make_user("admin@example.org", admin=True)
    make_user("ilse@example.org")
    admin = app.test_client()
    login(admin, "admin@example.org")
    response = admin.post(
        "/admin/users", data={"email": "ILSE@example.org", "display_name": "Ilse again"}
    )
    assert response.status_code == 422 and b"already exists" in response.data
    with app.app_context():
        assert len(db.session.execute(db.select(User)).all()) == 2


def test_language_follows_browser_then_choice(client, make_user, app):
    """The browser's language is the default; a choice overrides it and sticks to the account."""
    make_user("jan@example.org")
    page = client.get("/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert b'<html lang="nl">' in page.data and b"Wachtwoord" in page.data
    client.post("/language", data={"language": "fr", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert b'<html lang="fr">' in page.data and b"Mot de passe" in page.data
    login(client, "jan@example.org")
    client.post("/language", data={"language": "nl", "next": "/studies/"})
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="jan@example.org")).scalar_one()
        assert user.locale == "nl"
    other = app.test_client()
    login(other, "jan@example.org")
    assert b'<html lang="nl">' in other.get("/studies/", headers={"Accept-Language": "en"}).data


def test_forms_without_csrf_token_are_refused(make_app, make_user):
    """With CSRF protection on (as in production) a forged POST is refused and changes nothing."""
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user("kim@example.org")
    client = app.test_client()
    token = csrf_token(client.get("/login").data)
    assert (
        client.post("/login", data={"email": "kim@example.org", "password": PASSWORD}).status_code
        == 400
    )
    response = client.post(
        "/login", data={"email": "kim@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    response = client.post("/studies/new", data={"title": "Forged", "language": "fr"})
    assert response.status_code == 400
    with app.app_context():
        assert (
            db.session.execute(db.select(AuditEvent).filter_by(action="study.create")).first()
            is None
        )


def test_login_attempts_are_rate_limited(make_app, make_user):
    """Repeated failed logins from one address are slowed down before any hash is checked."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user("lou@example.org")
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "lou@example.org", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_login_next_cannot_hide_another_site(client, make_user):
    """Control characters or backslashes in ?next= do not make it leave the site."""
    make_user("max@example.org")
    for target in ("/%09/evil.example", "/\\evil.example", "https://evil.example/"):
        client.post("/logout")
        response = client.post(
            f"/login?next={target}", data={"email": "max@example.org", "password": PASSWORD}
        )
        assert response.location == "/studies/", target


def test_user_input_in_error_messages_is_escaped(client, app, make_user, make_study):
    """A pseudonym with markup appears as text in the duplicate-pseudonym message."""
    owner = make_user("own@example.org")
    study_id = make_study(owner)
    login(client, "own@example.org")
    name = "<b id=inj>x</b>"
    client.post(f"/studies/{study_id}/participants/", data={"pseudonym": name})
    response = client.post(f"/studies/{study_id}/participants/", data={"pseudonym": name})
    assert response.status_code == 422
    assert b"<b id=inj>" not in response.data and b"&lt;b id=inj&gt;" in response.data


@pytest.mark.parametrize(
    "password",
    ["password1234", "azertyuiop123", "wachtwoord1234", "123456789012", "ann@example.org!"],
)
def test_guessable_passwords_are_refused(client, app, password):
    """Common passwords, keyboard rows and one's own address are refused at setup."""
    response = client.post("/setup", data={**NEW_ADMIN, "password": password, "confirm": password})
    assert response.status_code == 422 and b"too easy to guess" in response.data
    with app.app_context():
        assert db.session.execute(db.select(User)).first() is None
