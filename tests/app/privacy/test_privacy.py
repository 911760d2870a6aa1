"""Personal-data review: detection on stored text, replacement everywhere, dismissal."""

from __future__ import annotations

import re

import pytest

from app.models import (
    Coding,
    GroupSession,
    KnownName,
    Participant,
    Passage,
    PassageRevision,
    PiiFinding,
    Theme,
)
from app.platform.extensions import db
from tests.conftest import login

FIRST = "Madame Dubois m'a donné son numéro 85.07.30-033.28 et son GSM 0470 12 34 56."
SECOND = "Plus tard, Madame Dubois est revenue au CPAS."


@pytest.fixture
def study(app, client, make_user, make_study):
    """A session whose passages contain a national number, a phone and a name (twice)."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    with app.app_context():
        db.session.add(Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina"))
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        db.session.add(group_session)
        db.session.commit()
        session_id = group_session.id
    base = f"/studies/{study_id}/sessions/{session_id}"
    for text in (FIRST, SECOND):
        response = client.post(
            f"{base}/passages", data={"phase": "3", "speaker": "f:Animatrice", "text": text}
        )
        assert response.status_code == 302
    return {"id": study_id, "session": session_id, "base": base}


def _open(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (f.kind, f.text)
            for f in db.session.execute(
                db.select(PiiFinding).filter_by(status="open").order_by(PiiFinding.id)
            ).scalars()
        ]


def test_typed_passages_are_checked_for_personal_data(client, app, study):
    """Adding passages queues the national number, the phone and the names for review."""
    found = _open(app)
    assert ("national_number", "85.07.30-033.28") in found
    assert ("phone", "0470 12 34 56") in found
    assert [kind for kind, _text in found].count("person") == 2
    page = client.get(f"/studies/{study['id']}/privacy/")
    assert page.status_code == 200 and "85.07.30-033.28" in page.text


def _finding_id(app, kind: str) -> int:
    with app.app_context():
        return (
            db.session.execute(db.select(PiiFinding.id).filter_by(kind=kind, status="open"))
            .scalars()
            .first()
        )


def test_replacing_a_name_changes_every_passage_history_and_memo(client, app, study):
    """A pseudonym replaces the name in all passages of the session, their history and memos."""
    with app.app_context():
        passage = db.session.execute(db.select(Passage).filter_by(text=SECOND)).scalar_one()
        theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        start = SECOND.index("revenue au CPAS")
        db.session.add(
            Coding(
                passage=passage,
                theme=theme,
                start_offset=start,
                end_offset=start + len("revenue au CPAS"),
                memo="Parler avec Madame Dubois",
            )
        )
        db.session.add(PassageRevision(passage_id=passage.id, version=0, text=SECOND))
        participant_id = db.session.execute(db.select(Participant.id)).scalar_one()
        db.session.commit()
    name_finding = _finding_id(app, "person")
    with app.app_context():
        name = db.session.get(PiiFinding, name_finding).text
    response = client.post(
        f"/studies/{study['id']}/privacy/findings/{name_finding}",
        data={"action": "pseudonym", "participant": participant_id},
    )
    assert response.status_code == 302
    with app.app_context():
        texts = [p.text for p in db.session.execute(db.select(Passage)).scalars()]
        assert all(name not in text for text in texts) and any("Amina" in t for t in texts)
        revisions = [r.text for r in db.session.execute(db.select(PassageRevision)).scalars()]
        assert all(name not in text for text in revisions)
        coding = db.session.execute(db.select(Coding)).scalar_one()
        assert coding.quote == "revenue au CPAS"  # still on its words
        assert name not in coding.memo
        stored = db.session.execute(db.select(PiiFinding.text)).scalars().all()
        assert name not in stored  # the queue keeps no copy
    assert all(kind != "person" or name not in text for kind, text in _open(app))


def test_placeholder_replacement_of_a_national_number(client, app, study):
    """A national number becomes the placeholder; the other findings keep valid offsets."""
    finding = _finding_id(app, "national_number")
    response = client.post(
        f"/studies/{study['id']}/privacy/findings/{finding}",
        data={"action": "placeholder", "placeholder": "[NUMÉRO NATIONAL]"},
    )
    assert response.status_code == 302
    with app.app_context():
        first = db.session.execute(db.select(Passage).order_by(Passage.id)).scalars().first()
        assert "[NUMÉRO NATIONAL]" in first.text and "033.28" not in first.text
        phone = db.session.execute(
            db.select(PiiFinding).filter_by(kind="phone", status="open")
        ).scalar_one()
        assert first.text[phone.start_offset : phone.end_offset] == phone.text


def test_dismissed_findings_stay_dismissed_after_a_rescan(client, app, study):
    """Dismissing a finding keeps it out of the queue when the study is scanned again."""
    finding = _finding_id(app, "phone")
    client.post(f"/studies/{study['id']}/privacy/findings/{finding}", data={"action": "dismiss"})
    client.post(f"/studies/{study['id']}/privacy/scan")
    assert "phone" not in [kind for kind, _text in _open(app)]


def test_known_names_are_found_on_scan(client, app, study):
    """A real name on the private list is found where no cue would reveal it."""
    base = study["base"]
    client.post(
        f"{base}/passages",
        data={
            "phase": "5",
            "speaker": "f:Animatrice",
            "text": "Je pense à Verhaegen et à son dossier.",
        },
    )
    assert ("person", "Verhaegen") not in _open(app)
    client.post(f"/studies/{study['id']}/privacy/names", data={"names": "Jan Verhaegen\n"})
    client.post(f"/studies/{study['id']}/privacy/scan")
    assert ("person", "Verhaegen") in _open(app)


def test_observers_cannot_see_the_queue(app, study, make_user, add_member):
    """The findings (which show personal data) are for owners and facilitators only."""
    add_member(study["id"], make_user("obs@example.org"), "observer")
    observer = app.test_client()
    login(observer, "obs@example.org")
    assert observer.get(f"/studies/{study['id']}/privacy/").status_code == 403


def test_an_installed_ner_pipeline_adds_the_names_it_recognises(client, app, study, tmp_path):
    """With a spaCy pipeline installed for the session's language, its PER entities are queued.

    No trained pipeline installs here, so the test builds a real one (blank French plus an
    entity ruler), saves it to disk and points the French pipeline name at it: the loading,
    the pipeline run and the queueing are the production code paths.
    """
    import spacy

    from app.privacy import scan as privacy

    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": [{"TEXT": "Ornella"}, {"TEXT": "Vicq"}]}])
    nlp.to_disk(tmp_path / "fr_ner")
    original = dict(privacy.NER_PIPELINES)
    privacy.NER_PIPELINES["fr"] = str(tmp_path / "fr_ner")
    privacy.ner_pipeline.cache_clear()
    try:
        response = client.post(
            f"{study['base']}/passages",
            data={
                "phase": "3",
                "speaker": "f:Animatrice",
                "text": "Ornella Vicq attendait depuis le matin.",
            },
        )
        assert response.status_code == 302
    finally:
        privacy.NER_PIPELINES.clear()
        privacy.NER_PIPELINES.update(original)
        privacy.ner_pipeline.cache_clear()
    assert ("person", "Ornella Vicq") in _open(app)


def _add(client, study, text: str) -> None:
    response = client.post(
        f"{study['base']}/passages", data={"phase": "3", "speaker": "f:Animatrice", "text": text}
    )
    assert response.status_code == 302


def _passage_texts(app) -> list[str]:
    with app.app_context():
        return [
            p.text for p in db.session.execute(db.select(Passage).order_by(Passage.id)).scalars()
        ]


def _replace_person(client, app, study, name: str, placeholder: str = "[NOM]"):
    with app.app_context():
        finding = db.session.execute(
            db.select(PiiFinding).filter_by(kind="person", status="open", text=name)
        ).scalar_one()
        finding_id = finding.id
    return client.post(
        f"/studies/{study['id']}/privacy/findings/{finding_id}",
        data={"action": "placeholder", "placeholder": placeholder},
    )


def test_replacing_a_person_touches_only_the_name(client, app, study):
    """ "C'est Jeanne Dupont, la voisine…" becomes "C'est [NOM], la voisine…", history too."""
    text = "C'est Jeanne Dupont, la voisine, qui a tout fait à sa place."
    _add(client, study, text)
    assert _replace_person(client, app, study, "Jeanne Dupont").status_code == 302
    assert "C'est [NOM], la voisine, qui a tout fait à sa place." in _passage_texts(app)


def test_a_stored_finding_wider_than_the_name_replaces_only_the_name(client, app, study):
    """A finding an older detector stored with a neighbouring word never deletes that word."""
    text = "C'est Jeanne Dupont, la voisine, qui a tout fait à sa place."
    _add(client, study, text)
    with app.app_context():
        db.session.execute(db.delete(PiiFinding).where(PiiFinding.kind == "person"))
        passage = db.session.execute(db.select(Passage).filter_by(text=text)).scalar_one()
        db.session.add(
            PiiFinding(
                study_id=study["id"],
                group_session_id=study["session"],
                object_type="passage",
                object_id=passage.id,
                kind="person",
                start_offset=0,
                end_offset=19,
                text="C'est Jeanne Dupont",
            )
        )
        db.session.add(PassageRevision(passage_id=passage.id, version=0, text=text))
        db.session.commit()
    assert _replace_person(client, app, study, "C'est Jeanne Dupont").status_code == 302
    assert "C'est [NOM], la voisine, qui a tout fait à sa place." in _passage_texts(app)
    with app.app_context():
        revisions = [r.text for r in db.session.execute(db.select(PassageRevision)).scalars()]
    assert all(r.startswith("C'est ") for r in revisions if "voisine" in r)


def test_replacing_a_name_leaves_longer_words_that_contain_it(client, app, study):
    """Replacing the name "Jan" keeps "Janssens" and "Janvier" whole (whole words only)."""
    client.post(f"/studies/{study['id']}/privacy/names", data={"names": "Jan\n"})
    _add(client, study, "Jan belde naar Janssens in januari.")
    assert _replace_person(client, app, study, "Jan", placeholder="[N\\1]").status_code == 302
    assert "[N\\1] belde naar Janssens in januari." in _passage_texts(app)


def test_saving_a_passage_with_personal_data_warns_without_blocking(client, app, study):
    """The passage is stored, and the next page says what was found and links to the queue."""
    response = client.post(
        f"{study['base']}/passages",
        data={"phase": "4", "speaker": "f:Animatrice", "text": "Son GSM: 0470 98 76 54."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "may hold personal data (phone number)" in response.text
    assert f'href="/studies/{study["id"]}/privacy/"' in response.text
    assert any("0470 98 76 54" in text for text in _passage_texts(app))
    calm = client.post(
        f"{study['base']}/passages",
        data={"phase": "4", "speaker": "f:Animatrice", "text": "Rien de personnel ici."},
        follow_redirects=True,
    )
    assert "may hold personal data" not in calm.text


def test_live_capture_answers_with_the_personal_data_warning(client, app, study):
    """A live contribution with a phone number is saved and its answer carries the warning."""
    answer = client.post(
        f"{study['base']}/live/contributions",
        json={
            "client_key": "k1",
            "phase": 5,
            "speaker": "f:Animatrice",
            "text": "Appelez le 0470 98 76 54.",
        },
    )
    assert answer.status_code == 201
    assert "phone number" in answer.get_json()["warning"]
    quiet = client.post(
        f"{study['base']}/live/contributions",
        json={"client_key": "k2", "phase": 5, "speaker": "f:Animatrice", "text": "Merci."},
    )
    assert quiet.get_json()["warning"] is None


def test_a_stale_names_list_is_refused_with_both_lists(client, app, study):
    """Two reviewers save the names list from the same page: the second is 409, no name lost."""
    url = f"/studies/{study['id']}/privacy/"
    assert client.post(f"{url}names", data={"names": "Jan Verhaegen\n"}).status_code == 302
    page = client.get(url).text
    version = re.search(r'name="names_version" value="([0-9a-f]+)"', page)[1]
    first = client.post(
        f"{url}names",
        data={"names": "Jan Verhaegen\nFatima El Idrissi\n", "names_version": version},
    )
    assert first.status_code == 302
    second = client.post(
        f"{url}names", data={"names": "Jan Verhaegen\nMarc Dubois\n", "names_version": version}
    )
    assert second.status_code == 409
    assert "Fatima El Idrissi" in second.text and "Marc Dubois" in second.text
    with app.app_context():
        names = set(db.session.execute(db.select(KnownName.name)).scalars())
    assert names == {"Jan Verhaegen", "Fatima El Idrissi"}


def _statements_naming(study_id: int, session_id: int, count: int) -> list[int]:
    """Add `count` statements whose two versions both name Madame Dubois; return their ids."""
    from app.models import Statement, StatementKind, StatementVersion, Synthesis

    synthesis = Synthesis(study_id=study_id, group_session_id=session_id)
    statements = []
    for n in range(count):
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=n)
        for number in (1, 2):
            statement.versions.append(
                StatementVersion(number=number, text=f"Madame Dubois, version {number}.")
            )
        statements.append(statement)
    db.session.add_all([synthesis, *statements])
    db.session.commit()
    return [statement.id for statement in statements]


@pytest.mark.parametrize("count", [1, 6])
def test_replacing_a_name_in_many_statements_counts_each_save_in_one_statement_query(
    app, study, count
):
    """Every rewritten version makes its statement's open forms stale; statements load at once."""
    from sqlalchemy import event

    from app.models import Statement, StatementVersion
    from app.privacy.replace import replace_names_in_study

    selects: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with app.app_context():
        ids = _statements_naming(study["id"], study["session"], count)
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            replace_names_in_study(study["id"], ["Madame Dubois"], "[NOM]")
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        statements = db.session.execute(db.select(Statement).where(Statement.id.in_(ids))).scalars()
        assert [s.revision for s in statements] == [3] * count  # 1 + one per rewritten version
        texts = db.session.execute(db.select(StatementVersion.text)).scalars().all()
        assert sorted(texts) == sorted(f"[NOM], version {n}." for n in (1, 2) for _ in ids)
    # Statements are read twice (as a source of headings, then for the counters), whatever
    # their number: not once more per statement whose versions were rewritten.
    statement_reads = [s for s in selects if re.search(r"FROM statement\b(?!_)", s)]
    assert len(statement_reads) == 2, statement_reads
