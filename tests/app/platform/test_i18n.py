"""Every UI string exists in Dutch, French and English, and every page renders in each.

The suite runs with STRICT_TRANSLATIONS: a string missing from the active
catalog makes the request fail, so rendering each page in each language is
the check that no string was forgotten.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app import create_app
from app.demo import load_demo
from app.models import (
    Coding,
    GroupSession,
    ImportDraft,
    IncidentSheet,
    Job,
    JobStatus,
    Membership,
    Narrative,
    Participant,
    Passage,
    Statement,
    Study,
    Theme,
    ValidationRound,
)
from app.platform.config import LANGUAGES, ROOT
from app.platform.extensions import db
from app.synthesis.links import link_token
from tests.conftest import BASE_CONFIG, login

CATALOGS = ROOT / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalog(language: str):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _source_messages() -> set[str]:
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_translates_every_string_in_the_source(language):
    """Each catalog has a non-empty, non-fuzzy translation of every marked string."""
    catalog = _catalog(language)
    assert not catalog.fuzzy, "a fuzzy header makes the catalog be ignored"
    missing = sorted(m for m in _source_messages() if not catalog.get(m))
    assert missing == [], f"run bin/i18n and translate: {missing}"
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_up_to_date(language):
    """The committed .mo file is the compiled form of the committed .po file."""
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(language))
    compiled = Path(CATALOGS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled == buffer.getvalue(), "run bin/i18n to recompile"


def _draft(study_id: int, user_id: int) -> str:
    """Leave an uploaded file waiting for its speaker mapping, so that page renders too."""
    db.session.add(
        ImportDraft(
            study_id=study_id,
            user_id=user_id,
            batch="b1",
            filename="s.md",
            data="## 3. Récit\nAmina B.: Bonjour.".encode(),
        )
    )
    db.session.commit()
    return "b1"


@pytest.fixture
def demo_world(app, make_user):
    """The demo study owned by an admin; returns the ids pages need."""
    owner = make_user("owner@example.org", admin=True)
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        round_ = db.session.execute(db.select(ValidationRound)).scalars().first()
        job = Job(study_id=study.id, kind="test", status=JobStatus.RUNNING, progress=0.4)
        report = Job(study_id=study.id, kind="export.docx", status=JobStatus.DONE)
        restore = Job(study_id=None, kind="exchange.restore", created_by_id=owner, progress=0.2)
        db.session.add_all([job, report, restore])
        db.session.commit()
        coding = db.session.execute(db.select(Coding).order_by(Coding.id)).scalars().first()
        return {
            "study_id": study.id,
            "session_id": db.session.execute(db.select(GroupSession.id)).scalars().first(),
            "participant_id": db.session.execute(db.select(Participant.id)).scalars().first(),
            "membership_id": db.session.execute(db.select(Membership.id)).scalars().first(),
            "theme_id": db.session.execute(db.select(Theme.id)).scalars().first(),
            "passage_id": db.session.execute(
                db.select(Passage.id).join(GroupSession).order_by(GroupSession.number)
            )
            .scalars()
            .first(),
            "fmt": "csv",
            "batch": _draft(study.id, owner),
            "narrative_id": db.session.execute(db.select(Narrative.id)).scalars().first(),
            "kind": "cooccurrence",
            "statement_id": db.session.execute(db.select(Statement.id)).scalars().first(),
            "round_id": round_.id,
            "job_id": job.id,
            "sheet_id": db.session.execute(db.select(IncidentSheet.id)).scalars().first(),
            "link_id": round_.links[0].id,
            "respond.page": {"token": link_token(round_.links[0])},
            "exports.report_file": {"job_id": report.id},
            "study_imports.restore_job": {"job_id": restore.id},  # no study yet
            "exports.segments": {"fmt": "xlsx"},
            "coding.detail": {
                "session_id": coding.passage.group_session_id,
                "coding_id": coding.id,
            },
        }


def _get_pages(app, ids):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint in {"accounts.home", "accounts.setup", "accounts.login"}:
            continue  # redirects once logged in; rendered in the anonymous test below
        own = ids.get(rule.endpoint, {})
        values = {
            name: own.get(name, ids.get(name, "not-a-valid-token")) for name in rule.arguments
        }
        yield rule.endpoint, rule.build(values)[1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_renders_without_missing_strings(client, app, demo_world, language):
    """Logged in as owner and admin, every page (and the error pages) renders in the language."""
    login(client, "owner@example.org")
    client.post("/language", data={"language": language, "next": "/"})
    for endpoint, url in _get_pages(app, demo_world):
        response = client.get(url)
        # An unknown invitation, and a report whose file is gone, have their own pages.
        expected = {"accounts.accept_invite": 404, "exports.report_file": 410}.get(endpoint, 200)
        assert response.status_code == expected, url
        if response.data.startswith(b"<!doctype html>"):  # not downloads, CSS or fragments
            assert f'<html lang="{language}">'.encode() in response.data, url
            title = response.text.split("<title>", 1)[1].split("</title>", 1)[0]
            assert "<" not in title and len(title) < 200, (url, title)  # a plain page title
    study = demo_world["study_id"]
    assert client.get(f"/studies/{study}/sessions/999999").status_code == 404
    assert client.post(f"/studies/{study}/participants/", data={}).status_code == 422
    assert client.post("/studies/new", data={"title": ""}).status_code == 422
    assert client.post("/admin/users", data={}).status_code == 422
    response = client.post("/admin/users", data={"email": "x@example.org", "display_name": "X"})
    assert response.status_code == 201


@pytest.mark.parametrize("language", LANGUAGES)
def test_anonymous_pages_render_in_each_language(make_app, language, make_user):
    """Setup, login, errors: the pages people see before logging in are translated too."""
    app = make_app()
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.get("/setup", headers=headers).status_code == 200
    assert client.post("/setup", data={}, headers=headers).status_code == 422
    make_user("someone@example.org")
    assert client.get("/login", headers=headers).status_code == 200
    assert client.post("/login", data={"email": "x"}, headers=headers).status_code == 401
    assert client.get("/nowhere", headers=headers).status_code == 404
    assert client.get("/invite/bad", headers=headers).status_code == 404


def test_phase_names_follow_the_method_in_each_language(client, app, demo_world):
    """The session page names the MAG phases as DOMAIN.md does in nl and fr."""
    login(client, "owner@example.org")
    url = f"/studies/{demo_world['study_id']}/sessions/{demo_world['session_id']}"
    client.post("/language", data={"language": "fr", "next": "/"})
    page = client.get(url).data.decode()
    assert "Propositions de récits" in page and "Perspectives pratiques" in page
    client.post("/language", data={"language": "nl", "next": "/"})
    page = client.get(url).data.decode()
    assert "Voorstellen van verhalen" in page and "Praktische perspectieven" in page


def test_strict_mode_turns_a_missing_string_into_an_error(database_url):
    """The check itself works: an unknown msgid fails the request in strict mode."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})

    @app.get("/probe")
    def probe():
        from flask_babel import gettext

        return gettext("A string nobody translated")

    probe.access = ("public", None)
    with pytest.raises(RuntimeError, match="A string nobody translated"):
        app.test_client().get("/probe")
    with app.app_context():
        assert db.session.execute(db.select(Study)).first() is None
        engine = db.engine
    engine.dispose()  # after the context returned the session's connection
