"""Theme suggestions and groupings in the app: jobs, the coding-view panel, decisions."""

from __future__ import annotations

import pytest

from app.demo import load_demo
from app.models import (
    Coding,
    CodingOrigin,
    Grouping,
    GroupingStatus,
    Job,
    JobStatus,
    Participant,
    Passage,
    PassageAnalysis,
    Suggestion,
    SuggestionStatus,
    Theme,
)
from app.platform.extensions import db
from tests.conftest import login

TEXTS = (
    "Elle n'avait plus de code PIN pour sa banque et m'a donné son mot de passe itsme.",
    "Le guichet de la commune est fermé, on nous envoie tout le monde au CPAS.",
    "Je remplis sa déclaration d'impôts à sa place, ce n'est pas mon métier.",
    "Nous avons parlé du calendrier de la prochaine séance.",
)


@pytest.fixture
def app(make_app):
    """Jobs run inline here: these tests are about what the jobs store, not the runner."""
    return make_app(JOBS_MODE="sync")


@pytest.fixture
def session_world(app, client, make_user, make_study, make_passages):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    session_id, passage_ids = make_passages(study_id, TEXTS)
    with app.app_context():
        ids = {
            "study": study_id,
            "session": session_id,
            "passages": passage_ids,
            "themes": {
                t.key: t.id
                for t in db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars()
            },
        }
    login(client, "owner@example.org")
    return ids


def _suggest(client, w):
    response = client.post(
        f"/studies/{w['study']}/analysis/suggest", data={"session_id": w["session"]}
    )
    assert response.status_code == 303
    job_url = response.headers["Location"]
    page = client.get(job_url)
    assert "Done." in page.text, page.text
    return job_url


def test_zero_shot_suggestions_appear_with_evidence_and_nothing_is_coded(
    app, client, session_world
):
    w = session_world
    _suggest(client, w)
    with app.app_context():
        suggestions = db.session.execute(db.select(Suggestion)).scalars().all()
        assert db.session.execute(db.select(Coding)).first() is None
        by_pair = {(s.passage_id, s.theme_id): s for s in suggestions}
        privacy = by_pair[(w["passages"][0], w["themes"]["privacy"])]
        assert privacy.regime == "zero-shot" and privacy.status == SuggestionStatus.OPEN
        terms = [e for e in privacy.evidence if e["kind"] == "term"]
        assert terms and all(
            TEXTS[0][e["start"] : e["end"]] == e["text"] for e in terms
        )  # evidence points at real words of the passage
        assert (w["passages"][1], w["themes"]["outsourcing"]) in by_pair
        assert not any(s.passage_id == w["passages"][3] for s in suggestions)  # logistics
        assert db.session.execute(db.select(PassageAnalysis)).scalars().all()  # lemmas cached
    page = client.get(f"/studies/{w['study']}/sessions/{w['session']}/code").text
    assert "Suggested themes" in page and "<mark>" in page


def test_accept_codes_the_passage_and_reject_is_remembered(app, client, session_world):
    w = session_world
    _suggest(client, w)
    with app.app_context():
        accept = db.session.execute(
            db.select(Suggestion).filter_by(
                passage_id=w["passages"][0], theme_id=w["themes"]["privacy"]
            )
        ).scalar_one()
        reject = db.session.execute(
            db.select(Suggestion).filter_by(
                passage_id=w["passages"][1], theme_id=w["themes"]["outsourcing"]
            )
        ).scalar_one()
        accept_id, reject_id = accept.id, reject.id
    base = f"/studies/{w['study']}/analysis/suggestions"
    assert client.post(f"{base}/{accept_id}", data={"decision": "accept"}).status_code == 303
    assert client.post(f"{base}/{reject_id}", data={"decision": "reject"}).status_code == 303
    with app.app_context():
        coding = db.session.execute(db.select(Coding)).scalar_one()
        assert coding.origin == CodingOrigin.SUGGESTION
        assert (coding.start_offset, coding.end_offset) == (0, len(TEXTS[0]))
        assert coding.theme_id == w["themes"]["privacy"]
    _suggest(client, w)  # a new run keeps the decisions
    with app.app_context():
        pairs = {
            (s.passage_id, s.theme_id, s.status)
            for s in db.session.execute(db.select(Suggestion)).scalars()
        }
        outsourcing = (w["passages"][1], w["themes"]["outsourcing"])
        assert (*outsourcing, SuggestionStatus.REJECTED) in pairs
        assert (*outsourcing, SuggestionStatus.OPEN) not in pairs
        assert (w["passages"][0], w["themes"]["privacy"], SuggestionStatus.OPEN) not in pairs


