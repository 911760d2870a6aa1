"""Studies, sessions and participants: creation, pages and refusal of bad input."""

from __future__ import annotations

import pytest

from app.models import AuditEvent, Consent, GroupSession, Membership, Participant, Role, Study
from app.platform.extensions import db
from tests.conftest import login


@pytest.fixture
def owner(client, make_user):
    """A logged-in user; returns the user id."""
    user_id = make_user("owner@example.org")
    login(client, "owner@example.org")
    return user_id


def _count(app, model, **filters) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(model).filter_by(**filters)).all())


def test_creating_a_study_seeds_the_default_codebook(client, app, owner):
    """A new study has its creator as owner and the four default themes."""
    response = client.post("/studies/new", data={"title": "Bruxelles 2026", "language": "fr"})
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 200
    for label in (b"Dependency", b"Privacy", b"Outsourcing", b"Role confusion"):
        assert label in page.data
    with app.app_context():
        study = db.session.execute(db.select(Study)).scalar_one()
        assert [t.key for t in study.themes] == [
            "dependency",
            "privacy",
            "outsourcing",
            "role_confusion",
        ]
        assert all(
            t.seed_terms["nl"] and t.seed_terms["fr"] and t.seed_terms["en"] for t in study.themes
        )
        membership = db.session.execute(db.select(Membership)).scalar_one()
        assert (membership.user_id, membership.role) == (owner, Role.OWNER)
        assert (
            db.session.execute(db.select(AuditEvent).filter_by(action="study.create"))
            .scalar_one()
            .user_id
            == owner
        )


@pytest.mark.parametrize(
    "title, message",
    [
        ("", b"This field is required."),
        ("   ", b"This field is required."),
        ("x" * 201, b"Use at most 200 characters (this has 201)."),
    ],
)
def test_study_with_bad_title_is_refused(client, app, owner, title, message):
    """Empty or over-long titles re-render the form with the reason; nothing is stored."""
    response = client.post("/studies/new", data={"title": title, "language": "fr"})
    assert response.status_code == 422
    assert message in response.data
    assert b'aria-invalid="true"' in response.data
    assert _count(app, Study) == 0


def test_study_with_unknown_language_is_refused(client, app, owner):
    """Only nl, fr and en are accepted as study language."""
    response = client.post("/studies/new", data={"title": "T", "language": "de"})
    assert response.status_code == 422 and b"Choose Dutch, French or English." in response.data
    assert _count(app, Study) == 0


