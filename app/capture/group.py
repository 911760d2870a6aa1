"""The group of a session: its members in seating order, and its facilitator labels.

A study often runs several groups side by side (a Dutch-speaking and a French-speaking
one); a session belongs to one of them. `GroupSession.seating` is that group: the ids of
its members in seating order, set on the session form, from an import (the participants
the transcript's speakers were mapped to) or under *Seating order* in live capture.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import GroupSession, Participant, Passage
from app.platform.extensions import db


def group_members(
    group_session: GroupSession, speaking: set[int] | None = None
) -> list[Participant]:
    """Return the session's group in seating order.

    A session saved before groups were kept (no seating) falls back to the participants
    who speak in it (`speaking`, when the caller already has their ids), never to the
    whole study.
    """
    by_id = {p.id: p for p in group_session.study.participants}
    members = [by_id[i] for i in group_session.seating or [] if i in by_id]
    if members:
        return members
    if speaking is None:
        speaking = set(
            db.session.execute(
                db.select(Passage.participant_id)
                .filter_by(group_session_id=group_session.id)
                .where(Passage.participant_id.is_not(None))
            ).scalars()
        )
    return [p for p in group_session.study.participants if p.id in speaking]


def seating_names(group_session: GroupSession, seating: list[int]) -> str:
    """Return the pseudonyms of a seating (or group), in order, for a conflict page."""
    names = {p.id: p.pseudonym for p in group_session.study.participants}
    return ", ".join(names.get(pid, "?") for pid in seating)


def set_group(group_session: GroupSession, participant_ids: list[int]) -> None:
    """Make these participants the group, keeping the seats of those already in it."""
    valid = {p.id for p in group_session.study.participants}
    wanted = list(dict.fromkeys(i for i in participant_ids if i in valid))
    kept = [i for i in group_session.seating or [] if i in wanted]
    group_session.seating = kept + [i for i in wanted if i not in kept]


def default_facilitator_label(language: str) -> str:
    """Return the word for "facilitator" in the session's language (not the interface's)."""
    with force_locale(language):
        return _("Facilitator")


def facilitator_labels(group_session: GroupSession, used: list[str] | None = None) -> list[str]:
    """Return the facilitator labels of a session, in order of first use.

    Labels already used in the session come first (`used`: the non-empty speaker labels
    of its passages in reading order, when the caller already has them); a session
    without any offers those of the study's other sessions in the same language, else
    the word for facilitator in the session's language, so one session never gets
    "Animateur" and "Facilitator" only because two people use different interface
    languages.
    """
    if used is None:
        used = db.session.execute(
            db.select(Passage.speaker_label)
            .filter_by(group_session_id=group_session.id)
            .where(Passage.speaker_label != "")
            .order_by(Passage.phase, Passage.position, Passage.id)
        ).scalars()
    labels = list(dict.fromkeys(used))
    if labels:
        return labels
    elsewhere = db.session.execute(
        db.select(Passage.speaker_label)
        .join(GroupSession)
        .where(
            GroupSession.study_id == group_session.study_id,
            GroupSession.language == group_session.language,
            Passage.speaker_label != "",
        )
        .order_by(Passage.speaker_label)
        .distinct()
    ).scalars()
    return list(elsewhere) or [default_facilitator_label(group_session.language)]
