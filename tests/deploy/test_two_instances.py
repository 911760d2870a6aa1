"""Two gunicorn instances on one database and one Redis behave as one service (docs/deploy.md).

This is the statelessness claim of "Where one server is not enough": a login made on one
server is valid on the other, a write on one is read on the other, and a logout on one ends
the login on both. The same cookie jar is replayed against two ports, as a load balancer
without sticky sessions would do.
"""

from __future__ import annotations

import re

import httpx

from tests.conftest import PASSWORD
from tests.deploy.conftest import log_in, web_server


def _csrf(client: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_a_login_write_and_logout_on_one_instance_hold_on_the_other(
    app, make_user, make_study, make_passages, stack_env, tmp_path
):
    """Log in on A, code on A and read on B, delete on B, log out on A: B refuses the cookie."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, (passage_id,) = make_passages(study_id, ["Le guichet est fermé le vendredi."])
    with (
        web_server(stack_env, tmp_path / "a.log") as a,
        web_server(stack_env, tmp_path / "b.log") as b,
        httpx.Client() as browser,  # one cookie jar; 127.0.0.1 cookies go to both ports
    ):
        assert a != b
        log_in(browser, f"{a}/login", "owner@example.org", PASSWORD)
        overview = browser.get(f"{b}/studies/{study_id}/sessions/{session_id}")
        assert overview.status_code == 200 and "Le guichet est fermé" in overview.text

        token = _csrf(browser, f"{a}/studies/{study_id}")
        created = browser.post(
            f"{a}/api/studies/{study_id}/codings",
            json={"passage_id": passage_id, "start": 3, "end": 10, "theme": "privacy"},
            headers={"X-CSRFToken": token},
        )
        assert created.status_code == 201, created.text
        coding_id = created.json()["id"]
        seen_on_b = browser.get(f"{b}/api/studies/{study_id}/codings").json()["codings"]
        assert [c["id"] for c in seen_on_b] == [coding_id]
        deleted = browser.delete(
            f"{b}/api/studies/{study_id}/codings/{coding_id}", headers={"X-CSRFToken": token}
        )
        assert deleted.status_code == 204, deleted.text
        assert browser.get(f"{a}/api/studies/{study_id}/codings").json()["codings"] == []

        copied = httpx.Cookies(browser.cookies)  # what another tab (or a thief) still holds
        token = _csrf(browser, f"{b}/studies/{study_id}")
        assert browser.post(f"{a}/logout", data={"csrf_token": token}).status_code == 302
        with httpx.Client(cookies=copied) as replay:
            page = replay.get(f"{b}/studies/{study_id}")
            assert page.status_code == 302 and "/login" in page.headers["Location"]
            api = replay.get(
                f"{b}/api/studies/{study_id}/codings", headers={"Accept": "application/json"}
            )
            assert api.status_code == 401