def test_accept_all_above_a_threshold_for_one_theme(app, client, session_world):
    w = session_world
    _suggest(client, w)
    with app.app_context():
        open_ = db.session.execute(
            db.select(Suggestion).filter_by(status=SuggestionStatus.OPEN)
        ).scalars()
        expected = {
            s.passage_id for s in open_ if s.theme_id == w["themes"]["privacy"] and s.score >= 0.5
        }
    assert expected
    response = client.post(
        f"/studies/{w['study']}/analysis/suggestions/accept-all",
        data={"session_id": w["session"], "theme_id": w["themes"]["privacy"], "threshold": "50"},
    )
    assert response.status_code == 303
    with app.app_context():
        coded = set(
            db.session.execute(
                db.select(Coding.passage_id).filter_by(theme_id=w["themes"]["privacy"])
            ).scalars()
        )
        assert coded == expected


def test_a_suggestion_for_edited_words_is_refused(app, client, session_world):
    w = session_world
    _suggest(client, w)
    with app.app_context():
        suggestion = db.session.execute(db.select(Suggestion)).scalars().first()
        suggestion.passage.text = "Un tout autre texte."
        db.session.commit()
        suggestion_id = suggestion.id
    response = client.post(
        f"/studies/{w['study']}/analysis/suggestions/{suggestion_id}", data={"decision": "accept"}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(Coding)).first() is None
    page = client.get(response.headers["Location"]).text
    assert "changed since this suggestion was made" in page


def test_accepting_one_suggestion_says_so_on_the_page_it_returns_to(app, client, session_world):
    """Accepting a suggestion confirms it in the (sticky) message area of the coding view."""
    w = session_world
    _suggest(client, w)
    with app.app_context():
        suggestion_id = db.session.execute(db.select(Suggestion.id)).scalars().first()
    response = client.post(
        f"/studies/{w['study']}/analysis/suggestions/{suggestion_id}", data={"decision": "accept"}
    )
    assert response.headers["Location"].endswith("#suggestions-heading")
    page = client.get(response.headers["Location"]).text
    assert '<div class="flashes">' in page and "Suggestion accepted." in page


def test_a_study_without_themes_gets_a_failed_job_with_a_clear_message(app, client, session_world):
    w = session_world
    with app.app_context():
        db.session.execute(db.delete(Theme).filter_by(study_id=w["study"]))
        db.session.commit()
    response = client.post(
        f"/studies/{w['study']}/analysis/suggest", data={"session_id": w["session"]}
    )
    page = client.get(response.headers["Location"]).text
    assert "The job failed" in page and "no theme yet" in page
    with app.app_context():
        assert db.session.execute(db.select(Job.status)).scalar_one() == JobStatus.FAILED


