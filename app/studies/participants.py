"""Participants: the pseudonymous roster of a study and their consent records."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.accounts.audit import record
from app.accounts.policy import allowed, in_study, study_action
from app.models import (
    Consent,
    ConsentScope,
    KnownName,
    Participant,
    PiiFinding,
    ValidationLink,
)
from app.models.base import utcnow
from app.platform.edits import StaleEdit, claim_version, differences
from app.platform.extensions import db
from app.platform.forms import (
    ValidationError,
    clean_date,
    clean_long_text,
    clean_text,
    pseudonym_key,
)
from app.platform.i18n import collation_key
from app.studies.access import participant_record
from app.studies.consents import current_consent, record_consent

bp = Blueprint("participants", __name__, url_prefix="/studies/<int:study_id>/participants")

ATTRIBUTE_FIELDS = ("organisation_type", "position")


# --- services -------------------------------------------------------------


def participant_fields(form) -> dict:
    """Validate the pseudonym and attributes of the participant form."""
    pseudonym = clean_text(form.get("pseudonym"), "pseudonym", max_length=80)
    attributes = {
        name: clean_text(form.get(name), name, max_length=120, required=False)
        for name in ATTRIBUTE_FIELDS
    }
    return {"pseudonym": pseudonym, "attributes": {k: v for k, v in attributes.items() if v}}


def _shown(pseudonym: str, attributes: dict) -> dict:
    """Return {field label: value} as the conflict page shows a participant."""
    return {
        _l("Pseudonym"): pseudonym,
        _l("Organisation type"): attributes.get("organisation_type", ""),
        _l("Position"): attributes.get("position", ""),
    }


def save_participant(
    study_id: int,
    fields: dict,
    *,
    user_id: int,
    participant: Participant | None = None,
    version=None,
) -> Participant:
    """Create or update a participant; pseudonyms are unique per study, ignoring case.

    An update must come from the participant's current `version` (StaleEdit otherwise);
    an erased participant's details stay erased.
    """
    if participant is not None and participant.erased_at is not None:
        raise ValidationError(
            _l("This participant was erased: their pseudonym and attributes cannot be edited.")
        )
    key = pseudonym_key(fields["pseudonym"])
    clash = db.session.execute(
        db.select(Participant.id).filter_by(study_id=study_id, pseudonym_key=key)
    ).scalar_one_or_none()
    if clash is not None and (participant is None or clash != participant.id):
        raise ValidationError(
            _l(
                "The pseudonym “%(name)s” is already used in this study. Choose another one.",
                name=fields["pseudonym"],
            ),
            "pseudonym",
        )
    if participant is None:
        participant = Participant(study_id=study_id)
        db.session.add(participant)
    else:
        claim_version(
            participant,
            version,
            lambda: differences(
                _shown(participant.pseudonym, participant.attributes),
                _shown(fields["pseudonym"], fields["attributes"]),
            ),
        )
        if participant.erased_at is not None:  # erased while this form was open
            raise ValidationError(
                _l("This participant was erased: their pseudonym and attributes cannot be edited.")
            )
    participant.pseudonym = fields["pseudonym"]
    participant.pseudonym_key = key
    participant.attributes = fields["attributes"]
    db.session.flush()
    record("participant.save", participant, user_id=user_id, study_id=study_id)
    return participant


# --- views ----------------------------------------------------------------


def _roster(form=None, error=None, status=200):
    participants = (
        db.session.execute(
            db.select(Participant)
            .filter_by(study_id=g.study.id)
            .options(selectinload(Participant.consents).selectinload(Consent.recorded_by))
        )
        .scalars()
        .all()
    )
    participants.sort(key=lambda p: collation_key(p.pseudonym))  # "Élodie" before "Sophie"
    rows = [(p, current_consent(p)) for p in participants]
    return render_template(
        "participants/roster.html",
        study=g.study,
        rows=rows,
        scopes=list(ConsentScope),
        form=form or {},
        error=error,
        can_edit=allowed(g.membership.role, "participant.edit"),
        today=date.today().isoformat(),
        checked=form.getlist("consent") if form else [],
    ), status


@bp.get("/")
@study_action("participant.view")
def roster(study_id: int):
    """List participants with their attributes and consent."""
    return _roster()


@bp.post("/")
@study_action("participant.edit")
def create(study_id: int):
    """Add a participant, with the consent scopes granted on the given date."""
    form = request.form
    try:
        participant = save_participant(study_id, participant_fields(form), user_id=current_user.id)
        scopes = form.getlist("consent")
        if scopes:
            given_on = clean_date(form.get("consent_date"), "consent_date", required=True)
            for scope in scopes:
                record_consent(participant, scope, True, given_on, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        return _roster(form, error, 422)
    db.session.commit()
    flash(_("Participant added."), "success")
    return redirect(url_for("participants.roster", study_id=study_id))


@bp.route("/<int:participant_id>", methods=["GET", "POST"])
@study_action("participant.edit")
def edit(study_id: int, participant_id: int):
    """Change a participant's pseudonym or attributes, or record a consent decision."""
    participant = in_study(Participant, participant_id)
    form = request.form
    error = conflict = None
    if request.method == "POST":
        try:
            if form.get("action") == "consent":
                record_consent(
                    participant,
                    form.get("scope"),
                    form.get("granted") == "1",
                    clean_date(form.get("given_on"), "given_on", required=True),
                    user_id=current_user.id,
                    note=clean_long_text(form.get("note"), "note", max_length=1000),
                )
            else:
                save_participant(
                    study_id,
                    participant_fields(form),
                    user_id=current_user.id,
                    participant=participant,
                    version=form.get("version"),
                )
        except StaleEdit as stale:
            db.session.rollback()
            conflict = stale
            participant = in_study(Participant, participant_id)
            # The form keeps what this person sent; saving it again replaces the saved details.
            form = form.copy()
            form["version"] = str(participant.version)
        except ValidationError as exc:
            db.session.rollback()
            error = exc
        else:
            db.session.commit()
            flash(_("Participant saved."), "success")
            return redirect(
                url_for("participants.edit", study_id=study_id, participant_id=participant_id)
            )
    return render_template(
        "participants/edit.html",
        study=g.study,
        participant=participant,
        consent=current_consent(participant),
        scopes=list(ConsentScope),
        error=error,
        conflict=conflict,
        form=form if error or conflict else {},
        today=date.today().isoformat(),
        can_erase=allowed(g.membership.role, "participant.erase") and not participant.erased_at,
    ), (409 if conflict else 422 if error else 200)


