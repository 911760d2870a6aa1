"""Facilitators' side of a validation round: open, follow, revoke or reissue links, close.

Routes on the "rounds" blueprint; services are in `rounds.py`.
"""

from __future__ import annotations

import secrets

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.audit import record
from app.accounts.policy import study_action
from app.models import (
    Synthesis,
    ValidationLink,
    ValidationRound,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.synthesis.links import link_url, participant_barred
from app.synthesis.rounds import create_round, dashboard_data
from app.synthesis.statements import KIND_NAMES, LEVEL_NAMES

bp = Blueprint("rounds", __name__, url_prefix="/studies/<int:study_id>")


def _round(round_id: int) -> ValidationRound:
    round_ = db.session.get(ValidationRound, round_id)
    if round_ is None or round_.study_id != g.study.id:
        abort(404)
    return round_


def _link(round_: ValidationRound, link_id: int) -> ValidationLink:
    link = db.session.get(ValidationLink, link_id)
    if link is None or link.round_id != round_.id:
        abort(404)
    return link


@bp.post("/syntheses/<int:synthesis_id>/rounds")
@study_action("validation.manage")
def open_round(study_id: int, synthesis_id: int):
    """Open a validation round and show its links."""
    synthesis = db.session.get(Synthesis, synthesis_id)
    if synthesis is None or synthesis.study_id != study_id:
        abort(404)
    try:
        round_ = create_round(synthesis, request.form, user_id=current_user.id)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_synthesis_url(synthesis), code=303)
    db.session.commit()
    flash(_("The round is open. Give each participant their personal link."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_.id), code=303)


def _synthesis_url(synthesis: Synthesis) -> str:
    if synthesis.group_session_id is None:
        return url_for("syntheses.transversal", study_id=synthesis.study_id)
    return url_for(
        "syntheses.session_synthesis",
        study_id=synthesis.study_id,
        session_id=synthesis.group_session_id,
    )


@bp.get("/rounds/<int:round_id>")
@study_action("validation.manage")
def dashboard(study_id: int, round_id: int):
    """Show the answers per statement, who has not answered, and quote withdrawals."""
    round_ = _round(round_id)
    return render_template(
        "validation/dashboard.html",
        study=g.study,
        round=round_,
        synthesis_url=_synthesis_url(round_.synthesis),
        kinds=KIND_NAMES,
        levels=LEVEL_NAMES,
        **dashboard_data(round_),
    )


@bp.get("/rounds/<int:round_id>/links")
@study_action("validation.manage")
def links(study_id: int, round_id: int):
    """A printable list of the personal links, with QR codes."""
    round_ = _round(round_id)
    rows, barred = [], {}
    for link in sorted(round_.links, key=lambda link: link.participant.pseudonym.casefold()):
        barred[link.id] = participant_barred(link.participant)
        if barred[link.id]:  # no address to hand out: that door is shut for good
            rows.append((link, None, None))
            continue
        url = link_url(link)
        rows.append((link, url, segno.make(url, error="m").svg_data_uri(scale=4)))
    return render_template(
        "validation/links.html",
        study=g.study,
        round=round_,
        rows=rows,
        barred=barred,
        synthesis_url=_synthesis_url(round_.synthesis),
    )


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/revoke")
@study_action("validation.manage")
def revoke(study_id: int, round_id: int, link_id: int):
    """Stop a participant's link from working."""
    link = _link(_round(round_id), link_id)
    link.revoked_at = link.revoked_at or utcnow()
    record("validation.revoke", link, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("The link no longer works."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_id), code=303)


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/reissue")
@study_action("validation.manage")
def reissue(study_id: int, round_id: int, link_id: int):
    """Give a participant a new link; the old address stops working, answers stay.

    Never for an erased participant or one who withdrew participation: that door stays shut.
    """
    link = _link(_round(round_id), link_id)
    if participant_barred(link.participant):
        flash(_("This participant was erased or withdrew from the study: no new link."), "error")
        return redirect(url_for("rounds.links", study_id=study_id, round_id=round_id), code=303)
    link.nonce, link.revoked_at = secrets.token_urlsafe(24), None
    record("validation.reissue", link, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("A new link was made; the old one no longer works."), "success")
    return redirect(url_for("rounds.links", study_id=study_id, round_id=round_id), code=303)


@bp.post("/rounds/<int:round_id>/close")
@study_action("validation.manage")
def close(study_id: int, round_id: int):
    """Close the round: links stop working; answers stay as they are."""
    round_ = _round(round_id)
    round_.closed_at = round_.closed_at or utcnow()
    record("validation.close", round_, user_id=current_user.id, study_id=study_id)
    db.session.commit()
    flash(_("The round is closed."), "success")
    return redirect(url_for("rounds.dashboard", study_id=study_id, round_id=round_id), code=303)
