"""Importing transcripts: upload, speaker mapping, atomicity, CLI, and a large transcript."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from app.jobs.queue import wait
from app.models import AuditEvent, GroupSession, ImportDraft, JobStatus, Participant, Passage
from app.platform.extensions import db
from tests.conftest import login

EXAMPLES = Path(__file__).resolve().parents[3] / "sessions" / "examples"
MD = """## 1. Propositions de récits
Amina Benali: Une dame est venue au CPAS.
Animatrice: Merci.

## 5. Premier tour
Julien: C'est de la sous-traitance.
"""


@pytest.fixture
def study(app, client, make_user, make_study):
    """A study with two participants; a facilitator-owner is logged in."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        for name in ("Amina", "Julien"):
            db.session.add(
                Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            )
        db.session.commit()
        ids = {p.pseudonym: p.id for p in db.session.execute(db.select(Participant)).scalars()}
    login(client, "owner@example.org")
    return {"id": study_id, **ids}


def _upload(client, study, files, **form):
    data = {
        "files": [(io.BytesIO(content), name) for name, content in files],
        "language": "fr",
        **form,
    }
    return client.post(
        f"/studies/{study['id']}/import/", data=data, content_type="multipart/form-data"
    )


def _confirm(client, app, location, data):
    """Confirm the mapping; return the import job once it ended, and its page."""
    response = client.post(location, data=data)
    assert response.status_code == 303, response.text[:2000]
    assert "/jobs/" in response.location
    with app.app_context():
        job = wait(int(response.location.rsplit("/", 1)[1]))
    return job, client.get(response.location)


def _counts(app):
    with app.app_context():
        return (
            len(db.session.execute(db.select(GroupSession)).all()),
            len(db.session.execute(db.select(Passage)).all()),
        )


def test_upload_then_map_speakers_imports_without_real_names(client, app, study):
    """The review step maps file names to pseudonyms; the real name is stored nowhere."""
    response = _upload(client, study, [("seance.md", MD.encode())])
    assert response.status_code == 302
    review = client.get(response.location)
    assert "Amina Benali" in review.text and review.status_code == 200
    assert _counts(app) == (0, 0)  # nothing stored before the mapping
    job, page = _confirm(
        client,
        app,
        response.location,
        {
            "language": "fr",
            "map-0": f"p:{study['Amina']}",
            "map-1": "f",
            "label-1": "Animatrice",
            "map-2": f"p:{study['Julien']}",
        },
    )
    assert job.status == JobStatus.DONE and "See the result" in page.text
    assert "3 of 3 turns stored" in page.text
    with app.app_context():
        passages = db.session.execute(db.select(Passage).order_by(Passage.id)).scalars().all()
        assert [(p.phase, p.speaker_name) for p in passages] == [
            (1, "Amina"),
            (1, "Animatrice"),
            (5, "Julien"),
        ]
        assert db.session.execute(db.select(ImportDraft)).first() is None
        for table in ("passage", "audit_event", "group_session", "import_draft", "job"):
            dump = db.session.execute(db.text(f"SELECT * FROM {table}")).all()
            assert "Benali" not in repr(dump)


def test_unmapped_speaker_stores_nothing(client, app, study):
    """Leaving a speaker unmapped re-shows the step with the names; nothing is imported."""
    location = _upload(client, study, [("s.md", MD.encode())]).location
    response = client.post(location, data={"language": "fr", "map-0": f"p:{study['Amina']}"})
    assert response.status_code == 422
    assert "Animatrice" in response.text and "Julien" in response.text
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("empty.md", b"  \n", "empty.md"),
        ("junk.md", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "junk.md"),
        ("bad.md", b"## 1. X\nAmina: ok\n## 14. Nope\nJulien: x", "bad.md, line 3"),
        ("nospeaker.md", b"## 1. X\nno speaker here", "nospeaker.md, line 2"),
        ("cut.docx", (EXAMPLES / "vertelling-nl.docx").read_bytes()[:2000], "cut.docx"),
        ("notes.pdf", b"%PDF-1.4", "notes.pdf"),
    ],
)
def test_malformed_files_are_refused_with_file_and_line(
    client, app, study, name, content, fragment
):
    """A bad file in a batch stops the whole batch with a message naming it."""
    response = _upload(client, study, [("good.md", MD.encode()), (name, content)])
    assert response.status_code == 422
    assert fragment in response.text
    assert _counts(app) == (0, 0)
    with app.app_context():
        assert db.session.execute(db.select(ImportDraft)).first() is None


