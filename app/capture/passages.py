"""Editing a session's transcript: add, edit, move, split and merge passages.

Edits are conflict-checked: the form carries the passage's version; a save
based on an older version is refused with both texts shown, and the refused
text is kept as a rejected revision. Codings follow their words through
edits (`analysis.anchoring`); codings whose words were changed wait for the
facilitator's decision (adjust them to the new words, or remove them).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from analysis import normalise_text
from analysis.anchoring import reanchor
from app.accounts.audit import record
from app.models import Coding, GroupSession, Participant, Passage, PassageRevision, SpeakerKind
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


def _phase_passages(passage: Passage) -> list[Passage]:
    return list(
        db.session.execute(
            db.select(Passage)
            .filter_by(group_session_id=passage.group_session_id, phase=passage.phase)
            .order_by(Passage.position, Passage.id)
        ).scalars()
    )


def move_passage(passage: Passage, direction: int, *, user_id: int) -> None:
    """Swap a passage with its neighbour above (-1) or below (+1) in its phase."""
    siblings = _phase_passages(passage)
    for index, sibling in enumerate(siblings):  # make positions distinct first
        sibling.position = index + 1
    index = siblings.index(passage)
    other = index + direction
    if 0 <= other < len(siblings):
        neighbour = siblings[other]
        passage.position, neighbour.position = neighbour.position, passage.position
    record(
        "passage.move",
        passage,
        user_id=user_id,
        study_id=passage.group_session.study_id,
        details={"direction": direction},
    )


class SplitConflict(Exception):
    """The passage was saved since the facilitator chose where to split it."""

    def __init__(self, passage: Passage, seen_text: str | None) -> None:
        super().__init__("conflict")
        self.passage = passage
        self.seen_text = seen_text  # the text the split was chosen in, when still known


def split_passage(passage: Passage, offset: int, *, version: int | None, user_id: int) -> Passage:
    """Cut a passage in two at a code-point offset chosen in `version`; codings follow.

    The offset only means something in the text it was chosen in: a split drawn from
    any other version raises SplitConflict and changes nothing.
    """
    if version != passage.version:
        seen = db.session.execute(
            db.select(PassageRevision.text)
            .filter_by(passage_id=passage.id, version=version, rejected=False, merged_in=False)
            .order_by(PassageRevision.id.desc())
            .limit(1)
        ).scalar()
        raise SplitConflict(passage, seen)
    if not 0 < offset < len(passage.text):
        raise ValidationError(_l("Choose where to split inside the passage."), "offset")
    siblings = _phase_passages(passage)
    for index, sibling in enumerate(siblings):
        sibling.position = index * 2 + 1  # leave room right after each passage
    head, tail = passage.text[:offset].rstrip(), passage.text[offset:].lstrip()
    if not head or not tail:
        raise ValidationError(_l("Choose where to split inside the passage."), "offset")
    shift = len(passage.text) - len(tail)  # offset of the tail in the old text
    second = Passage(
        group_session_id=passage.group_session_id,
        phase=passage.phase,
        position=passage.position + 1,
        text=tail,
        speaker_kind=passage.speaker_kind,
        participant_id=passage.participant_id,
        speaker_label=passage.speaker_label,
        # Withdrawn words stay withdrawn in both halves.
        quote_withdrawn_at=passage.quote_withdrawn_at,
    )
    db.session.add(second)
    db.session.flush()
    for coding in list(passage.codings):
        start, end = coding.start_offset, coding.end_offset
        if end > shift:  # (part of) the coding lies in the tail
            db.session.add(
                Coding(
                    passage_id=second.id,
                    theme_id=coding.theme_id,
                    coder_id=coding.coder_id,
                    origin=coding.origin,
                    memo=coding.memo,
                    start_offset=max(start, shift) - shift,
                    end_offset=end - shift,
                )
            )
        if start < len(head):
            coding.end_offset = min(end, len(head))
        else:
            db.session.delete(coding)
    _keep_revision(passage, user_id)
    passage.text = head
    db.session.flush()
    scan_passages([passage, second])
    record(
        "passage.split",
        passage,
        user_id=user_id,
        study_id=passage.group_session.study_id,
        details={"new": second.id},
    )
    return second


def _carry_quotes(source: Passage, target: Passage) -> None:
    """Move what synthesis and validation hold about `source` onto the passage it joins.

    A withdrawal must survive the merge (the merged words stay withdrawn), and so
    must a statement's quote of those words.
    """
    from app.models import QuoteChoice, QuoteDecision, StatementLink

    if source.quote_withdrawn_at is not None and target.quote_withdrawn_at is None:
        target.quote_withdrawn_at = source.quote_withdrawn_at
    decided = {
        d.link_id: d
        for d in db.session.execute(
            db.select(QuoteDecision).filter_by(passage_id=target.id)
        ).scalars()
    }
    for decision in db.session.execute(
        db.select(QuoteDecision).filter_by(passage_id=source.id)
    ).scalars():
        kept = decided.get(decision.link_id)
        if kept is None:
            decision.passage_id = target.id
        else:
            if decision.choice == QuoteChoice.WITHDRAW:
                kept.choice = QuoteChoice.WITHDRAW
            db.session.delete(decision)
    linked = {
        (link.statement_id, link.coding_id)
        for link in db.session.execute(
            db.select(StatementLink).filter_by(passage_id=target.id)
        ).scalars()
    }
    for link in db.session.execute(
        db.select(StatementLink).filter_by(passage_id=source.id, coding_id=None)
    ).scalars():
        if (link.statement_id, None) in linked:
            db.session.delete(link)
        else:
            link.passage_id = target.id
    # Links to one of source's codings follow the coding, which moved above.
    for link in db.session.execute(
        db.select(StatementLink).where(
            StatementLink.passage_id == source.id, StatementLink.coding_id.is_not(None)
        )
    ).scalars():
        link.passage_id = target.id
    db.session.flush()


def _carry_history(source: Passage, target: Passage, user_id: int | None) -> None:
    """Keep the history of `source` on the passage it joins: its revisions and last state.

    Revisions keep their ids, so the merged passage's history (newest id first) stays in
    the order the edits were made; they are marked `merged_in`, since their version
    numbers count the other passage's saves.
    """
    db.session.execute(
        db.update(PassageRevision)
        .where(PassageRevision.passage_id == source.id)
        .values(passage_id=target.id, merged_in=True)
    )
    db.session.add(
        PassageRevision(
            passage_id=target.id,
            version=source.version,
            text=source.text,
            speaker=_speaker_name(source),
            merged_in=True,
            edited_by_id=user_id,
        )
    )
    # Suggestions and their decisions name the words they judged (text hash): kept as a record.
    from app.models import Suggestion

    db.session.execute(
        db.update(Suggestion).where(Suggestion.passage_id == source.id).values(passage_id=target.id)
    )


def merge_with_next(passage: Passage, *, user_id: int) -> None:
    """Join a passage with the next one of its phase (same speaker); codings are kept."""
    siblings = _phase_passages(passage)
    index = siblings.index(passage)
    if index + 1 >= len(siblings):
        raise ValidationError(_l("There is no next passage in this phase to merge with."))
    following = siblings[index + 1]
    if _speaker_name(following) != _speaker_name(passage):
        raise ValidationError(_l("Only passages of the same speaker can be merged."))
    shift = len(passage.text) + 1
    _keep_revision(passage, user_id)
    _carry_history(following, passage, user_id)
    passage.text = passage.text + "\n" + following.text
    for coding in list(following.codings):
        coding.passage_id = passage.id
        coding.start_offset += shift
        coding.end_offset += shift
    db.session.flush()
    db.session.expire(following, ["codings"])
    _carry_quotes(following, passage)
    record(
        "passage.merge",
        passage,
        user_id=user_id,
        study_id=passage.group_session.study_id,
        details={"merged": following.id},
    )
    db.session.delete(following)
    db.session.flush()
    scan_passages([passage])