# --- GDPR duties ----------------------------------------------------------


def erase_participant(participant: Participant, *, user_id: int, real_names: list[str]) -> dict:
    """Erase a participant's personal data, keeping the transcript's structure.

    The pseudonym (and each real name given) becomes a neutral label, whatever its case,
    in every stored text of the study and its history (privacy/fields.py), except that a
    name that is also an ordinary word ("Rose") goes only with a capital initial, so "the
    rent rose" stays, counted as `words_left` for the facilitator to check; attributes and
    consent records are deleted, the given real names leave the private name list, their
    validation links stop working, and an audit tombstone records the counts.
    """
    from app.privacy.fields import name_pattern
    from app.privacy.replace import replace_names_in_study, words_left

    label = f"erased-{participant.id}"
    given = [" ".join(name.split()) for name in real_names]
    # Every stored text field (privacy/fields.py), any case, longest name first.
    mentions = replace_names_in_study(participant.study_id, [participant.pseudonym, *given], label)
    left = words_left(participant.study_id, [participant.pseudonym, *given])
    # Their validation links stop working: nobody answers in an erased person's name.
    for link in db.session.execute(
        db.select(ValidationLink).filter_by(participant_id=participant.id, revoked_at=None)
    ).scalars():
        link.revoked_at = utcnow()
    consents = len(participant.consents)
    for consent in list(participant.consents):
        db.session.delete(consent)
    names = {name.strip().casefold() for name in real_names if name.strip()}
    removed = 0
    for known in db.session.execute(
        db.select(KnownName).filter_by(study_id=participant.study_id)
    ).scalars():
        if known.name.casefold() in names:
            db.session.delete(known)
            removed += 1
    # Queued findings may still quote the person's names ("Madame Ann Dupont"): drop them.
    forgotten = name_pattern([participant.pseudonym, *given], ignore_case=True)
    for finding in db.session.execute(
        db.select(PiiFinding).filter_by(study_id=participant.study_id)
    ).scalars():
        if forgotten.search(finding.text):
            db.session.delete(finding)
    participant.pseudonym = participant.pseudonym_key = label
    participant.attributes = {}
    participant.erased_at = utcnow()
    participant.version = participant.version + 1  # an edit form opened before is stale
    db.session.flush()
    counts = {"mentions": mentions, "consents": consents, "names": removed, "words_left": left}
    record(
        "participant.erase",
        participant,
        user_id=user_id,
        study_id=participant.study_id,
        details=counts,
    )
    return counts


@bp.get("/<int:participant_id>/export.json")
@study_action("participant.edit")
def export(study_id: int, participant_id: int):
    """Download everything held about a participant, as JSON."""
    participant = in_study(Participant, participant_id)
    # A GET: recorded at once in a write of its own (accounts/audit.py).
    record("participant.export", participant, user_id=current_user.id, study_id=study_id)
    body = json.dumps(participant_record(participant), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="participant-{participant_id}.json"'
        },
    )


@bp.post("/<int:participant_id>/erase")
@study_action("participant.erase")
def erase(study_id: int, participant_id: int):
    """Erase a participant's personal data (asks for the pseudonym as confirmation)."""
    participant = in_study(Participant, participant_id)
    if request.form.get("confirm", "").strip() != participant.pseudonym:
        flash(_("Type the pseudonym exactly to confirm the erasure."), "error")
        return redirect(
            url_for("participants.edit", study_id=study_id, participant_id=participant_id)
        ), 303
    names = request.form.get("real_names", "").splitlines()
    counts = erase_participant(participant, user_id=current_user.id, real_names=names)
    db.session.commit()
    flash(
        _("The participant's data was erased (%(n)d mentions replaced).", n=counts["mentions"]),
        "success",
    )
    if counts["words_left"]:
        flash(
            ngettext(
                "%(num)d lower-case occurrence of a name that is also an ordinary word was "
                "kept as a word (as “rose” in “the rent rose”). Check it if names were typed "
                "in lower case.",
                "%(num)d lower-case occurrences of a name that is also an ordinary word were "
                "kept as words (as “rose” in “the rent rose”). Check them if names were typed "
                "in lower case.",
                counts["words_left"],
            ),
            "warning",
        )
    return redirect(url_for("participants.roster", study_id=study_id))