def test_groupings_of_the_demo_can_be_accepted_merged_renamed_and_dismissed(app, client, make_user):
    owner = make_user("owner@example.org")
    with app.app_context():
        study_id = load_demo(owner_id=owner).id
        db.session.commit()
        themes_before = db.session.execute(
            db.select(db.func.count(Theme.id)).filter_by(study_id=study_id)
        ).scalar_one()
    login(client, "owner@example.org")
    response = client.post(f"/studies/{study_id}/analysis/groupings/run", data={"k": "5"})
    assert "Done." in client.get(response.headers["Location"]).text
    page = client.get(f"/studies/{study_id}/analysis/groupings").text
    with app.app_context():
        groups = db.session.execute(db.select(Grouping).order_by(Grouping.id)).scalars().all()
        assert len(groups) == 5
        for group in groups:
            assert group.label in page.replace("&#39;", "'")
        ids = [group.id for group in groups]
        first_members = set(groups[0].members)
        merged_members = set(groups[1].members) | set(groups[2].members)
    base = f"/studies/{study_id}/analysis/groupings"
    client.post(f"{base}/{ids[0]}/accept", data={"theme": "new", "label": "Guichets fermés"})
    client.post(f"{base}/merge", data={"groupings": [ids[1], ids[2]]})
    client.post(f"{base}/{ids[1]}/rename", data={"label": "Nouveau nom", "version": "1"})
    client.post(f"{base}/{ids[3]}/dismiss")
    with app.app_context():
        theme = db.session.execute(
            db.select(Theme).filter_by(label_fr="Guichets fermés")
        ).scalar_one()
        coded = set(
            db.session.execute(db.select(Coding.passage_id).filter_by(theme_id=theme.id)).scalars()
        )
        assert coded == first_members
        assert (
            db.session.execute(
                db.select(db.func.count(Theme.id)).filter_by(study_id=study_id)
            ).scalar_one()
            == themes_before + 1
        )
        merged = db.session.get(Grouping, ids[1])
        assert set(merged.members) == merged_members and merged.label == "Nouveau nom"
        assert db.session.get(Grouping, ids[2]).status == GroupingStatus.MERGED
        assert db.session.get(Grouping, ids[3]).status == GroupingStatus.DISMISSED
        assert db.session.get(Grouping, ids[0]).status == GroupingStatus.ACCEPTED


def test_a_job_speaks_the_language_of_who_started_it(app, client, session_world):
    from flask_babel import force_locale, gettext

    w = session_world
    with app.app_context():
        db.session.execute(db.delete(Theme).filter_by(study_id=w["study"]))
        db.session.commit()
    with app.test_request_context(), force_locale("nl"):
        expected = gettext("The codebook has no theme yet: add themes first.")
    assert expected != "The codebook has no theme yet: add themes first."
    client.post("/language", data={"language": "nl", "next": "/"})
    response = client.post(
        f"/studies/{w['study']}/analysis/suggest", data={"session_id": w["session"]}
    )
    with app.app_context():
        assert db.session.execute(db.select(Job.error)).scalar_one() == expected
    from markupsafe import escape

    assert str(escape(expected)) in client.get(response.headers["Location"]).text


