"""Editing a session's transcript: add, edit and move passages (split and merge: joins.py).

Edits are conflict-checked: the form carries the passage's version; a save
based on an older version is refused with both texts shown, and the refused
text is kept as a rejected revision. Codings follow their words through
edits (`analysis.anchoring`); codings whose words were changed wait for the
facilitator's decision (adjust them to the new words, or remove them).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func
from sqlalchemy.orm.attributes import set_committed_value

from analysis import normalise_text
from analysis.anchoring import reanchor
from app.accounts.audit import record
from app.models import Coding, GroupSession, Participant, Passage, PassageRevision, SpeakerKind
from app.platform.edits import lock_parent
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id
from app.privacy.scan import scan_passages

MAX_PASSAGE = 100_000


@dataclass(frozen=True)
class Speaker:
    """Who a passage is attributed to."""

    kind: SpeakerKind
    participant_id: int | None = None
    label: str = ""


class EditConflict(Exception):
    """Someone saved the passage since this edit started."""

    def __init__(self, passage: Passage, submitted: str) -> None:
        super().__init__("conflict")
        self.passage = passage
        self.submitted = submitted


class CodingsAffected(Exception):
    """The edit changes coded words; the facilitator must choose what happens."""

    def __init__(self, affected: list[tuple[Coding, str]]) -> None:
        super().__init__("codings affected")
        self.affected = affected  # (coding, the adjusted quote in the new text)


@dataclass(frozen=True)
class SeenOrder:
    """What a move or merge button was drawn from: the passage's version and the neighbour
    it acts on (above or below for a move, the next one for a merge), None for none."""

    version: int | None
    neighbour_id: int | None = None
    neighbour_version: int | None = None


class OrderConflict(Exception):
    """The passage, or which passage is next to it, changed since the page was drawn."""

    def __init__(self, seen_id: int | None, neighbour_id: int | None) -> None:
        super().__init__("order conflict")
        self.seen_id = seen_id  # the neighbour the page showed (None: none)
        self.neighbour_id = neighbour_id  # the one next to the passage now (None: none)


def parse_speaker(study_id: int, choice: str | None, label: str | None = None) -> Speaker:
    """Read a speaker choice: "p:<participant id>" or "f:<facilitator label>"."""
    kind, _sep, value = (choice or "").partition(":")
    if kind == "p" and as_id(value):
        participant = db.session.get(Participant, as_id(value))
        if participant is not None and participant.study_id == study_id:
            return Speaker(SpeakerKind.PARTICIPANT, participant.id)
    if kind == "f":
        name = normalise_text(label or value).strip()[:80]
        if name:
            return Speaker(SpeakerKind.FACILITATOR, None, name)
    raise ValidationError(_l("Choose a participant or facilitator as speaker."), "speaker")


def clean_passage_text(text: str | None) -> str:
    """Normalise a passage text and check it is neither empty nor huge."""
    cleaned = normalise_text(text or "")
    if not cleaned:
        raise ValidationError(_l("A passage needs some text."), "text")
    if len(cleaned) > MAX_PASSAGE:
        raise ValidationError(
            _l("A passage holds at most %(n)d characters.", n=MAX_PASSAGE), "text"
        )
    return cleaned


def _speaker_name(passage: Passage) -> str:
    return passage.speaker_name or ""


def _keep_revision(passage: Passage, user_id: int | None, *, text=None, rejected=False) -> None:
    db.session.add(
        PassageRevision(
            passage_id=passage.id,
            version=passage.version,
            text=passage.text if text is None else text,
            speaker=_speaker_name(passage),
            rejected=rejected,
            edited_by_id=user_id,
        )
    )


def _apply_speaker(passage: Passage, speaker: Speaker) -> None:
    passage.speaker_kind = speaker.kind
    passage.participant_id = speaker.participant_id
    passage.speaker_label = speaker.label


def add_passage(
    group_session: GroupSession,
    phase: int,
    speaker: Speaker,
    text: str,
    *,
    user_id: int | None,
    client_key: str | None = None,
) -> tuple[Passage, bool]:
    """Append a passage to a phase; with a known client key, return the stored one instead."""
    # The session's lock first: two saves of the same client key, or two passages added
    # to one phase at once, must not both read "not stored yet" or the same last position.
    lock_parent(GroupSession, group_session.id)
    if client_key:
        existing = db.session.execute(
            db.select(Passage).filter_by(group_session_id=group_session.id, client_key=client_key)
        ).scalar_one_or_none()
        if existing is not None:
            return existing, False
    if not isinstance(phase, int) or not 1 <= phase <= 11:
        raise ValidationError(_l("Choose a phase from 1 to 11."), "phase")
    position = db.session.scalar(
        db.select(func.coalesce(func.max(Passage.position), 0) + 1).filter_by(
            group_session_id=group_session.id, phase=phase
        )
    )
    passage = Passage(
        group_session_id=group_session.id,
        phase=phase,
        position=position,
        text=clean_passage_text(text),
        client_key=client_key or None,
    )
    _apply_speaker(passage, speaker)
    db.session.add(passage)
    db.session.flush()
    scan_passages([passage])
    record(
        "passage.create",
        passage,
        user_id=user_id,
        study_id=group_session.study_id,
        details={"session": group_session.id, "phase": phase},
    )
    return passage, True


def edit_passage(
    passage: Passage,
    *,
    version: int,
    text: str,
    speaker: Speaker,
    phase: int,
    user_id: int,
    codings_choice: str | None = None,
) -> None:
    """Save an edit made from `version`; raise EditConflict or CodingsAffected."""
    new_text = clean_passage_text(text)
    if version != passage.version:
        _keep_revision(passage, user_id, text=new_text, rejected=True)
        db.session.flush()
        raise EditConflict(passage, new_text)
    if not 1 <= phase <= 11:
        raise ValidationError(_l("Choose a phase from 1 to 11."), "phase")
    if phase != passage.phase:  # a new last place in that phase: taken under the lock
        lock_parent(GroupSession, passage.group_session_id)  # before anything is written
    if new_text != passage.text:
        _reanchor_codings(passage, new_text, codings_choice)
    _keep_revision(passage, user_id)
    if phase != passage.phase:
        passage.position = db.session.scalar(
            db.select(func.coalesce(func.max(Passage.position), 0) + 1).filter_by(
                group_session_id=passage.group_session_id, phase=phase
            )
        )
    passage.text, passage.phase = new_text, phase
    _apply_speaker(passage, speaker)
    db.session.flush()  # the version check runs here too, against concurrent saves
    scan_passages([passage])
    record(
        "passage.update",
        passage,
        user_id=user_id,
        study_id=passage.group_session.study_id,
        details={"version": passage.version},
    )


def _reanchor_codings(passage: Passage, new_text: str, choice: str | None) -> None:
    codings = list(passage.codings)
    placed = reanchor(passage.text, new_text, [(c.start_offset, c.end_offset) for c in codings])
    affected = [
        (c, new_text[p.start : p.end]) for c, p in zip(codings, placed, strict=True) if not p.intact
    ]
    if affected and choice not in {"adjust", "remove"}:
        raise CodingsAffected(affected)
    for coding, spot in zip(codings, placed, strict=True):
        if spot.intact or (choice == "adjust" and spot.end > spot.start):
            coding.start_offset, coding.end_offset = spot.start, spot.end
        else:
            db.session.delete(coding)


def _phase_passages(passage: Passage, *, lock: bool = False) -> list[Passage]:
    query = (
        db.select(Passage)
        .filter_by(group_session_id=passage.group_session_id, phase=passage.phase)
        .order_by(Passage.position, Passage.id)
    )
    if not lock:
        return list(db.session.execute(query).scalars())
    # The session's lock, which adding a passage takes too: its rows alone would not stop
    # an add reading the last position while this renumbers (an empty phase has no row).
    lock_parent(GroupSession, passage.group_session_id)
    # PostgreSQL: rows locked and read again as committed (SQLite: BEGIN IMMEDIATE). Having
    # waited for another transaction's lock, PostgreSQL returns the rows as it committed them
    # but in the order it sorted them before waiting: sort them again here.
    query = query.with_for_update().execution_options(populate_existing=True)
    rows = db.session.execute(query).scalars()
    return sorted(rows, key=lambda passage: (passage.position, passage.id))


def place(passages: list[Passage], positions: list[int]) -> None:
    """Give passages new positions in their phase without counting a save of any of them.

    A passage's version counts changes to it (text, speaker, phase), which the edit form,
    the coding view and the move and merge buttons check; renumbering a phase changes none
    of that, so it must not make every page open on the session stale. The order is
    guarded instead by the phase's lock, taken by every caller (`_phase_passages(lock=True)`).
    """
    table = Passage.__table__
    changed = [
        {"passage_id": passage.id, "new_position": position}
        for passage, position in zip(passages, positions, strict=True)
        if passage.position != position
    ]
    if changed:  # Core, not the ORM, whose update would count a save (version_id_col)
        db.session.execute(
            table.update()
            .where(table.c.id == bindparam("passage_id"))
            .values(position=bindparam("new_position")),
            changed,
        )
    for passage, position in zip(passages, positions, strict=True):
        set_committed_value(passage, "position", position)


def neighbour_as_seen(passage: Passage, direction: int, seen: SeenOrder | None) -> list[Passage]:
    """Lock the passage's phase and check it still looks as the button's page showed it.

    The passage must be at the `seen` version and its neighbour in `direction` (-1 above,
    +1 below) the seen one at its seen version; otherwise OrderConflict, since the button
    would act on other words than the ones the facilitator saw. `seen=None` is for a
    caller without a page (a script, a test): it acts on the order as it is. Returns the
    phase's passages in order.
    """
    siblings = _phase_passages(passage, lock=True)
    if passage not in siblings:  # merged or deleted while this request waited for the lock
        raise OrderConflict(seen and seen.neighbour_id, None)
    other = siblings.index(passage) + direction
    neighbour = siblings[other] if 0 <= other < len(siblings) else None
    now = (passage.version, neighbour and neighbour.id, neighbour and neighbour.version)
    if seen is not None and now != (seen.version, seen.neighbour_id, seen.neighbour_version):
        raise OrderConflict(seen.neighbour_id, neighbour and neighbour.id)
    return siblings


def move_passage(
    passage: Passage, direction: int, *, seen: SeenOrder | None = None, user_id: int
) -> None:
    """Swap a passage with its neighbour above (-1) or below (+1) in its phase.

    `seen` is what the button's page showed (OrderConflict if the order changed since).
    """
    order = neighbour_as_seen(passage, direction, seen)
    index, other = order.index(passage), order.index(passage) + direction
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    place(order, list(range(1, len(order) + 1)))  # distinct positions, in the new order
    record(
        "passage.move",
        passage,
        user_id=user_id,
        study_id=passage.group_session.study_id,
        details={"direction": direction},
    )
