"""Gunicorn with the repository configuration answers, and its access log holds no search words."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD
from tests.deploy.conftest import log_in, web_server


def test_the_access_log_never_holds_search_words_referrers_or_link_tokens(
    app, make_user, make_study, make_passages, stack_env, tmp_path
):
    """A search for a person's name leaves only the path in gunicorn's access log."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    make_passages(study_id, ["Madame Vandersteen a perdu son code PIN chez la banque."])
    access_log = tmp_path / "access.log"
    env = {**stack_env, "MAGWB_ACCESS_LOG": str(access_log)}
    token = "WzEyLCJub25jZS1zZWNyZXQiXQ.c2lnbmF0dXJl"
    with web_server(env, tmp_path / "gunicorn.log") as base, httpx.Client(base_url=base) as client:
        log_in(client, "/login", "owner@example.org", PASSWORD)
        found = client.get(
            f"/studies/{study_id}/segments",
            params={"q": "Vandersteen"},
            headers={"Referer": f"{base}/studies/{study_id}/segments?q=Verbeke+Annelies"},
        )
        assert found.status_code == 200 and "Vandersteen" in found.text
        assert client.get(f"/v/{token}", params={"lang": "fr"}).status_code == 404
    logged = access_log.read_text(encoding="utf-8")
    assert f'"GET /studies/{study_id}/segments HTTP/1.1" 200' in logged
    assert '"POST /login HTTP/1.1" 302' in logged
    assert '"GET /v/… HTTP/1.1" 404' in logged
    for secret in ("Vandersteen", "Verbeke", "Annelies", "q=", token, "nonce", "lang=fr"):
        assert secret not in logged, secret
