"""Access control, route by route: anonymous users, non-members and each role.

EXPECTED is written here independently of app/accounts/policy.py: it is the
contract from README.md ("Roles"). Adding a route without adding it here
fails `test_every_route_is_in_the_access_table`.
"""

from __future__ import annotations

import pytest

from app import create_app
from app.models import User
from tests.conftest import BASE_CONFIG, login

ANYONE = "public"
LOGGED_IN = "login"
ADMIN = "admin"
ALL_ROLES = {"owner", "facilitator", "researcher", "observer"}
EDITORS = {"owner", "facilitator"}
CODERS = {"owner", "facilitator", "researcher"}
OWNER = {"owner"}

# (endpoint, method) -> who may use it: ANYONE, LOGGED_IN, ADMIN or a set of study roles.
EXPECTED = {
    ("accounts.home", "GET"): ANYONE,
    ("accounts.setup", "GET"): ANYONE,
    ("accounts.setup", "POST"): ANYONE,
    ("accounts.login", "GET"): ANYONE,
    ("accounts.login", "POST"): ANYONE,
    ("accounts.accept_invite", "GET"): ANYONE,
    ("accounts.accept_invite", "POST"): ANYONE,
    ("accounts.choose_language", "POST"): ANYONE,
    ("accounts.logout", "POST"): LOGGED_IN,
    ("accounts.profile", "GET"): LOGGED_IN,
    ("accounts.profile", "POST"): LOGGED_IN,
    ("studies.index", "GET"): LOGGED_IN,
    ("studies.create", "GET"): LOGGED_IN,
    ("studies.create", "POST"): LOGGED_IN,
    ("admin.users", "GET"): ADMIN,
    ("admin.invite", "POST"): ADMIN,
    ("admin.reissue_invite", "POST"): ADMIN,
    ("admin.set_enabled", "POST"): ADMIN,
    ("studies.overview", "GET"): ALL_ROLES,
    ("studies.members", "GET"): OWNER,
    ("studies.grant", "POST"): OWNER,
    ("studies.revoke", "POST"): OWNER,
    ("group_sessions.create", "GET"): EDITORS,
    ("group_sessions.create", "POST"): EDITORS,
    ("group_sessions.edit", "GET"): EDITORS,
    ("group_sessions.edit", "POST"): EDITORS,
    ("group_sessions.overview", "GET"): ALL_ROLES,
    ("participants.roster", "GET"): ALL_ROLES,
    ("participants.create", "POST"): EDITORS,
    ("participants.edit", "GET"): EDITORS,
    ("participants.edit", "POST"): EDITORS,
    ("participants.export", "GET"): EDITORS,
    ("participants.erase", "POST"): OWNER,
    ("studies.retention", "POST"): OWNER,
    ("codebook.index", "GET"): ALL_ROLES,
    ("codebook.stylesheet", "GET"): ALL_ROLES,
    ("codebook.create", "POST"): EDITORS,
    ("codebook.edit", "GET"): EDITORS,
    ("codebook.edit", "POST"): EDITORS,
    ("codebook.merge_or_delete", "GET"): EDITORS,
    ("codebook.merge", "POST"): EDITORS,
    ("codebook.delete", "POST"): EDITORS,
    ("codebook.export", "GET"): ALL_ROLES,
    ("codebook.import_file", "POST"): EDITORS,
    ("coding.workspace", "GET"): ALL_ROLES,
    ("coding.passage_fragment", "GET"): ALL_ROLES,
    ("coding.detail", "GET"): ALL_ROLES,
    ("coding.theme_colours", "GET"): ALL_ROLES,
    ("coding.delete", "POST"): CODERS,
    ("coding.memo", "POST"): CODERS,
    ("editor.create", "POST"): EDITORS,
    ("editor.edit", "GET"): EDITORS,
    ("editor.edit", "POST"): EDITORS,
    ("editor.move", "POST"): EDITORS,
    ("editor.split", "POST"): EDITORS,
    ("editor.merge", "POST"): EDITORS,
    ("narratives.create", "POST"): EDITORS,
    ("narratives.update", "POST"): EDITORS,
    ("narratives.choose", "POST"): EDITORS,
    ("narratives.delete", "POST"): EDITORS,
    ("imports.upload", "GET"): EDITORS,
    ("imports.upload", "POST"): EDITORS,
    ("imports.review", "GET"): EDITORS,
    ("imports.review", "POST"): EDITORS,
    ("imports.cancel", "POST"): EDITORS,
    ("audit.index", "GET"): OWNER,
    ("privacy.index", "GET"): EDITORS,
    ("privacy.scan", "POST"): EDITORS,
    ("privacy.resolve", "POST"): EDITORS,
    ("privacy.names", "POST"): EDITORS,
    ("live.page", "GET"): EDITORS,
    ("live.contribute", "POST"): EDITORS,
    ("live.save_seating", "POST"): EDITORS,
    ("segments.retrieval", "GET"): ALL_ROLES,
    ("segments.matrices", "GET"): ALL_ROLES,
    ("segments.matrix_csv", "GET"): ALL_ROLES,
    ("segments.agreement", "GET"): ALL_ROLES,
    ("api.list_themes", "GET"): ALL_ROLES,
    ("api.create_theme", "POST"): EDITORS,
    ("api.remove_theme", "DELETE"): EDITORS,
    ("api.list_codings", "GET"): ALL_ROLES,
    ("api.create_coding", "POST"): CODERS,
    ("api.update_coding", "PATCH"): CODERS,
    ("api.delete_coding", "DELETE"): CODERS,
    ("api_tokens.index", "GET"): LOGGED_IN,
    ("api_tokens.create", "POST"): LOGGED_IN,
    ("api_tokens.revoke", "POST"): LOGGED_IN,
    ("syntheses.transversal", "GET"): ALL_ROLES,
    ("syntheses.session_synthesis", "GET"): ALL_ROLES,
    ("syntheses.create_statement", "POST"): EDITORS,
    ("syntheses.statement_page", "GET"): ALL_ROLES,
    ("syntheses.edit_statement", "POST"): EDITORS,
    ("syntheses.archive_statement", "POST"): EDITORS,
    ("syntheses.add_link", "POST"): EDITORS,
    ("syntheses.remove_link", "POST"): EDITORS,
    ("rounds.open_round", "POST"): EDITORS,
    ("rounds.dashboard", "GET"): EDITORS,
    ("rounds.links", "GET"): EDITORS,
    ("rounds.revoke", "POST"): EDITORS,
    ("rounds.reissue", "POST"): EDITORS,
    ("rounds.close", "POST"): EDITORS,
    ("jobs.status", "GET"): ALL_ROLES,
    ("analysis.suggest", "POST"): CODERS,
    ("analysis.decide_one", "POST"): CODERS,
    ("analysis.accept_all", "POST"): CODERS,
    ("analysis.groupings", "GET"): ALL_ROLES,
    ("analysis.run_clustering", "POST"): EDITORS,
    ("analysis.accept_group", "POST"): EDITORS,
    ("analysis.rename_group", "POST"): EDITORS,
    ("analysis.dismiss_group", "POST"): EDITORS,
    ("analysis.merge_groups", "POST"): EDITORS,
    ("sweep.page", "GET"): CODERS,
    ("sweep.state", "GET"): CODERS,
    ("sweep.decide_one", "POST"): CODERS,
    ("exports.index", "GET"): CODERS,
    ("exports.report", "POST"): CODERS,
    ("exports.report_file", "GET"): CODERS,
    ("exports.qdpx", "GET"): CODERS,
    ("exports.segments", "GET"): CODERS,
    ("exports.matrices", "GET"): CODERS,
    ("exports.archive", "GET"): OWNER,
    ("exports.taguette_form", "GET"): CODERS,
    ("exports.taguette_import", "POST"): CODERS,
    ("study_imports.study_import", "GET"): LOGGED_IN,
    ("study_imports.restore_job", "GET"): LOGGED_IN,  # and then only its starter (404)
    ("study_imports.study_import", "POST"): LOGGED_IN,
    ("incidents.index", "GET"): ALL_ROLES,
    ("incidents.create", "POST"): EDITORS,
    ("incidents.edit", "GET"): EDITORS,
    ("incidents.edit", "POST"): EDITORS,
    ("incidents.delete", "POST"): EDITORS,
    ("respond.page", "GET"): ANYONE,
    ("respond.answer", "POST"): ANYONE,
}

