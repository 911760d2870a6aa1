"""Untrusted text everywhere: markup stays inert, odd files and JSON never crash or half-write.

Curated payloads cover the classic ways out of HTML text, attributes and
textareas; hypothesis adds generated text, files and JSON bodies.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.capture.formats import parse_transcript
from app.models import GroupSession, Participant, Passage, SpeakerKind
from app.platform.extensions import db
from app.platform.forms import ValidationError
from tests.conftest import login

MARK = "x-inj"  # an element name that no page uses: finding it unescaped means injection
PAYLOADS = [
    f"<{MARK}>",
    f'"><{MARK} onerror=alert(1)>',
    f"'><{MARK}>",
    f"</textarea><{MARK}>",
    f"</title><{MARK}>",
    f"<![CDATA[<{MARK}>]]>",
    f"<svg/onload=alert(1)><{MARK}>",
    f"&lt;{MARK}&gt; <{MARK}/>",
]


def _fields(payload: str) -> list[tuple[str, dict]]:
    """(path template, form) pairs that store user text somewhere."""
    return [
        (
            "/studies/{study}/participants/",
            {"pseudonym": payload[:80], "organisation_type": payload, "position": payload},
        ),
        (
            "/studies/{study}/sessions/new",
            {
                "number": "7",
                "title": payload,
                "place": payload,
                "language": "fr",
                "status": "planned",
            },
        ),
        (
            "/studies/{study}/codebook/",
            {
                "key": "inj",
                "label_en": payload[:120],
                "definition_en": payload,
                "seed_terms_en": payload,
            },
        ),
        (
            "/studies/{study}/sessions/{session}/passages",
            {"phase": "3", "speaker": "f:" + payload, "text": payload},
        ),
        (
            "/studies/{study}/sessions/{session}/narratives",
            {"proposer": "{participant}", "title": payload, "summary": payload},
        ),
    ]


PAGES = [
    "/studies/{study}",
    "/studies/{study}/participants/",
    "/studies/{study}/codebook/",
    "/studies/{study}/sessions/{session}",
    "/studies/{study}/sessions/{session}/code",
    "/studies/{study}/segments?q=inj",
    "/studies/{study}/matrices",
    "/studies/{study}/privacy/",
    "/studies/{study}/audit/",
]


@pytest.fixture
def world(app, client, make_user, make_study):
    owner = make_user("owner@example.org")
    study_id = make_study(owner, "Study")
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        participant = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        db.session.add_all([group_session, participant])
        db.session.commit()
        ids = {"study": study_id, "session": group_session.id, "participant": participant.id}
    login(client, "owner@example.org")
    return ids


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_every_user_field_is_rendered_inert(client, world, payload):
    """Stored payloads come back escaped on every page that shows them."""
    for path, form in _fields(payload):
        data = {k: v.format(**world) if v == "{participant}" else v for k, v in form.items()}
        response = client.post(path.format(**world), data=data)
        assert response.status_code in {302, 422}, path
    for page in PAGES:
        html = client.get(page.format(**world)).text
        assert f"<{MARK}" not in html, page


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=200))
def test_generated_text_in_a_passage_never_breaks_a_page(client, world, text):
    """Whatever text a passage holds, the session and coding pages render it escaped."""
    response = client.post(
        f"/studies/{world['study']}/sessions/{world['session']}/passages",
        data={"phase": "3", "speaker": "f:Animatrice", "text": text},
    )
    assert response.status_code in {302, 303}
    for page in PAGES[3:5]:
        response = client.get(page.format(**world))
        assert response.status_code == 200
        assert f"<{MARK}" not in response.text


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=3000),
    name=st.sampled_from(["t.md", "t.txt", "t.docx", "t.vtt", "t.srt"]),
)
def test_readers_only_raise_validation_errors(data, name):
    """Random bytes in any format give turns or a ValidationError, never another exception."""
    try:
        parse_transcript(data, name, default_phase=3)
    except ValidationError as error:
        assert name in str(error)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(GroupSession)),
            db.session.scalar(select(func.count()).select_from(Passage)),
        )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2000))
def test_uploading_junk_never_stores_anything(client, app, world, data):
    """A junk upload is answered (never a 500) and leaves no session or passage behind."""
    before = _counts(app)
    response = client.post(
        f"/studies/{world['study']}/import/",
        data={"files": [(io.BytesIO(data), "junk.md")], "language": "fr"},
        content_type="multipart/form-data",
    )
    assert response.status_code in {302, 422}
    assert _counts(app) == before


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["passage_id", "start", "end", "theme", "memo", "passage_version", "other"]
        ),
        JSON_VALUES,
    )
)
def test_api_never_fails_on_generated_json(client, app, world, body):
    """Generated coding requests get a 4xx or 201 answer, and a refusal stores nothing."""
    with app.app_context():
        if db.session.execute(select(Passage.id)).first() is None:
            db.session.add(
                Passage(
                    group_session_id=world["session"],
                    phase=3,
                    position=1,
                    text="Une dame est venue au CPAS.",
                    speaker_kind=SpeakerKind.FACILITATOR,
                    speaker_label="A",
                )
            )
            db.session.commit()
    response = client.post(f"/api/studies/{world['study']}/codings", json=body)
    assert response.status_code in {201, 409, 422}, (body, response.status_code)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000))
def test_codebook_readers_only_raise_format_errors(data):
    """Random bytes as .qdc or text as .csv give entries or a CodebookFormatError only."""
    from app.exchange.codebook_csv import import_csv
    from app.exchange.codebook_qdc import CodebookFormatError, import_qdc

    for reader in (
        lambda: import_qdc(data, source="x.qdc", language="fr"),
        lambda: import_csv(data.decode("utf-8", "replace"), source="x.csv"),
    ):
        try:
            reader()
        except CodebookFormatError as error:
            assert "x." in str(error)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(
            ["key", "label_en", "label_fr", "colour", "parent_id", "seed_terms", "definition_nl"]
        ),
        JSON_VALUES,
    )
)
def test_theme_api_never_fails_on_generated_json(client, app, world, body):
    """Generated theme bodies get 201 or 422, never a server error."""
    response = client.post(f"/api/studies/{world['study']}/themes", json=body)
    assert response.status_code in {201, 422}, (body, response.status_code)


def test_nul_characters_are_dropped_or_refused_everywhere(client, app, world):
    """NUL, which PostgreSQL cannot store, never reaches the database as a server error."""
    base = f"/studies/{world['study']}/sessions/{world['session']}"
    assert (
        client.post(
            f"{base}/passages", data={"phase": "3", "speaker": "f:A", "text": "a\x00b"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.execute(select(Passage.text)).scalar_one() == "ab"
        passage_id = db.session.execute(select(Passage.id)).scalar_one()
    response = client.post(
        f"/api/studies/{world['study']}/codings",
        json={"passage_id": passage_id, "start": 0, "end": 1, "theme": "pri\x00vacy"},
    )
    assert response.status_code == 422
    assert client.get(f"/api/studies/{world['study']}/codings?theme=a%00b").status_code == 200
    assert (
        client.post("/login", data={"email": "a\x00@example.org", "password": "x"}).status_code
        == 401
    )


def test_services_refuse_lone_surrogates_whatever_the_entry_point():
    """The shared text rules refuse them too: no form, import or CLI path can store one."""
    from app.platform.forms import clean_long_text, clean_text

    for rule in (
        lambda: clean_text("a\ud800b", "title", max_length=50),
        lambda: clean_long_text("a\ud800b", "memo"),
    ):
        with pytest.raises(ValidationError):
            rule()