def test_file_over_the_upload_limit_is_refused(make_app, make_user, make_study):
    """A request above MAX_CONTENT_LENGTH is refused before it is read."""
    app = make_app(MAX_CONTENT_LENGTH=10_000)
    owner = make_user("owner2@example.org")
    study_id = make_study(owner)
    client = app.test_client()
    login(client, "owner2@example.org")
    response = client.post(
        f"/studies/{study_id}/import/",
        data={"files": [(io.BytesIO(b"x" * 20_000), "big.md")], "language": "fr"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_transcript_over_the_file_limit_is_named(client, app, study, monkeypatch):
    """A file above the per-file limit is refused with its name; nothing is stored."""
    monkeypatch.setattr("app.capture.transcripts.MAX_TRANSCRIPT_BYTES", 1000)
    response = _upload(client, study, [("ok.md", MD.encode()), ("huge.md", b"x" * 2000)])
    assert response.status_code == 422 and "huge.md is larger than" in response.text
    assert _counts(app) == (0, 0)


def test_batch_of_example_files_imports_one_session_each(client, app, study):
    """All example formats and encodings import in one batch, one session per file."""
    files = [
        (p.name, p.read_bytes())
        for p in sorted(EXAMPLES.iterdir())
        if p.suffix in {".md", ".txt", ".docx", ".vtt", ".srt"}
    ]
    response = _upload(client, study, files, default_phase="3")
    assert response.status_code == 302, response.text[:2000]
    review = client.get(response.location)
    names = review.text.count('<th scope="row">')
    data = {"language": "fr"}
    for i in range(names):
        data[f"map-{i}"], data[f"label-{i}"] = "f", f"Speaker {i}"  # pseudonymous labels
    job, _page = _confirm(client, app, response.location, data)
    assert job.status == JobStatus.DONE
    sessions, passages = _counts(app)
    assert sessions == len(files) and passages > 50
    with app.app_context():
        timed = (
            db.session.execute(db.select(Passage).where(Passage.start_time.is_not(None)))
            .scalars()
            .all()
        )
        assert timed, "subtitle timestamps are kept"
        assert len(
            db.session.execute(db.select(AuditEvent).filter_by(action="session.import")).all()
        ) == len(files)


def test_cancel_deletes_the_uploaded_files(client, app, study):
    """Cancelling the review deletes the waiting files."""
    location = _upload(client, study, [("s.md", MD.encode())]).location
    assert client.post(f"{location.split('?')[0]}/cancel").status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(ImportDraft)).first() is None
    assert client.get(location).status_code == 404


def _long_transcript(words: int = 30_000) -> str:
    rng = random.Random(3)
    vocabulary = (
        "le CPAS demande un rendez-vous en ligne mais la dame n'a pas de smartphone",
        "ni de lecteur de carte eID et l'assistante sociale",
    )
    vocabulary = " ".join(vocabulary).split(" ")
    lines, count, phase = [], 0, 1
    while count < words:
        if count // 3000 + 1 > phase and phase < 11:
            phase += 1
            lines.append(f"\n## {phase}. Phase {phase}\n")
        if not lines:
            lines.append("## 1. Propositions\n")
        turn = " ".join(rng.choice(vocabulary) for _ in range(20))
        lines.append(f"{rng.choice(['Amina', 'Julien'])}: {turn}")
        count += 20
    return "\n".join(lines)


def test_three_hour_transcript_imports_completely(runner, app, study, tmp_path):
    """A 30,000-word transcript imports every turn through the CLI (timing: BENCHMARKS.md)."""
    path = tmp_path / "long.md"
    path.write_text(_long_transcript(), encoding="utf-8")
    result = runner.invoke(args=["sessions", "import", "--study", str(study["id"]), str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        passages = db.session.execute(db.select(Passage)).scalars().all()
        assert len(passages) == 1500
        assert sum(len(p.text.split()) for p in passages) == 30_000
        assert {p.phase for p in passages} == set(range(1, 11))


def test_cli_maps_speakers_and_prints_session_ids(runner, app, study, tmp_path):
    """--map and --facilitator name the speakers; the new session ids are printed."""
    path = tmp_path / "s.md"
    path.write_text(MD, encoding="utf-8")
    result = runner.invoke(
        args=[
            "sessions",
            "import",
            "--study",
            str(study["id"]),
            "--map",
            "Amina Benali=Amina",
            "--facilitator",
            "Animatrice=Animatrice",
            str(path),
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        session_id = db.session.execute(db.select(GroupSession.id)).scalar_one()
    assert result.output.strip() == str(session_id)


def test_cli_refuses_unmapped_speakers_and_bad_files(runner, app, study, tmp_path):
    """Unmapped speakers or a broken file: non-zero exit, a message, nothing stored."""
    good = tmp_path / "s.md"
    good.write_text(MD, encoding="utf-8")
    result = runner.invoke(args=["sessions", "import", "--study", str(study["id"]), str(good)])
    assert result.exit_code != 0 and "Amina Benali" in result.output
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nno speaker\n", encoding="utf-8")
    result = runner.invoke(
        args=["sessions", "import", "--study", str(study["id"]), "--phase", "3", str(bad)]
    )
    assert result.exit_code != 0 and "bad.vtt" in result.output
    assert _counts(app) == (0, 0)


NL = """# Sessie 2 — groep Brussel

## 3. Vertelling
Sara: Ze kreeg een brief van de school en ze wist niet wat ze ermee moest doen.
De school weigerde die facturen rechtstreeks te geven: ze moest eerst de app downloaden.
Noot: dit is geen spreker.
Kevin: Dat herken ik, het is altijd hetzelfde verhaal met die scholen en de apps.
"""


def test_mapping_step_names_files_creates_participants_and_keeps_text(client, app, study):
    """The mapping shows each speaker's file, creates a participant, keeps "Noot:" as text."""
    response = _upload(client, study, [("een.md", NL.encode()), ("twee.md", MD.encode())])
    assert response.status_code == 302
    review = client.get(response.location)
    assert "De school weigerde" not in review.text  # not offered as a speaker
    assert "een.md" in review.text and "twee.md" in review.text
    assert "Sessie 2 — groep Brussel" in review.text
    names = ["Sara", "Noot", "Kevin", "Amina Benali", "Animatrice", "Julien"]
    form = {"language": "nl"}
    choices = ["new", "text", "new", f"p:{study['Amina']}", "f", f"p:{study['Julien']}"]
    for i, (name, choice) in enumerate(zip(names, choices, strict=True)):
        assert f'id="map-{i}"' in review.text and f">{name}<" in review.text
        form[f"map-{i}"] = choice
    form["pseudonym-0"], form["pseudonym-2"], form["label-4"] = "Saar", "Kobe", "Animatrice"
    job, _page = _confirm(client, app, response.location, form)
    assert job.status == JobStatus.DONE, job.error
    with app.app_context():
        first = db.session.execute(db.select(GroupSession).order_by(GroupSession.id)).scalars()
        first = first.first()
        assert first.title == "Sessie 2 — groep Brussel"
        passages = [(p.speaker_name, p.text) for p in first.passages]
        assert [speaker for speaker, _text in passages] == ["Saar", "Kobe"]
        assert passages[0][1].endswith("downloaden.\nNoot: dit is geen spreker.")
        pseudonyms = set(db.session.execute(db.select(Participant.pseudonym)).scalars())
        assert {"Saar", "Kobe"} <= pseudonyms and "Sara" not in pseudonyms


def test_new_participant_without_pseudonym_stores_nothing(client, app, study):
    """Choosing "new participant" without typing a pseudonym is refused; nothing is stored."""
    response = _upload(client, study, [("een.md", NL.encode())])
    form = {"language": "nl", "map-0": "new", "map-1": "text", "map-2": f"p:{study['Julien']}"}
    refused = client.post(response.location, data=form)
    assert refused.status_code == 422 and "Sara" in refused.text
    assert _counts(app) == (0, 0)


def test_cli_detects_the_language_of_each_file(runner, app, study, tmp_path):
    """Without --language a Dutch transcript is stored as Dutch, a French one as French."""
    dutch, french = tmp_path / "nl.md", tmp_path / "fr.md"
    dutch.write_text(NL.replace("Noot:", "Noot"), encoding="utf-8")
    french.write_text(MD, encoding="utf-8")
    args = ["sessions", "import", "--study", str(study["id"]), "--map", "Sara=Amina"]
    args += ["--map", "Kevin=Julien", "--map", "Amina Benali=Amina"]
    args += ["--facilitator", "Animatrice=Animatrice", str(dutch), str(french)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        sessions = db.session.execute(db.select(GroupSession).order_by(GroupSession.number))
        assert [s.language for s in sessions.scalars()] == ["nl", "fr"]


def test_a_confirmed_import_is_a_job_and_a_second_click_finds_it(client, app, study):
    """Confirming answers with the job page; posting the mapping again imports nothing twice."""
    response = _upload(client, study, [("s.md", MD.encode())])
    location = response.location
    form = {"language": "fr", "map-0": f"p:{study['Amina']}", "map-1": "f", "label-1": "A"}
    form["map-2"] = f"p:{study['Julien']}"
    job, page = _confirm(client, app, location, form)
    assert job.status == JobStatus.DONE and job.result["passages"] == 3
    again = client.post(location, data=form)
    assert again.status_code == 303 and again.location.endswith(f"/jobs/{job.id}")
    assert _counts(app) == (1, 3)
    result = client.get(
        f"/studies/{study['id']}/jobs/{job.id}", headers={"Accept": "application/json"}
    )
    assert result.json["result_url"].endswith(f"/sessions/{job.result['sessions'][0]}")


def test_a_failed_import_job_leaves_neither_sessions_nor_new_participants(client, app, study):
    """A mapped participant deleted before the job runs: it fails, the new one is removed too."""
    from app.jobs.queue import run
    from app.models import Job

    location = _upload(client, study, [("een.md", NL.encode())]).location
    batch = location.split("?")[0].rstrip("/").rsplit("/", 1)[1]
    with app.test_request_context():
        saar = Participant(study_id=study["id"], pseudonym="Saar", pseudonym_key="saar")
        db.session.add(saar)
        db.session.delete(db.session.get(Participant, study["Julien"]))
        db.session.flush()
        # The job as the mapping step enqueues it (Sara → new "Saar", Noot → text, Kevin → Julien).
        job = Job(
            study_id=study["id"],
            kind="capture.import",
            created_by_id=db.session.execute(db.select(ImportDraft.user_id)).scalars().first(),
            params={
                "batch": batch,
                "speakers": [f"p:{saar.id}", "text", f"p:{study['Julien']}"],
                "language": "nl",
                "new_participants": [saar.id],
            },
        )
        db.session.add(job)
        db.session.commit()
        run(job.id)
        job = wait(job.id)
        assert job.status == JobStatus.FAILED
        assert "Choose a participant or facilitator" in job.error
        assert (
            db.session.execute(db.select(Participant).filter_by(pseudonym="Saar")).first() is None
        )
        assert db.session.execute(db.select(ImportDraft)).first() is not None  # to map again
    assert _counts(app) == (0, 0)


def test_an_import_left_running_by_a_restart_is_removed(app, make_app, study):
    """Sessions a stopped import stored are deleted when the job is marked failed on start."""
    from app.capture.formats import parse_transcript
    from app.capture.passages import Speaker
    from app.capture.transcripts import import_sessions
    from app.models import Job, SpeakerKind, Study

    with app.app_context():
        turns = parse_transcript(MD.encode(), "s.md")
        speaker = Speaker(SpeakerKind.FACILITATOR, None, "F")
        mapped = {name: speaker for name in ("Amina Benali", "Animatrice", "Julien")}
        (stored,) = import_sessions(
            db.session.get(Study, study["id"]),
            [("s.md", turns)],
            mapped,
            language="fr",
            user_id=None,
        )
        job = Job(
            study_id=study["id"],
            kind="capture.import",
            status=JobStatus.RUNNING,
            params={"batch": "x", "sessions": [stored.id], "speakers": []},
        )
        db.session.add(job)
        db.session.commit()
    assert _counts(app) == (1, 3)
    restarted = make_app()
    if not restarted.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # PostgreSQL deployments use RQ workers, whose jobs outlive a web process
    assert _counts(app) == (0, 0)


def test_a_file_over_the_turn_limit_is_refused_before_storing(client, app, study):
    """20,001 turns in one file: refused at upload with the file, the limit and what to do."""
    lines = ["## 1. Propositions"] + [f"Amina: tour {i}" for i in range(20_001)]
    response = _upload(client, study, [("long.md", "\n".join(lines).encode())])
    assert response.status_code == 422
    assert "long.md" in response.text and "20,000 turns" in response.text
    assert "split it into several files" in response.text
    assert _counts(app) == (0, 0)
