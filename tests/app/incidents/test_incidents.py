"""Incident sheets: recorded, counted, themed, checked for personal data, erased with the rest."""

from __future__ import annotations

from app.models import IncidentSheet, PiiFinding, Theme
from app.platform.extensions import db
from tests.conftest import login

SHEET = {
    "occurred_on": "2026-10-02",
    "organisation": "bank",
    "procedure": "ouvrir un compte de base",
    "channel": "app",
    "barriers": "pas de smartphone",
    "worker_action": "instead",
    "minutes_spent": "45",
    "consequence": "delay",
    "narrative": "La banque exige l'application ; j'ai fait la demande à sa place.",
}


def _setup(app, client, make_user, make_study):
    owner = make_user("owner@example.org")
    study_id = make_study(owner)
    login(client, "owner@example.org")
    with app.app_context():
        themes = {
            t.key: t.id
            for t in db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars()
        }
    return study_id, themes


def test_sheets_are_recorded_counted_and_themed(app, client, make_user, make_study):
    study_id, themes = _setup(app, client, make_user, make_study)
    base = f"/studies/{study_id}/incidents/"
    for organisation in ("bank", "bank", "CPAS/OCMW"):
        response = client.post(
            base, data={**SHEET, "organisation": organisation, "themes": [themes["outsourcing"]]}
        )
        assert response.status_code == 303
    page = client.get(base).text
    assert "3 incident sheets" in page
    assert '<th scope="row">bank</th><td>2</td>' in page
    assert '<th scope="row">did it in their place</th><td>3</td>' in page
    with app.app_context():
        sheet = db.session.execute(db.select(IncidentSheet)).scalars().first()
        assert [t.key for t in sheet.themes] == ["outsourcing"] and sheet.minutes_spent == 45
        sheet_id = sheet.id
    edited = client.post(
        f"{base}{sheet_id}", data={**SHEET, "consequence": "gave_up", "version": "1"}
    )
    assert edited.status_code == 303
    with app.app_context():
        assert db.session.get(IncidentSheet, sheet_id).consequence.value == "gave_up"
    assert client.post(f"{base}{sheet_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(IncidentSheet.id))).scalar_one() == 2


def test_a_bad_sheet_is_refused_with_what_to_fix_and_nothing_stored(
    app, client, make_user, make_study
):
    study_id, _themes = _setup(app, client, make_user, make_study)
    response = client.post(
        f"/studies/{study_id}/incidents/", data={**SHEET, "worker_action": "", "minutes_spent": "x"}
    )
    assert response.status_code == 422 and "Choose what the worker did." in response.text
    assert "ouvrir un compte de base" in response.text  # what was typed is kept
    with app.app_context():
        assert db.session.execute(db.select(IncidentSheet)).first() is None


def test_personal_data_in_a_sheet_is_queued_and_replaced(app, client, make_user, make_study):
    study_id, _themes = _setup(app, client, make_user, make_study)
    narrative = "Mme Janssens, registre national 85.07.30-033.28, n'a pas pu se connecter."
    client.post(f"/studies/{study_id}/incidents/", data={**SHEET, "narrative": narrative})
    with app.app_context():
        kinds = {f.kind for f in db.session.execute(db.select(PiiFinding)).scalars()}
        assert {"national_number", "person"} <= kinds
        finding = db.session.execute(
            db.select(PiiFinding).filter_by(kind="national_number")
        ).scalar_one()
        finding_id = finding.id
    queue = client.get(f"/studies/{study_id}/privacy/").text
    assert "85.07.30-033.28" in queue
    client.post(
        f"/studies/{study_id}/privacy/findings/{finding_id}",
        data={"action": "placeholder", "placeholder": "[RRN]"},
    )
    with app.app_context():
        sheet = db.session.execute(db.select(IncidentSheet)).scalar_one()
        assert "85.07.30-033.28" not in sheet.narrative and "[RRN]" in sheet.narrative


def test_a_stale_sheet_edit_is_refused_with_both_versions(app, client, make_user, make_study):
    """Two people edit one sheet: the later save from the older form is 409; the first stays."""
    study_id, themes = _setup(app, client, make_user, make_study)
    base = f"/studies/{study_id}/incidents/"
    client.post(base, data={**SHEET, "themes": [themes["outsourcing"]]})
    with app.app_context():
        sheet_id = db.session.execute(db.select(IncidentSheet.id)).scalar_one()
    page = client.get(f"{base}{sheet_id}").text
    assert 'name="version" value="1"' in page  # both open the form at version 1
    mine = {**SHEET, "themes": [themes["outsourcing"]], "version": "1"}
    first = client.post(f"{base}{sheet_id}", data={**mine, "narrative": "Première version."})
    assert first.status_code == 303
    second = client.post(f"{base}{sheet_id}", data={**mine, "narrative": "Seconde version."})
    assert second.status_code == 409
    assert "Someone else saved this while you were editing" in second.text
    assert "Première version." in second.text and "Seconde version." in second.text
    assert 'name="version" value="2"' in second.text  # saving again is a deliberate choice
    with app.app_context():
        assert db.session.get(IncidentSheet, sheet_id).narrative == "Première version."
    again = client.post(
        f"{base}{sheet_id}", data={**mine, "narrative": "Seconde version.", "version": "2"}
    )
    assert again.status_code == 303
    with app.app_context():
        assert db.session.get(IncidentSheet, sheet_id).narrative == "Seconde version."


def test_a_sheet_edit_without_a_version_cannot_overwrite(app, client, make_user, make_study):
    """An edit that does not say which version it started from changes nothing."""
    study_id, _themes = _setup(app, client, make_user, make_study)
    base = f"/studies/{study_id}/incidents/"
    client.post(base, data=SHEET)
    with app.app_context():
        sheet_id = db.session.execute(db.select(IncidentSheet.id)).scalar_one()
    response = client.post(f"{base}{sheet_id}", data={**SHEET, "channel": "eBox"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(IncidentSheet, sheet_id).channel == "app"


def test_a_sheet_form_opened_before_a_replacement_cannot_put_the_data_back(
    app, client, make_user, make_study
):
    """Replacing personal data makes open edit forms stale: saving one is 409, not a leak."""
    study_id, _themes = _setup(app, client, make_user, make_study)
    narrative = "Registre national 85.07.30-033.28 refusé en ligne."
    client.post(f"/studies/{study_id}/incidents/", data={**SHEET, "narrative": narrative})
    with app.app_context():
        sheet_id = db.session.execute(db.select(IncidentSheet.id)).scalar_one()
        finding_id = db.session.execute(
            db.select(PiiFinding.id).filter_by(kind="national_number")
        ).scalar_one()
    client.post(
        f"/studies/{study_id}/privacy/findings/{finding_id}",
        data={"action": "placeholder", "placeholder": "[RRN]"},
    )
    stale = client.post(
        f"/studies/{study_id}/incidents/{sheet_id}",
        data={**SHEET, "narrative": narrative, "minutes_spent": "50", "version": "1"},
    )
    assert stale.status_code == 409
    with app.app_context():
        assert "85.07.30-033.28" not in db.session.get(IncidentSheet, sheet_id).narrative
