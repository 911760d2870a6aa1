"""GDPR duties: access to a participant's data, erasure that leaves nothing, retention."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.models import GroupSession, Participant, Passage, SpeakerKind, Theme
from app.platform.extensions import db
from tests.conftest import login

SEEDS = {
    "pseudonym": "Zoltanne",
    "organisation": "Maison Quetzalcoatl",
    "note": "accord-oral-7391",
    "real": "Ximena Oudenbroek",
}


@pytest.fixture
def study(app, client, make_user, make_study):
    """A participant whose data appears in attributes, consent, passages, memos and names."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    client.post(
        f"/studies/{study_id}/participants/",
        data={
            "pseudonym": SEEDS["pseudonym"],
            "organisation_type": SEEDS["organisation"],
            "position": "assistante",
            "consent": ["participation"],
            "consent_date": "2026-01-10",
        },
    )
    with app.app_context():
        person = db.session.execute(db.select(Participant)).scalar_one()
        other = Participant(study_id=study_id, pseudonym="Karim", pseudonym_key="karim")
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        said = Passage(
            group_session=group_session,
            phase=5,
            position=1,
            participant=person,
            speaker_kind=SpeakerKind.PARTICIPANT,
            text="Pour moi, c'est l'eBox.",
        )
        mention = Passage(
            group_session=group_session,
            phase=7,
            position=1,
            participant=other,
            speaker_kind=SpeakerKind.PARTICIPANT,
            text=f"Je rejoins {SEEDS['pseudonym']} sur l'eBox.",
        )
        db.session.add_all([other, group_session, said, mention])
        db.session.commit()
        ids = {
            "study": study_id,
            "person": person.id,
            "session": group_session.id,
            "mention": mention.id,
        }
    client.post(
        f"/studies/{study_id}/participants/{ids['person']}",
        data={
            "action": "consent",
            "scope": "quotation",
            "granted": "0",
            "given_on": "2026-02-01",
            "note": SEEDS["note"],
        },
    )
    client.post(f"/studies/{study_id}/privacy/names", data={"names": SEEDS["real"]})
    statement = client.post(
        f"/studies/{study_id}/statements",
        data={
            "session_id": ids["session"],
            "kind": "divergence",
            "text": f"{SEEDS['pseudonym']} et Karim lisent l'eBox autrement.",
            "positions": f"{SEEDS['pseudonym']}: la contrainte; Karim: l'outil.",
        },
    )
    ids["statement"] = int(statement.headers["Location"].rsplit("statement-", 1)[1])
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        passage = db.session.get(Passage, ids["mention"])
        start = passage.text.index("l'eBox")
        client.post(
            f"/api/studies/{study_id}/codings",
            json={
                "passage_id": passage.id,
                "start": start,
                "end": start + 6,
                "theme": theme.id,
                "memo": f"Voir avec {SEEDS['pseudonym']}",
            },
        )
    return ids


def _database_text(app) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            dump.extend(
                repr(row) for row in db.session.execute(text(f'SELECT * FROM "{table.name}"'))
            )
        return "\n".join(dump)


def test_export_contains_everything_held_about_the_participant(client, app, study):
    """The JSON download lists attributes, consent history and the passages they spoke."""
    response = client.get(f"/studies/{study['study']}/participants/{study['person']}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    record = json.loads(response.data)
    assert record["pseudonym"] == SEEDS["pseudonym"]
    assert record["attributes"]["organisation_type"] == SEEDS["organisation"]
    assert [c["note"] for c in record["consents"]][-1] == SEEDS["note"]
    assert record["passages"][0]["text"] == "Pour moi, c'est l'eBox."


def test_erasure_leaves_none_of_the_seeded_values_in_the_database(client, app, study):
    """After erasure no seeded value remains anywhere; the words stay, unattributed."""
    assert all(value in _database_text(app) for value in SEEDS.values())
    url = f"/studies/{study['study']}/participants/{study['person']}/erase"
    assert client.post(url, data={"confirm": "wrong"}).status_code == 303
    assert SEEDS["pseudonym"] in _database_text(app)
    response = client.post(url, data={"confirm": SEEDS["pseudonym"], "real_names": SEEDS["real"]})
    assert response.status_code == 302
    dump = _database_text(app)
    for name, value in SEEDS.items():
        assert value not in dump, name
    with app.app_context():
        assert (
            db.session.execute(db.select(Passage.text).filter_by(phase=5)).scalar_one()
            == "Pour moi, c'est l'eBox."
        )
        coding = db.session.execute(db.text("SELECT start_offset, end_offset FROM coding")).one()
        passage = db.session.get(Passage, study["mention"])
        assert passage.text[coding[0] : coding[1]] == "l'eBox"  # codings kept their words
    page = client.get(f"/studies/{study['study']}/sessions/{study['session']}").text
    assert SEEDS["pseudonym"] not in page and f"erased-{study['person']}" in page
    exports = [
        f"/studies/{study['study']}/matrices/{kind}.csv?attribute=organisation_type"
        for kind in ("session", "phase", "attribute", "cooccurrence")
    ]
    exports += [f"/studies/{study['study']}/codebook/export.{fmt}" for fmt in ("qdc", "csv")]
    exports += [f"/api/studies/{study['study']}/codings"]
    exports += [
        f"/studies/{study['study']}/exports/{name}"
        for name in ("project.qdpx", "segments.csv", "segments.xlsx", "matrices.xlsx")
    ]
    bodies = {url: _readable(client.get(url).data) for url in exports}
    with app.app_context():
        from app.exchange.reports import build_report

        bodies["report.docx"] = _readable(build_report(study["study"], language="fr"))
    for url, body in bodies.items():
        for name, value in SEEDS.items():
            assert value not in body, (url, name)
        if "exports" in url or url == "report.docx":  # their words leave the tool no more
            assert "Pour moi, c'est l'eBox." not in body, url


def _readable(data: bytes) -> str:
    """The text of a download: every member of a zip (qdpx, docx, xlsx), or the bytes."""
    import io
    import zipfile

    if not data.startswith(b"PK"):
        return data.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_only_owners_erase(app, study, make_user, add_member):
    """A facilitator cannot erase a participant."""
    add_member(study["study"], make_user("fac@example.org"), "facilitator")
    facilitator = app.test_client()
    login(facilitator, "fac@example.org")
    url = f"/studies/{study['study']}/participants/{study['person']}/erase"
    assert facilitator.post(url, data={"confirm": SEEDS["pseudonym"]}).status_code == 403
    assert SEEDS["pseudonym"] in _database_text(app)


def test_retention_date_reminder(client, study):
    """Owners set a retention date; the study page warns when it is near or passed."""
    overview = f"/studies/{study['study']}"
    soon = (date.today() + timedelta(days=10)).isoformat()
    client.post(f"{overview}/retention", data={"retention_until": soon})
    assert "less than a month away" in client.get(overview).text
    past = (date.today() - timedelta(days=1)).isoformat()
    client.post(f"{overview}/retention", data={"retention_until": past})
    assert "has passed" in client.get(overview).text
    client.post(f"{overview}/retention", data={"retention_until": ""})
    assert "retention date of this study" not in client.get(overview).text
