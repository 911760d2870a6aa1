"""Consent decisions: one row per decision and scope; the newest by date is in force.

The history is never rewritten: a decision dated before the one in force for its scope
is refused (it would be history the moment it was recorded), saying which decision is
in force and since when. What the decisions allow for a person is here
(`participant_problem`, `left_out_as_person`); what it means for each text that
leaves the tool is `app.synthesis.quotations`.
"""

from __future__ import annotations

import enum
from datetime import date

from flask_babel import lazy_gettext as _l

from app.accounts.audit import record
from app.models import Consent, ConsentScope, Participant
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.privacy.scan import scan_fields


def record_consent(
    participant: Participant,
    scope: str,
    granted: bool,
    given_on: date,
    *,
    user_id: int | None,
    note: str = "",
) -> Consent:
    """Record a consent decision; earlier decisions stay as history.

    The newest decision by date is in force, so a decision dated before the one in
    force for its scope would be history the moment it is recorded: it is refused,
    saying which decision is in force and since when, and nothing is stored.
    """
    try:
        scope = ConsentScope(scope)
    except ValueError:
        raise ValidationError(_l("Unknown consent scope."), "scope") from None
    in_force = decision_in_force(participant.id, scope)
    if in_force is not None and given_on < in_force.given_on:
        raise ValidationError(_earlier_than_in_force(in_force, given_on), "given_on")
    consent = Consent(
        participant=participant,
        scope=scope,
        granted=granted,
        given_on=given_on,
        recorded_by_id=user_id,
        note=note,
    )
    db.session.add(consent)
    db.session.flush()
    scan_fields(consent)  # its note
    record(
        "consent.record",
        consent,
        user_id=user_id,
        study_id=participant.study_id,
        details={"participant": participant.id, "scope": scope.value, "granted": granted},
    )
    return consent


def decision_in_force(participant_id: int, scope: ConsentScope) -> Consent | None:
    """Return the stored decision in force for one scope: the newest by date, then by id."""
    return db.session.execute(
        db.select(Consent)
        .filter_by(participant_id=participant_id, scope=scope)
        .order_by(Consent.given_on.desc(), Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _earlier_than_in_force(in_force: Consent, given_on: date):
    scope_names = {
        ConsentScope.PARTICIPATION: _l("participation"),
        ConsentScope.RECORDING: _l("recording"),
        ConsentScope.QUOTATION: _l("quotation"),
    }
    values = {
        "scope": scope_names[in_force.scope],
        "since": in_force.given_on.isoformat(),
        "given": given_on.isoformat(),
    }
    if in_force.granted:
        return _l(
            "The %(scope)s decision in force is a grant dated %(since)s. A decision dated "
            "%(given)s is earlier and would not take effect, so nothing was recorded. To "
            "change this consent, record the decision with a date on or after %(since)s.",
            **values,
        )
    return _l(
        "The %(scope)s decision in force is a withdrawal dated %(since)s. A decision dated "
        "%(given)s is earlier and would not take effect, so nothing was recorded. To "
        "change this consent, record the decision with a date on or after %(since)s.",
        **values,
    )


def current_consent(participant: Participant) -> dict[ConsentScope, Consent | None]:
    """Return the decision in force for each scope (the newest one)."""
    state: dict[ConsentScope, Consent | None] = {scope: None for scope in ConsentScope}
    for consent in participant.consents:  # ordered oldest first
        state[consent.scope] = consent
    return state


class QuoteProblem(enum.StrEnum):
    """Why a passage may not be quoted."""

    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    PARTICIPATION_WITHDRAWN = "participation_withdrawn"
    NO_CONSENT = "no_quotation_consent"


def consent_in_force(participant: Participant, scope: ConsentScope) -> bool | None:
    """Return the newest decision of `participant` for `scope`, or None if none was recorded."""
    newest = None
    for consent in participant.consents:  # ordered by date, then id
        if consent.scope == scope:
            newest = consent
    return None if newest is None else bool(newest.granted)


def has_quotation_consent(participant: Participant) -> bool:
    """Return whether the newest quotation consent of `participant` grants it."""
    return bool(consent_in_force(participant, ConsentScope.QUOTATION))


def participant_problem(participant: Participant | None) -> QuoteProblem | None:
    """Return why words of `participant` may not leave the tool, or None (also for facilitators)."""
    if participant is None:
        return None
    if participant.erased_at is not None:
        return QuoteProblem.ERASED
    if consent_in_force(participant, ConsentScope.PARTICIPATION) is False:
        return QuoteProblem.PARTICIPATION_WITHDRAWN
    if not has_quotation_consent(participant):
        return QuoteProblem.NO_CONSENT
    return None


def left_out_as_person(participant: Participant | None) -> bool:
    """Return whether an exchange file leaves `participant` out as a person.

    An erased participant and one who withdrew from the study are no case, have no
    attributes and speak as the marker in a file that may leave the team; the study
    archive (a backup for the same team) still keeps them.
    """
    if participant is None:
        return False
    return participant_problem(participant) in (
        QuoteProblem.ERASED,
        QuoteProblem.PARTICIPATION_WITHDRAWN,
    )
