"""Where confidential words could slip out: found by review, each kept shut by a test."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.models import (
    AuditEvent,
    Coding,
    Consent,
    ConsentScope,
    Grouping,
    GroupSession,
    Job,
    JobStatus,
    Participant,
    Passage,
    PassageAnalysis,
    QuoteChoice,
    QuoteDecision,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Suggestion,
    Synthesis,
    Theme,
)
from app.models.base import utcnow
from app.platform.extensions import db
from tests.conftest import answers_revision, login


@pytest.fixture
def world(app, client, make_user, make_study):
    """Session 1: Amina (quotable) and Bart (refused quotation); session 2: Chloé."""
    owner = make_user("owner@example.org", admin=True)
    study_id = make_study(owner)
    ids = {"study": study_id, "owner": owner}
    with app.app_context():
        sessions = {n: GroupSession(study_id=study_id, number=n, language="fr") for n in (1, 2)}
        db.session.add_all(sessions.values())
        for number, name, consent in ((1, "Amina", True), (1, "Bart", False), (2, "Chloé", True)):
            person = Participant(study_id=study_id, pseudonym=name, pseudonym_key=name.lower())
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=consent, given_on=date(2026, 1, 5))
            )
            passage = Passage(
                group_session=sessions[number],
                phase=5,
                position=len(ids),
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=person,
                text=f"{name} raconte: le guichet est fermé, tout passe par internet.",
            )
            db.session.add_all([person, passage])
            db.session.flush()
            ids[name], ids[f"passage-{name}"] = person.id, passage.id
        ids["session1"], ids["session2"] = sessions[1].id, sessions[2].id
        db.session.commit()
    login(client, "owner@example.org")
    return ids


def _round_link(app, w, statement_ids, **form):
    from app.synthesis.links import link_token
    from app.synthesis.rounds import create_round

    with app.app_context():
        synthesis = db.session.get(Statement, statement_ids[0]).synthesis
        data = MultiDict([("statements", str(s)) for s in statement_ids] + list(form.items()))
        round_ = create_round(synthesis, data, user_id=w["owner"])
        db.session.commit()
        return round_.id, {
            link.participant.pseudonym: f"/v/{link_token(link)}" for link in round_.links
        }


def _statement(app, w, session_key, text="Un constat.", quotes=()):
    with app.app_context():
        synthesis = db.session.execute(
            db.select(Synthesis).filter_by(group_session_id=w[session_key])
        ).scalar_one_or_none() or Synthesis(study_id=w["study"], group_session_id=w[session_key])
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE)
        statement.versions.append(StatementVersion(number=1, text=text))
        for passage_id in quotes:
            statement.links.append(StatementLink(passage_id=passage_id))
        db.session.add_all([synthesis, statement])
        db.session.commit()
        return statement.id


def test_a_participant_never_sees_words_of_someone_who_refused_quotation(app, client, world):
    w = world
    sid = _statement(app, w, "session1", quotes=[w["passage-Amina"], w["passage-Bart"]])
    _, links = _round_link(app, w, [sid])
    amina = app.test_client().get(links["Amina"]).text
    assert "Amina raconte" in amina and "Bart raconte" not in amina
    bart = app.test_client().get(links["Bart"]).text
    assert "Bart raconte" in bart  # his own words, to keep, rephrase or withdraw


def test_a_session_synthesis_cannot_quote_another_group(app, client, world):
    w = world
    sid = _statement(app, w, "session1")
    response = client.post(
        f"/studies/{w['study']}/statements/{sid}/links", data={"passage_id": w["passage-Chloé"]}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(StatementLink)).first() is None
    assert (
        "other sessions belong in the transversal analysis"
        in client.get(response.headers["Location"]).text
    )


def test_a_transversal_round_shows_each_participant_only_their_own_groups_words(app, client, world):
    w = world
    with app.app_context():
        synthesis = Synthesis(study_id=w["study"], group_session_id=None)
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE)
        statement.versions.append(StatementVersion(number=1, text="Transversal."))
        statement.links.append(StatementLink(passage_id=w["passage-Amina"]))
        statement.links.append(StatementLink(passage_id=w["passage-Chloé"]))
        db.session.add_all([synthesis, statement])
        db.session.commit()
        sid = statement.id
    _, links = _round_link(app, w, [sid])
    chloe = app.test_client().get(links["Chloé"]).text
    assert "Chloé raconte" in chloe and "Amina raconte" not in chloe


def test_split_and_merge_keep_a_withdrawal(app, client, world):
    from app.capture.joins import merge_with_next, split_passage

    w = world
    with app.app_context():
        passage = db.session.get(Passage, w["passage-Amina"])
        passage.quote_withdrawn_at = utcnow()
        tail = split_passage(
            passage, passage.text.index("le guichet"), version=passage.version, user_id=w["owner"]
        )
        db.session.commit()
        assert tail.quote_withdrawn_at is not None
        head = db.session.get(Passage, w["passage-Amina"])
        head.quote_withdrawn_at = None  # the head was taken back, the tail stays withdrawn
        db.session.commit()
        merge_with_next(head, user_id=w["owner"])
        db.session.commit()
        assert db.session.get(Passage, w["passage-Amina"]).quote_withdrawn_at is not None


def test_merging_moves_quote_decisions_and_statement_quotes(app, client, world):
    from app.capture.joins import merge_with_next, split_passage

    w = world
    sid = _statement(app, w, "session1", quotes=[w["passage-Amina"]])
    _, links = _round_link(app, w, [sid])
    with app.app_context():
        passage = db.session.get(Passage, w["passage-Amina"])
        tail = split_passage(
            passage, passage.text.index("le guichet"), version=passage.version, user_id=w["owner"]
        )
        db.session.add(StatementLink(statement_id=sid, passage_id=tail.id))
        db.session.commit()
        tail_id = tail.id
    app.test_client().post(links["Amina"], data={f"quote-{tail_id}": "withdraw"})
    with app.app_context():
        merge_with_next(db.session.get(Passage, w["passage-Amina"]), user_id=w["owner"])
        db.session.commit()
        decision = db.session.execute(db.select(QuoteDecision)).scalar_one()
        assert decision.passage_id == w["passage-Amina"] and decision.choice == QuoteChoice.WITHDRAW
        assert db.session.get(Passage, w["passage-Amina"]).quote_withdrawn_at is not None
        quoted = db.session.execute(db.select(StatementLink.passage_id)).scalars().all()
        assert quoted == [w["passage-Amina"]]


def test_cached_lemmas_and_grouping_labels_forget_erased_words(app, client, world):
    from app.studies.participants import erase_participant

    w = world
    with app.app_context():
        db.session.add(
            PassageAnalysis(
                passage_id=w["passage-Chloé"],
                text_hash="x",
                language="fr",
                prepared={"text": "Chloé raconte"},
            )
        )
        db.session.add(
            Grouping(
                study_id=w["study"],
                label="Chloé et le guichet",
                terms=["Chloé", "guichet"],
                members=[w["passage-Chloé"]],
                representatives=[],
            )
        )
        db.session.commit()
        erase_participant(
            db.session.get(Participant, w["Chloé"]), user_id=w["owner"], real_names=[]
        )
        db.session.commit()
        assert db.session.get(PassageAnalysis, w["passage-Chloé"]) is None
        grouping = db.session.execute(db.select(Grouping)).scalar_one()
        assert "Chloé" not in grouping.label and "Chloé" not in grouping.terms


def test_an_anonymous_round_keeps_the_audit_log_anonymous_too(app, client, world):
    w = world
    sid = _statement(app, w, "session1")
    _, links = _round_link(app, w, [sid])  # attributed is off unless the form says "1"
    app.test_client().post(links["Amina"], data={f"verdict-{sid}": "disagree"})
    with app.app_context():
        event = db.session.execute(
            db.select(AuditEvent).filter_by(action="validation.answer")
        ).scalar_one()
        assert "link" not in event.details and event.details["verdict"] == "disagree"


def test_a_comment_without_an_answer_is_not_silently_dropped(app, client, world):
    w = world
    sid = _statement(app, w, "session1")
    _, links = _round_link(app, w, [sid])
    response = app.test_client().post(
        links["Amina"], data={f"comment-{sid}": "Je ne suis pas sûre de ce point."}
    )
    assert response.status_code == 422
    assert "Je ne suis pas sûre de ce point." in response.text  # what she typed is still there


def test_personal_data_in_a_participants_comment_is_flagged(app, client, world):
    w = world
    sid = _statement(app, w, "session1")
    _, links = _round_link(app, w, [sid])
    app.test_client().post(
        links["Amina"],
        data={f"verdict-{sid}": "nuance", f"comment-{sid}": "Appelez-moi au 0470 12 34 56."},
    )
    with app.app_context():
        from app.models import PiiFinding

        finding = db.session.execute(db.select(PiiFinding)).scalar_one()
        assert finding.object_type == "statement_answer" and finding.kind == "phone"
    assert "0470 12 34 56" in client.get(f"/studies/{w['study']}/privacy/").text


def test_a_flagged_comment_stays_flagged_when_only_the_verdict_changes_and_clears_with_it(
    app, client, world
):
    """Answers are scanned only when their words change: the finding follows the comment."""
    from app.models import PiiFinding

    w = world
    sid = _statement(app, w, "session1")
    _, links = _round_link(app, w, [sid])
    participant = app.test_client()
    comment = "Appelez-moi au 0470 12 34 56."
    participant.post(links["Amina"], data={f"verdict-{sid}": "nuance", f"comment-{sid}": comment})
    again = {f"verdict-{sid}": "disagree", f"comment-{sid}": comment}
    participant.post(links["Amina"], data=again | answers_revision(participant, links["Amina"]))
    with app.app_context():
        findings = db.session.execute(db.select(PiiFinding)).scalars().all()
        assert [(f.kind, f.status) for f in findings] == [("phone", "open")]
    cleared = {f"verdict-{sid}": "disagree", f"comment-{sid}": ""}
    participant.post(links["Amina"], data=cleared | answers_revision(participant, links["Amina"]))
    with app.app_context():
        assert db.session.execute(db.select(PiiFinding)).scalars().all() == []


def test_a_report_made_before_a_withdrawal_is_no_longer_handed_out(app, client, world, tmp_path):
    w = world
    app.config["EXPORT_DIR"] = str(tmp_path)
    (tmp_path / "job-old.docx").write_bytes(b"PK old report")
    with app.app_context():
        job = Job(
            study_id=w["study"],
            kind="export.docx",
            status=JobStatus.DONE,
            result={"file": "job-old.docx"},
            finished_at=utcnow() - timedelta(minutes=5),
        )
        db.session.add(job)
        db.session.get(Passage, w["passage-Amina"]).quote_withdrawn_at = utcnow()
        db.session.commit()
        job_id = job.id
    response = client.get(f"/studies/{w['study']}/exports/report/{job_id}.docx")
    assert response.status_code == 410
    assert not (tmp_path / "job-old.docx").exists()


def test_a_suggestion_is_decided_once(app, client, world):
    from app.suggestions.decisions import decide
    from app.suggestions.feeding import text_hash

    w = world
    with app.app_context():
        theme = db.session.execute(db.select(Theme).filter_by(key="privacy")).scalar_one()
        passage = db.session.get(Passage, w["passage-Amina"])
        suggestion = Suggestion(
            study_id=w["study"],
            passage=passage,
            theme=theme,
            score=0.9,
            regime="zero-shot",
            text_hash=text_hash(passage.text),
        )
        db.session.add(suggestion)
        db.session.commit()
        mine = db.session.get(Suggestion, suggestion.id)
        assert mine.status.value == "open"
        # Another request accepts it between our read and our write.
        db.session.execute(
            db.update(Suggestion)
            .where(Suggestion.id == mine.id)
            .values(status="accepted")
            .execution_options(synchronize_session=False)
        )
        assert decide(mine, True, user_id=w["owner"]) is None
        db.session.commit()
        assert db.session.execute(db.select(db.func.count(Coding.id))).scalar_one() == 0


def test_an_archive_cannot_point_a_finding_at_another_table(app, client, world):
    from app.exchange.archive.export import export_study_archive
    from app.exchange.archive.format import ArchiveError
    from app.exchange.archive.restore import import_study_archive

    w = world
    with app.app_context():
        data = export_study_archive(w["study"])
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {name: source.read(name) for name in source.namelist()}
    theme_id = json.loads(files["tables/theme.jsonl"].splitlines()[0])["id"]
    row = {
        "id": 999,
        "study_id": w["study"],
        "group_session_id": None,
        "object_type": "theme",
        "object_id": theme_id,
        "kind": "person",
        "start_offset": 0,
        "end_offset": 10000,
        "text": "",
        "status": "open",
        "resolution": "",
        "resolved_by_id": None,
        "resolved_at": None,
        "created_at": "2026-11-28T10:00:00.000000+00:00",
    }
    files["tables/pii_finding.jsonl"] = (json.dumps(row) + "\n").encode()
    manifest = json.loads(files["manifest.json"])
    import hashlib

    for table in manifest["tables"]:
        if table["name"] == "pii_finding":
            table["rows"] = 1
            table["sha256"] = hashlib.sha256(files["tables/pii_finding.jsonl"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w") as target:
        for name, content in files.items():
            target.writestr(name, content)
    with app.app_context(), pytest.raises(ArchiveError, match="object_id"):
        import_study_archive(crafted.getvalue(), owner_id=w["owner"])


def test_odd_retrieval_arguments_do_not_break_the_download_links(app, client, world):
    w = world
    response = client.get(f"/studies/{w['study']}/segments?fmt=x&study_id=3")
    assert response.status_code == 200
    assert re.search(r"exports/segments\.xlsx", response.text)