def test_session_is_created_and_shown_by_phase(client, app, owner, make_study):
    """A facilitator creates a session; its page lists the eleven MAG phases."""
    study_id = make_study(owner)
    response = client.post(
        f"/studies/{study_id}/sessions/new",
        data={
            "number": "1",
            "title": "Eerste sessie",
            "held_on": "2026-03-02",
            "place": "Brussel",
            "language": "nl",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 200
    assert b"Session 1" in page.data and b"Eerste sessie" in page.data
    assert page.data.count(b'class="phase"') == 11
    assert b"Story proposals" in page.data and b"11. Evaluation" in page.data


@pytest.mark.parametrize(
    "form, message",
    [
        ({"number": "0"}, b"Enter a number from 1 to 999."),
        ({"number": "one"}, b"Enter a whole number."),
        ({"held_on": "02/03/2026"}, b"Enter a date as YYYY-MM-DD."),
        ({"place": "p" * 201}, b"Use at most 200 characters"),
        ({"status": "finished"}, b"Unknown session status."),
        ({"language": "xx"}, b"Choose Dutch, French or English."),
    ],
)
def test_session_with_bad_fields_is_refused(client, app, owner, make_study, form, message):
    """Each bad field gives its own message and status 422; nothing is stored."""
    study_id = make_study(owner)
    data = {"number": "1", "language": "fr", "status": "planned", **form}
    response = client.post(f"/studies/{study_id}/sessions/new", data=data)
    assert response.status_code == 422
    assert message in response.data
    assert _count(app, GroupSession) == 0


def test_session_number_must_be_unique_in_study(client, app, owner, make_study):
    """Two sessions of one study cannot share a number."""
    study_id = make_study(owner)
    data = {"number": "1", "language": "fr", "status": "planned"}
    assert client.post(f"/studies/{study_id}/sessions/new", data=data).status_code == 302
    response = client.post(f"/studies/{study_id}/sessions/new", data=data)
    assert (
        response.status_code == 422 and b"already has a session with this number" in response.data
    )
    assert _count(app, GroupSession) == 1


def test_participant_is_added_with_consent(client, app, owner, make_study):
    """A participant gets a pseudonym, attributes and a consent record per scope."""
    study_id = make_study(owner)
    response = client.post(
        f"/studies/{study_id}/participants/",
        data={
            "pseudonym": "Élodie",
            "organisation_type": "CPAS",
            "position": "assistante sociale",
            "consent": ["participation", "recording"],
            "consent_date": "2026-02-10",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/studies/{study_id}/participants/")
    assert "Élodie".encode() in page.data and b"CPAS" in page.data
    assert page.data.count(b"yes, ") == 2 and b"not recorded" in page.data
    with app.app_context():
        consents = db.session.execute(db.select(Consent)).scalars().all()
        assert sorted(c.scope.value for c in consents) == ["participation", "recording"]
        assert all(c.recorded_by_id == owner and c.granted for c in consents)


def test_duplicate_pseudonym_is_refused_ignoring_case(client, app, owner, make_study):
    """“amina” cannot be added next to “Amina” in the same study."""
    study_id = make_study(owner)
    client.post(f"/studies/{study_id}/participants/", data={"pseudonym": "Amina"})
    response = client.post(f"/studies/{study_id}/participants/", data={"pseudonym": "amina"})
    assert response.status_code == 422
    assert "The pseudonym “amina” is already used in this study.".encode() in response.data
    assert _count(app, Participant) == 1


def test_same_pseudonym_is_allowed_in_another_study(client, app, owner, make_study):
    """Pseudonyms are scoped to a study."""
    first, second = make_study(owner, "A"), make_study(owner, "B")
    for study_id in (first, second):
        response = client.post(f"/studies/{study_id}/participants/", data={"pseudonym": "Amina"})
        assert response.status_code == 302
    assert _count(app, Participant) == 2


@pytest.mark.parametrize(
    "pseudonym, message",
    [
        ("", b"This field is required."),
        ("p" * 81, b"Use at most 80 characters (this has 81)."),
    ],
)
def test_bad_pseudonym_is_refused(client, app, owner, make_study, pseudonym, message):
    """Empty and over-long pseudonyms are refused with the reason."""
    study_id = make_study(owner)
    response = client.post(f"/studies/{study_id}/participants/", data={"pseudonym": pseudonym})
    assert response.status_code == 422 and message in response.data
    assert _count(app, Participant) == 0


def test_consent_without_date_stores_neither_participant_nor_consent(
    client, app, owner, make_study
):
    """Ticking consent without a date refuses the whole form: no half-stored participant."""
    study_id = make_study(owner)
    response = client.post(
        f"/studies/{study_id}/participants/",
        data={"pseudonym": "Karim", "consent": ["participation"], "consent_date": ""},
    )
    assert response.status_code == 422
    assert _count(app, Participant) == 0 and _count(app, Consent) == 0


def test_withdrawn_consent_is_the_decision_in_force(client, app, owner, make_study):
    """Recording a withdrawal keeps the history and shows the newest decision."""
    study_id = make_study(owner)
    client.post(
        f"/studies/{study_id}/participants/",
        data={"pseudonym": "Nadia", "consent": ["quotation"], "consent_date": "2026-01-05"},
    )
    with app.app_context():
        participant_id = db.session.execute(db.select(Participant.id)).scalar_one()
    response = client.post(
        f"/studies/{study_id}/participants/{participant_id}",
        data={
            "action": "consent",
            "scope": "quotation",
            "granted": "0",
            "given_on": "2026-02-01",
            "note": "asked by phone",
        },
    )
    assert response.status_code == 302
    roster = client.get(f"/studies/{study_id}/participants/").data
    assert b"no, " in roster
    assert _count(app, Consent) == 2


def _decide(client, study_id, participant_id, scope, granted, given_on):
    return client.post(
        f"/studies/{study_id}/participants/{participant_id}",
        data={
            "action": "consent",
            "scope": scope,
            "granted": "1" if granted else "0",
            "given_on": given_on,
            "note": "",
        },
    )


def _decisions(app) -> list[tuple[str, bool, str]]:
    with app.app_context():
        return [
            (c.scope.value, c.granted, c.given_on.isoformat())
            for c in db.session.execute(db.select(Consent).order_by(Consent.id)).scalars()
        ]


@pytest.mark.parametrize(
    "in_force, says",
    [(True, "is a grant dated 2026-03-01"), (False, "is a withdrawal dated 2026-03-01")],
)
def test_a_decision_dated_before_the_one_in_force_is_refused(
    client, app, owner, make_study, in_force, says
):
    """A back-dated decision is refused (422) with the decision in force; nothing is stored."""
    study_id = make_study(owner)
    client.post(f"/studies/{study_id}/participants/", data={"pseudonym": "Nadia"})
    with app.app_context():
        participant_id = db.session.execute(db.select(Participant.id)).scalar_one()
    assert (
        _decide(client, study_id, participant_id, "quotation", in_force, "2026-03-01").status_code
        == 302
    )
    stored = _decisions(app)
    audited = _count(app, AuditEvent, action="consent.record")

    refused = _decide(client, study_id, participant_id, "quotation", not in_force, "2026-02-01")
    assert refused.status_code == 422
    message = refused.text.replace("&#34;", '"')
    assert f"The quotation decision in force {says}." in message
    assert "A decision dated 2026-02-01 is earlier and would not take effect" in message
    assert "record the decision with a date on or after 2026-03-01" in message
    assert _decisions(app) == stored
    assert _count(app, AuditEvent, action="consent.record") == audited
    roster = client.get(f"/studies/{study_id}/participants/").text
    assert ("yes, " if in_force else "no, ") in roster


def test_a_decision_on_or_after_the_one_in_force_or_for_another_scope_is_recorded(
    client, app, owner, make_study
):
    """Same day, later, or an earlier date on another scope: each decision is recorded."""
    study_id = make_study(owner)
    client.post(f"/studies/{study_id}/participants/", data={"pseudonym": "Nadia"})
    with app.app_context():
        participant_id = db.session.execute(db.select(Participant.id)).scalar_one()
    for scope, granted, given_on in [
        ("quotation", True, "2026-03-01"),
        ("quotation", False, "2026-03-01"),  # the same day: the later record is in force
        ("participation", True, "2026-01-10"),  # another scope has its own history
        ("quotation", True, "2026-04-02"),
    ]:
        response = _decide(client, study_id, participant_id, scope, granted, given_on)
        assert response.status_code == 302, (scope, given_on)
    assert len(_decisions(app)) == 4
    with app.app_context():
        from app.synthesis.quotations import may_quote

        assert may_quote(db.session.get(Participant, participant_id))


def test_owner_grants_roles_and_unknown_role_is_refused(client, app, owner, make_study, make_user):
    """Owners give existing accounts a role; an unknown role or address is refused."""
    study_id = make_study(owner)
    colleague = make_user("colleague@example.org")
    response = client.post(
        f"/studies/{study_id}/members", data={"email": "colleague@example.org", "role": "superuser"}
    )
    assert response.status_code == 422 and b"Unknown role" in response.data
    response = client.post(
        f"/studies/{study_id}/members", data={"email": "nobody@example.org", "role": "observer"}
    )
    assert response.status_code == 422 and b"No account uses this e-mail address" in response.data
    assert _count(app, Membership, user_id=colleague) == 0
    response = client.post(
        f"/studies/{study_id}/members",
        data={"email": "colleague@example.org", "role": "researcher"},
    )
    assert response.status_code == 302
    with app.app_context():
        membership = db.session.execute(
            db.select(Membership).filter_by(user_id=colleague)
        ).scalar_one()
        assert membership.role == Role.RESEARCHER


def test_last_owner_cannot_be_removed(client, app, owner, make_study):
    """A study always keeps an owner."""
    study_id = make_study(owner)
    with app.app_context():
        membership_id = db.session.execute(db.select(Membership.id)).scalar_one()
    response = client.post(f"/studies/{study_id}/members/{membership_id}/delete")
    assert response.status_code == 422 and b"at least one owner" in response.data
    assert _count(app, Membership) == 1


def test_study_list_shows_only_own_studies(client, app, owner, make_study, make_user):
    """Nobody sees the titles of studies they are not a member of."""
    make_study(owner, "Mine")
    make_study(make_user("other@example.org"), "Secret elsewhere")
    page = client.get("/studies/").data
    assert b"Mine" in page and b"Secret elsewhere" not in page


def _add_participant(client, study_id, pseudonym, **fields):
    data = {"pseudonym": pseudonym, "consent": ["participation"], "consent_date": "2026-03-04"}
    response = client.post(f"/studies/{study_id}/participants/", data={**data, **fields})
    assert response.status_code == 302


def test_rosters_sort_names_as_people_read_them(client, app, owner, make_study):
    """ "Élodie" comes before "Sophie" (not after "Zoë" as code points would have it)."""
    study_id = make_study(owner)
    for name in ("Sophie", "Zoë", "Élodie", "amina"):
        _add_participant(client, study_id, name)
    page = client.get(f"/studies/{study_id}/participants/").text
    positions = [page.index(f">{name}<") for name in ("amina", "Élodie", "Sophie", "Zoë")]
    assert positions == sorted(positions)
    form = client.get(f"/studies/{study_id}/sessions/new").text
    positions = [form.index(f">{name}</label>") for name in ("amina", "Élodie", "Sophie", "Zoë")]
    assert positions == sorted(positions)


def test_english_dates_are_not_written_the_american_way(client, app, owner, make_study):
    """A consent of 4 March 2026 reads "4 Mar 2026" in English, not "Mar 4, 2026"."""
    study_id = make_study(owner)
    _add_participant(client, study_id, "Sophie")
    page = client.get(f"/studies/{study_id}/participants/", headers={"Accept-Language": "en"})
    assert "yes, 4 Mar 2026" in page.text and "Mar 4, 2026" not in page.text


def test_attribute_keys_are_shown_as_labels_in_filters(client, app, owner, make_study):
    """The segments filter offers "Organisation type: CPAS", never "organisation_type: CPAS"."""
    study_id = make_study(owner)
    _add_participant(client, study_id, "Sophie", organisation_type="CPAS", position="AS")
    page = client.get(f"/studies/{study_id}/segments", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Organisation type: CPAS" in page.text and "organisation_type:" not in page.text
    matrices = client.get(f"/studies/{study_id}/matrices", headers={"Accept-Language": "en"})
    assert ">Organisation type</option>" in matrices.text
    assert ">organisation_type</option>" not in matrices.text


def _participant(client, app, study_id) -> int:
    data = {"pseudonym": "Nadia", "organisation_type": "CPAS", "position": "AS"}
    client.post(f"/studies/{study_id}/participants/", data=data)
    with app.app_context():
        return db.session.execute(db.select(Participant.id)).scalar_one()


def test_a_stale_participant_edit_is_refused_with_both_versions(client, app, owner, make_study):
    """Two people edit one participant: the later save from the older form is 409."""
    study_id = make_study(owner)
    url = f"/studies/{study_id}/participants/{_participant(client, app, study_id)}"
    assert 'name="version" value="1"' in client.get(url).text
    details = {
        "action": "details",
        "pseudonym": "Nadia",
        "organisation_type": "CPAS",
        "position": "AS",
        "version": "1",
    }
    assert client.post(url, data={**details, "position": "coordinatrice"}).status_code == 302
    second = client.post(url, data={**details, "organisation_type": "OCMW"})
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "coordinatrice" in second.text and "OCMW" in second.text
    assert 'name="version" value="2"' in second.text
    with app.app_context():
        assert db.session.execute(db.select(Participant.attributes)).scalar_one() == {
            "organisation_type": "CPAS",
            "position": "coordinatrice",
        }


def test_an_erased_participant_is_not_restored_by_an_open_form(client, app, owner, make_study):
    """An edit form opened before the erasure cannot bring the pseudonym back."""
    study_id = make_study(owner)
    participant_id = _participant(client, app, study_id)
    url = f"/studies/{study_id}/participants/{participant_id}"
    erased = client.post(f"{url}/erase", data={"confirm": "Nadia"})
    assert erased.status_code in (302, 303)
    for version in ("1", "2"):
        response = client.post(
            url, data={"action": "details", "pseudonym": "Nadia", "version": version}
        )
        assert response.status_code in (409, 422)
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        assert (participant.pseudonym, participant.attributes) == (f"erased-{participant_id}", {})
