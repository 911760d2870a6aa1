"""Shared fixtures: a real database (SQLite by default, PostgreSQL via TEST_DATABASE_URL).

The schema is built once per test run with the Alembic migrations (the same
path production takes); every test then gets an emptied database.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
import zipfile
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings
from sqlalchemy import text

from app import create_app
from app.platform.config import normalise_database_url
from app.platform.database import upgrade_schema
from app.platform.extensions import db

# Property tests. CI runs the "ci" profile: derandomised, so a commit is judged on the
# same generated cases every time and a red run is never a coincidence of a new random
# draw. Hunting for new cases is a separate, deliberate run:
#   HYPOTHESIS_PROFILE=explore bin/test tests/...
# which draws at random, EXPLORE_FACTOR times each test's own number of examples, and
# keeps what fails in .hypothesis/ (ignored by git) to replay it. A failure found that
# way is pinned in the test as an @example, which every profile runs first.
EXPLORE_FACTOR = 10
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,  # two shared cores: timing is not a property of the code
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True)
# Loaded here, before any test module is imported: a module-level settings(...) takes the
# values it does not name from the profile loaded when it is built.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PASSWORD = "correct horse battery staple"
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-used-anywhere-else",
    "AUTO_UPGRADE": False,
    "LOAD_DEMO": False,
    "STRICT_TRANSLATIONS": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Return the test database URL, migrated to the newest schema."""
    url = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL")
        or (f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}")
    )
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    upgrade_schema(app)
    with app.app_context():
        db.engine.dispose()
    return app.config["SQLALCHEMY_DATABASE_URI"]


def wipe(engine) -> None:
    """Delete every row of every table, keeping the schema."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
            # AUTOINCREMENT keeps its counters apart; restart them as PostgreSQL's RESTART
            # IDENTITY does, so every test starts from id 1 on both databases.
            has_sequence = connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
            if has_sequence:
                connection.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def make_app(database_url):
    """Return a factory of apps on the test database; the database is emptied afterwards."""
    apps = []

    def factory(**overrides):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            wipe(db.engine)
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """An application on an empty, migrated database."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create an account and return its id."""
    from app.accounts.users import create_user

    def factory(email: str, *, admin: bool = False, password: str | None = PASSWORD) -> int:
        with app.app_context():
            user = create_user(
                email, email.split("@")[0].title(), password=password, is_admin=admin
            )
            db.session.commit()
            return user.id

    return factory


@pytest.fixture
def make_study(app):
    """Create a study owned by the given user id and return its id."""
    from app.studies.studies import create_study

    def factory(owner_id: int, title: str = "Study", language: str = "fr") -> int:
        with app.app_context():
            study = create_study(title, "", language, owner_id=owner_id)
            db.session.commit()
            return study.id

    return factory


@pytest.fixture
def add_member(app):
    """Give a user a role in a study."""
    from app.models import Membership, Role

    def factory(study_id: int, user_id: int, role: str) -> int:
        with app.app_context():
            membership = Membership(study_id=study_id, user_id=user_id, role=Role(role))
            db.session.add(membership)
            db.session.commit()
            return membership.id

    return factory


@pytest.fixture
def make_passages(app):
    """Add a session of one participant's phase-5 passages; return (session id, passage ids)."""
    from app.models import GroupSession, Participant, Passage, SpeakerKind

    def factory(study_id: int, texts, *, language: str = "fr") -> tuple[int, list[int]]:
        with app.app_context():
            group_session = GroupSession(study_id=study_id, number=1, language=language)
            person = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
            passages = [
                Passage(
                    group_session=group_session,
                    phase=5,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=person,
                    text=text,
                )
                for position, text in enumerate(texts, start=1)
            ]
            db.session.add_all([group_session, person, *passages])
            db.session.commit()
            return group_session.id, [passage.id for passage in passages]

    return factory


def login(client, email: str, password: str = PASSWORD):
    """Log a test client in through the real login form."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.data
    return response


def while_held(app, first, then, *, hold: float = 0.5):
    """Run `first()` and keep its transaction open while `then()` starts in another thread.

    `first` has done its reads and writes (flushed, locks held, nothing committed) when
    `then` starts; it commits `hold` seconds later, so a `then` that waits for a lock
    `first` holds runs after that commit, and one that does not runs on what was committed
    before `first`. Returns what `then()` returned, or the exception it raised.
    """
    outcome = {}

    def other():
        try:
            outcome["value"] = then()
        except Exception as error:  # noqa: BLE001 (the failure is what the test checks)
            outcome["value"] = error

    with app.app_context():
        first()
        db.session.flush()
        waiting = threading.Thread(target=other)
        waiting.start()
        time.sleep(hold)  # let it reach the lock (had it not, it simply runs after `first`)
        db.session.commit()
    waiting.join(timeout=30)
    assert not waiting.is_alive() and "value" in outcome
    return outcome["value"]


def answers_revision(client, url: str) -> dict[str, str]:
    """Return the `revision` field a participant's page at `url` sends with its answers now.

    A browser reloads the page after saving (its form then carries the new revision); a
    test posting again without it would be an answer from an older page.
    """
    page = client.get(url).get_data(as_text=True)
    return {"revision": re.search(r'name="revision" value="(\d+)"', page).group(1)}


def csrf_token(html: bytes) -> str:
    """Return the CSRF token embedded in a rendered page."""
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


def docx_text(data: bytes) -> str:
    """All the text of a .docx, tables included, from its XML parts."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(
            re.sub(r"<[^>]+>", "", archive.read(name).decode("utf-8"))
            for name in archive.namelist()
            if name.endswith(".xml")
        )


def zip_text(data: bytes) -> str:
    """All the text of a zip file's members (a .qdpx, say), joined."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def xlsx_text(data: bytes) -> str:
    """Every cell value of a workbook, one a line."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row
    )


@contextmanager
def later_columns():
    """Add the columns migrations 0014 and on add while today's services fill an older database.

    Tests of older migrations fill a database at their revision through the services,
    whose inserts name every mapped column; the columns are dropped again afterwards, so
    the migrations under test find the old schema. Needs an app context.
    """
    from app.exchange.archive.format import ADDED_COLUMNS

    added = sorted(pair for pairs in ADDED_COLUMNS.values() for pair in pairs)
    for table, column in added:
        db.session.execute(
            text(f'ALTER TABLE "{table}" ADD COLUMN "{column}" INTEGER NOT NULL DEFAULT 1')
        )
    db.session.commit()
    yield added
    db.session.commit()
    for table, column in added:
        db.session.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
    db.session.commit()


def pytest_collection_modifyitems(items):
    """Give every property test EXPLORE_FACTOR times its examples under the explore profile."""
    if settings.get_current_profile_name() != "explore":
        return
    scaled = set()  # a parametrised test is one function behind several items
    for item in items:
        test = getattr(item, "obj", None)
        if not is_hypothesis_test(test) or test in scaled:
            continue
        scaled.add(test)
        # Hypothesis keeps a test's own settings here (version pinned in
        # requirements-test.txt); a test's max_examples would otherwise cap the profile's.
        own = test._hypothesis_internal_use_settings
        test._hypothesis_internal_use_settings = settings(
            own, max_examples=own.max_examples * EXPLORE_FACTOR
        )
