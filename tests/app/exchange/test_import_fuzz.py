"""Generated input for the new importers and forms: answered, never a crash or a half-write.

Hypothesis damages valid REFI-QDA projects and study archives (bytes flipped,
cut short, members replaced) and sends generated values to the participants'
page and the incident form. Every case must end in the importer's own error
(or a clean import) and leave the database as it was.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.platform.extensions import db
from app.platform.forms import ValidationError
from tests.conftest import login

FUZZ = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def exported(app, make_user):
    """The demo study, and its .qdpx and archive as produced by the app."""
    from app.demo import load_demo
    from app.exchange.archive.export import export_study_archive
    from app.exchange.qdpx import export_qdpx

    owner = make_user("owner@example.org", admin=True)
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        return {
            "owner": owner,
            "study": study.id,
            "qdpx": export_qdpx(study, user_id=owner),
            "archive": export_study_archive(study.id),
        }


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in db.metadata.tables.items()
        }


def _damage(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    damaged = bytearray(data)
    for position, patch in edits:
        start = position % max(len(damaged), 1)
        damaged[start : start + len(patch)] = patch
    return bytes(damaged[:cut] if cut else damaged)


def _replace_member(data: bytes, index: int, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    victim = names[index % len(names)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            target.writestr(name, content if name == victim else source.read(name))
    return out.getvalue()


EDITS = st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=8)), max_size=4)
CUT = st.none() | st.integers(min_value=0, max_value=400_000)


def _import_qdpx(app, owner, data):
    from app.exchange.qdpx import import_qdpx

    with app.app_context():
        try:
            import_qdpx(data, filename="fuzz.qdpx", owner_id=owner, language="fr")
        except ValidationError:
            db.session.rollback()
            return False
        db.session.rollback()  # a clean import is fine; the test only counts damage
        return True


def _import_archive(app, owner, data):
    from app.exchange.archive.restore import import_study_archive

    with app.app_context():
        try:
            import_study_archive(data, owner_id=owner)
        except ValidationError:
            db.session.rollback()
            return False
        db.session.rollback()
        return True


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_damaged_qdpx_files_are_refused_cleanly(app, exported, edits, cut):
    before = _row_counts(app)
    _import_qdpx(app, exported["owner"], _damage(exported["qdpx"], edits, cut))
    assert _row_counts(app) == before


@FUZZ
@given(index=st.integers(min_value=0, max_value=50), content=st.binary(max_size=3000))
def test_qdpx_members_replaced_by_junk_are_refused_cleanly(app, exported, index, content):
    before = _row_counts(app)
    _import_qdpx(app, exported["owner"], _replace_member(exported["qdpx"], index, content))
    assert _row_counts(app) == before


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_damaged_study_archives_are_refused_cleanly(app, exported, edits, cut):
    before = _row_counts(app)
    _import_archive(app, exported["owner"], _damage(exported["archive"], edits, cut))
    assert _row_counts(app) == before


@FUZZ
@given(index=st.integers(min_value=0, max_value=50), content=st.binary(max_size=3000))
def test_archive_members_replaced_by_junk_are_refused_cleanly(app, exported, index, content):
    before = _row_counts(app)
    source = zipfile.ZipFile(io.BytesIO(exported["archive"]))
    names = source.namelist()
    unchanged = source.read(names[index % len(names)]) == content  # e.g. an empty table
    imported = _import_archive(
        app, exported["owner"], _replace_member(exported["archive"], index, content)
    )
    assert imported == unchanged  # every member is checksummed: any change is refused
    assert _row_counts(app) == before


FORM_VALUES = st.text(max_size=60) | st.sampled_from(["agree", "nuance", "disagree", "withdraw"])


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), FORM_VALUES, max_size=4))
def test_the_participant_page_answers_generated_forms(app, exported, values):
    from app.models import ValidationLink
    from app.synthesis.links import link_token

    with app.app_context():
        link = db.session.execute(db.select(ValidationLink)).scalars().first()
        token = link_token(link)
        items = [item.statement_id for item in link.round.items]
    keys = {
        "a": f"verdict-{items[0]}",
        "b": f"comment-{items[0]}",
        "c": f"verdict-{items[-1]}",
        "d": "quote-1",
    }
    response = app.test_client().post(f"/v/{token}", data={keys[k]: v for k, v in values.items()})
    assert response.status_code in {303, 422}


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from(
            ["organisation", "channel", "worker_action", "consequence", "minutes_spent", "themes"]
        ),
        st.text(max_size=40),
        max_size=6,
    )
)
def test_the_incident_form_answers_generated_forms(app, client, exported, values):
    login(client, "owner@example.org")
    before = _row_counts(app)["incident_sheet"]
    response = client.post(f"/studies/{exported['study']}/incidents/", data=values)
    assert response.status_code in {303, 422}
    if response.status_code == 422:
        assert _row_counts(app)["incident_sheet"] == before