def test_groupings_never_name_people_and_read_in_each_readers_language(app, client, make_user):
    """Group labels carry no pseudonym or facilitator label, and follow the reader's language."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study_id = load_demo(owner_id=owner).id
        db.session.commit()
        names = {
            p.pseudonym.lower()
            for p in db.session.execute(db.select(Participant).filter_by(study_id=study_id))
            .scalars()
            .all()
        }
        names |= {
            label.lower()
            for label in db.session.execute(
                db.select(Passage.speaker_label).where(Passage.speaker_label != "")
            ).scalars()
        }
    login(client, "owner@example.org")
    response = client.post(f"/studies/{study_id}/analysis/groupings/run", data={"k": "auto"})
    assert "Done." in client.get(response.headers["Location"]).text
    with app.app_context():
        groups = db.session.execute(db.select(Grouping).order_by(Grouping.id)).scalars().all()
        assert groups
        for group in groups:
            assert set(group.labels) == {"nl", "fr", "en"}
            words = {
                word.strip(",").lower()
                for label in [group.label, *group.labels.values(), *group.terms]
                for word in label.split()
            }
            assert not words & {word for name in names for word in name.split()}
        dutch = {group.id: group.labels["nl"] for group in groups}
        first = groups[0].id
    client.post("/language", data={"language": "nl", "next": "/"})
    page = client.get(f"/studies/{study_id}/analysis/groupings").text.replace("&#39;", "'")
    for label in dutch.values():
        assert label in page
    # A name the facilitator gives holds for every reader.
    client.post(
        f"/studies/{study_id}/analysis/groupings/{first}/rename",
        data={"label": "Loketten", "version": "1"},
    )
    client.post("/language", data={"language": "fr", "next": "/"})
    page = client.get(f"/studies/{study_id}/analysis/groupings").text
    assert f'id="grouping-{first}-title">Loketten' in page


def test_lemmas_cached_by_an_older_lemmatiser_are_redone(app, client, session_world):
    """After an upgrade that changes lemmatisation, a passage's cached lemmas (same text,
    older format) are not reused: the next run lemmatises it again and replaces the row."""
    from analysis.nlp import FORMAT_VERSION

    w = session_world
    _suggest(client, w)
    with app.app_context():
        row = db.session.get(PassageAnalysis, w["passages"][0])
        stale = dict(
            row.prepared, version=FORMAT_VERSION - 1, lemmas=["stale"] * len(row.prepared["lemmas"])
        )
        row.prepared = stale
        db.session.commit()
    _suggest(client, w)
    with app.app_context():
        row = db.session.get(PassageAnalysis, w["passages"][0])
        assert row.prepared["version"] == FORMAT_VERSION
        assert "stale" not in row.prepared["lemmas"]
        privacy = db.session.execute(
            db.select(Suggestion).filter_by(
                passage_id=w["passages"][0], theme_id=w["themes"]["privacy"]
            )
        ).scalar_one()
        assert privacy.status == SuggestionStatus.OPEN  # still suggested from its real words


def test_a_stale_grouping_rename_is_refused_with_both_names(app, client, make_user, make_study):
    """Two facilitators rename one grouping from the same page: the second is 409."""
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    with app.app_context():
        grouping = Grouping(study_id=study_id, label="guichet fermé", terms=["guichet"])
        db.session.add(grouping)
        db.session.commit()
        grouping_id = grouping.id
    login(client, "owner@example.org")
    page = client.get(f"/studies/{study_id}/analysis/groupings").text
    assert 'name="version" value="1"' in page
    url = f"/studies/{study_id}/analysis/groupings/{grouping_id}/rename"
    assert client.post(url, data={"label": "Guichets fermés", "version": "1"}).status_code == 303
    second = client.post(url, data={"label": "Accès au guichet", "version": "1"})
    assert second.status_code == 409
    assert "Guichets fermés" in second.text and "Accès au guichet" in second.text
    with app.app_context():
        assert db.session.get(Grouping, grouping_id).label == "Guichets fermés"


def test_default_themes_are_read_with_the_built_in_lexicon(
    app, client, make_study, make_user, make_passages
):
    """A study's default themes get the lexicon's phrases, not only their seed terms.

    The engine sees themes under neutral keys; before `ThemeSpec.lexicon` it never knew
    these were the default themes, and neither passage below was suggested.
    """
    owner = make_user("lexicon@example.org")
    study_id = make_study(owner)
    texts = (
        "Sans son fils, elle ne s'en sort plus : il gère tout, ses courriers, sa banque.",
        "On m'a envoyé faire la déclaration à sa place, je ne suis pas comptable.",
    )
    session_id, passage_ids = make_passages(study_id, texts)
    login(client, "lexicon@example.org")
    _suggest(client, {"study": study_id, "session": session_id})
    with app.app_context():
        themes = {
            t.id: t.key
            for t in db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars()
        }
        found = {
            (s.passage_id, themes[s.theme_id]): [e["text"] for e in s.evidence]
            for s in db.session.execute(db.select(Suggestion)).scalars()
        }
    assert "Sans son fils" in found[(passage_ids[0], "dependency")]
    assert "à sa place" in found[(passage_ids[1], "role_confusion")]