VISITORS = [
    "anonymous",
    "no-role",
    "admin-no-role",
    "observer",
    "researcher",
    "facilitator",
    "owner",
]


def _routes():
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def test_every_route_is_in_the_access_table():
    """A new route cannot ship without a decision on who may use it."""
    routes = {(endpoint, method) for endpoint, method, _rule in _routes()}
    assert routes == set(EXPECTED)


def test_every_route_declares_its_access():
    """Every view carries an access declaration that the request hook enforces."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    undeclared = [
        name
        for name, view in app.view_functions.items()
        if name != "static" and not hasattr(view, "access")
    ]
    assert undeclared == []


def _url(rule, ids) -> str:
    # Each deleting route gets its own coding, so one deletion does not turn the next into 404.
    own = ids.get(rule.endpoint, {})
    values = {name: own.get(name, ids[name]) for name in rule.arguments}
    return rule.build(values)[1]


@pytest.fixture
def world(app, make_user, make_study, add_member):
    """A study with a session, a participant, and one account per kind of visitor."""
    from app.accounts.tokens import create_token
    from app.accounts.users import create_user
    from app.models import (
        Coding,
        GroupSession,
        ImportDraft,
        Narrative,
        Participant,
        Passage,
        PiiFinding,
        SpeakerKind,
        Theme,
    )
    from app.platform.extensions import db

    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    accounts = {"owner": "owner@example.org"}
    make_user("admin@example.org", admin=True)
    accounts["admin-no-role"] = "admin@example.org"
    make_user("stranger@example.org")
    accounts["no-role"] = "stranger@example.org"
    for role in ("facilitator", "researcher", "observer"):
        user_id = make_user(f"{role}@example.org")
        add_member(study_id, user_id, role)
        accounts[role] = f"{role}@example.org"
    invited = make_user("invited@example.org", password=None)
    with app.app_context():
        group_session = GroupSession(study_id=study_id, number=1, language="fr")
        participant = Participant(study_id=study_id, pseudonym="Amina", pseudonym_key="amina")
        passage = Passage(
            group_session=group_session,
            phase=3,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=participant,
            text="Une dame est venue au CPAS.",
        )
        theme = db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars().first()
        researcher = db.session.execute(
            db.select(User.id).filter_by(email="researcher@example.org")
        ).scalar_one()
        # Codings by the researcher: coders may change their own, owners and facilitators any.
        codings = [
            Coding(passage=passage, theme=theme, coder_id=researcher, start_offset=0, end_offset=8)
            for _ in range(3)
        ]
        db.session.add_all([group_session, participant, passage, *codings])
        narrative = Narrative(group_session=group_session, proposer=participant, title="Récit")
        finding = PiiFinding(
            study_id=study_id,
            group_session=group_session,
            object_type="passage",
            object_id=0,
            kind="person",
            start_offset=0,
            end_offset=3,
            text="Une",
        )
        db.session.add_all([narrative, finding])
        for email in ("owner@example.org", "facilitator@example.org"):
            editor = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
            db.session.add(
                ImportDraft(
                    study_id=study_id,
                    user_id=editor.id,
                    batch="b1",
                    filename="s.md",
                    data=b"## 1. X\nAmina: Bonjour.",
                )
            )
        from app.models import (
            Statement,
            StatementKind,
            StatementLink,
            StatementVersion,
            Synthesis,
            ValidationLink,
            ValidationRound,
        )
        from app.models.base import utcnow

        synthesis = Synthesis(study_id=study_id, group_session=group_session)
        statement = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE)
        version = StatementVersion(statement=statement, number=1, text="Constat.")
        quotes = [StatementLink(statement=statement, passage=passage) for _ in range(1)]
        round_ = ValidationRound(
            study_id=study_id, synthesis=synthesis, expires_at=utcnow().replace(year=2100)
        )
        validation_link = ValidationLink(round=round_, participant=participant, nonce="n" * 32)
        db.session.add_all([synthesis, statement, version, *quotes, round_, validation_link])
        from app.models import Job

        job = Job(study_id=study_id, kind="test", params={})
        report_job = Job(study_id=study_id, kind="export.docx", params={})
        db.session.add_all([job, report_job])
        from app.models import Grouping, Suggestion, SuggestionStatus

        # Already decided: the suggestion job started by an earlier route replaces every open
        # suggestion (in its thread, whenever it finishes), which made deciding this one a
        # 404 by timing. Deciding a decided one is refused with a message, past the access check.
        suggestion = Suggestion(
            study_id=study_id,
            passage=passage,
            theme=theme,
            score=0.9,
            regime="zero-shot",
            text_hash="x",
            status=SuggestionStatus.REJECTED,
        )
        grouping = Grouping(study_id=study_id, label="guichets", members=[], representatives=[])
        from app.models import Consequence, IncidentSheet, WorkerAction

        sheets = [
            IncidentSheet(
                study_id=study_id,
                organisation="bank",
                channel="app",
                worker_action=WorkerAction.INSTEAD,
                consequence=Consequence.DELAY,
            )
            for _ in range(2)
        ]
        db.session.add_all([suggestion, grouping, *sheets])
        token_owner = create_user("tokens@example.org", "Tokens", password="x" * 12)
        token, _secret = create_token(token_owner.id, "script")
        db.session.commit()
        from app.models import Membership

        membership_id = db.session.execute(
            db.select(Membership.id).filter_by(study_id=study_id, user_id=owner)
        ).scalar_one()
        ids = {
            "study_id": study_id,
            "session_id": group_session.id,
            "participant_id": participant.id,
            "membership_id": membership_id,
            "user_id": invited,
            "token": "not-a-token",
            "passage_id": passage.id,
            "theme_id": theme.id,
            "coding_id": codings[0].id,
            "token_id": token.id,
            "fmt": "qdc",
            "narrative_id": narrative.id,
            "finding_id": finding.id,
            "batch": "b1",
            "kind": "phase",
            "synthesis_id": synthesis.id,
            "job_id": job.id,
            "suggestion_id": suggestion.id,
            "exports.segments": {"fmt": "csv"},
            "exports.report_file": {"job_id": report_job.id},
            "grouping_id": grouping.id,
            "sheet_id": sheets[0].id,
            "incidents.delete": {"sheet_id": sheets[1].id},
            "statement_id": statement.id,
            "round_id": round_.id,
            "link_id": validation_link.id,
            "syntheses.remove_link": {"link_id": quotes[0].id},
            "coding.delete": {"coding_id": codings[1].id},
            "api.delete_coding": {"coding_id": codings[2].id},
        }
    return accounts, ids


def _allowed(rule_access, visitor) -> bool:
    if rule_access == ANYONE:
        return True
    if visitor == "anonymous":
        return False
    if rule_access == LOGGED_IN:
        return True
    if rule_access == ADMIN:
        return visitor == "admin-no-role"
    return visitor in rule_access


@pytest.mark.parametrize("visitor", VISITORS)
def test_routes_refuse_anonymous_users_and_wrong_roles(client, world, visitor):
    """Each route lets in exactly the visitors the access table names."""
    accounts, ids = world
    if visitor != "anonymous":
        login(client, accounts[visitor])
    for endpoint, method, rule in _routes():
        if (endpoint, method) in {("accounts.logout", "POST"), ("accounts.profile", "POST")}:
            continue  # they end or rotate the login; checked in test_accounts
        access = EXPECTED[(endpoint, method)]
        response = client.open(_url(rule, ids), method=method, data={})
        where = f"{visitor} {method} {endpoint} -> {response.status_code}"
        if _allowed(access, visitor):
            # A public form may answer 401 to wrong credentials; that is not a refusal.
            assert response.status_code != 403, where
            assert access == ANYONE or response.status_code != 401, where
            assert "/login?next" not in (response.location or ""), where
            if isinstance(access, set):
                assert response.status_code != 404, where
        elif visitor == "anonymous" and rule.rule.startswith("/api/"):
            assert response.status_code == 401, where
        elif visitor == "anonymous":
            assert response.status_code == 302, where
            assert "/login" in response.location, where
        elif isinstance(access, set) and visitor in {"no-role", "admin-no-role"}:
            assert response.status_code == 404, where  # no probing of other studies
        else:
            assert response.status_code == 403, where


def test_logout_and_profile_require_login(client):
    """The two routes skipped above still send anonymous users to the login page."""
    for path in ("/logout", "/account"):
        response = client.post(path, data={})
        assert response.status_code == 302 and "/login" in response.location


def test_objects_of_another_study_are_not_found(client, world, make_user, make_study):
    """A session id from someone else's study gives 404 inside one's own study."""
    accounts, ids = world
    other_owner = make_user("other@example.org")
    other_study = make_study(other_owner)
    login(client, "other@example.org")
    response = client.get(f"/studies/{other_study}/sessions/{ids['session_id']}")
    assert response.status_code == 404
    response = client.get(f"/studies/{other_study}/participants/{ids['participant_id']}")
    assert response.status_code == 404
