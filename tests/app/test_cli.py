"""The command line: accounts, studies, demo and database upgrade."""

from __future__ import annotations

from app.models import Membership, Role, Study, User
from app.platform.extensions import db
from tests.conftest import PASSWORD


def test_users_create_makes_an_account_that_can_log_in(runner, client, app):
    """`flask users create` creates a working login."""
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Cli@Example.org",
            "--name",
            "Cli",
            "--admin",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output
    assert (
        client.post("/login", data={"email": "cli@example.org", "password": PASSWORD}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.execute(db.select(User)).scalar_one().is_admin


def test_users_create_refuses_bad_input_with_a_message(runner, app):
    """A short password or a duplicate address exits non-zero with the reason."""
    result = runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--name", "A", "--password", "short"]
    )
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--name", "A", "--password", PASSWORD]
    )
    result = runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--name", "B", "--password", PASSWORD]
    )
    assert result.exit_code != 0 and "already exists" in result.output
    with app.app_context():
        assert len(db.session.execute(db.select(User)).all()) == 1


def test_studies_create_and_list(runner, app, make_user):
    """`flask studies create` and `studies list` work from the shell."""
    make_user("own@example.org")
    result = runner.invoke(
        args=[
            "studies",
            "create",
            "--title",
            "CLI study",
            "--owner",
            "own@example.org",
            "--language",
            "nl",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["studies", "list"])
    assert "CLI study" in result.output and "own@example.org" in result.output
    with app.app_context():
        study = db.session.execute(db.select(Study)).scalar_one()
        assert study.language == "nl" and len(study.themes) == 4
        assert db.session.execute(db.select(Membership)).scalar_one().role == Role.OWNER


def test_studies_create_with_unknown_owner_fails(runner, app):
    """An unknown owner address is reported and nothing is created."""
    result = runner.invoke(
        args=["studies", "create", "--title", "X", "--owner", "ghost@example.org"]
    )
    assert result.exit_code != 0 and "No account" in result.output
    with app.app_context():
        assert db.session.execute(db.select(Study)).first() is None


def test_demo_load_command_is_idempotent(runner, app, make_user):
    """`flask demo load` loads once and says so the second time."""
    make_user("own@example.org")
    result = runner.invoke(args=["demo", "load", "--owner", "own@example.org"])
    assert result.exit_code == 0 and "Loaded the demo study" in result.output
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "already loaded" in result.output
    with app.app_context():
        assert len(db.session.execute(db.select(Study)).all()) == 1


def test_db_upgrade_command_runs(runner):
    """`flask db upgrade` on an up-to-date database succeeds and changes nothing."""
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_on_an_empty_database_the_first_account_created_on_the_command_line_owns_the_demo(
    make_app,
):
    """The demo loaded on first start has no owner: `users create` must not strand it."""
    app = make_app(LOAD_DEMO=True)
    with app.app_context():
        demo_id = db.session.execute(db.select(Study.id)).scalar_one()
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "first@example.org", "--name", "First"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "now owns study" in result.output
    with app.app_context():
        membership = db.session.execute(
            db.select(Membership).filter_by(study_id=demo_id)
        ).scalar_one()
        assert membership.role == Role.OWNER


def test_demo_load_with_an_owner_gives_an_ownerless_demo_that_owner(runner, app, make_user):
    """`demo load --owner` on an already loaded, ownerless demo makes it reachable."""
    from app.demo import load_demo

    with app.app_context():
        demo_id = load_demo().id
        db.session.commit()
    make_user("own@example.org")
    result = runner.invoke(args=["demo", "load"])
    assert "Nobody owns it yet" in result.output
    result = runner.invoke(args=["demo", "load", "--owner", "own@example.org"])
    assert result.exit_code == 0 and "now owns it" in result.output
    with app.app_context():
        membership = db.session.execute(
            db.select(Membership).filter_by(study_id=demo_id)
        ).scalar_one()
        assert membership.role == Role.OWNER
