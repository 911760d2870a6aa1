"""Splitting a passage in two and merging it with the next, keeping the history of both.

A split is conflict-checked like an edit (the form carries the version the facilitator
chose the split point in); a merge moves the second passage's revisions, quotes and
suggestions onto the first, in the order they were made.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.accounts.audit import record
from app.capture.passages import (
    SeenOrder,
    _keep_revision,
    _phase_passages,
    _speaker_name,
    neighbour_as_seen,
    place,
)
from app.models import Coding, Passage, PassageRevision
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.privacy.scan import scan_passages


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
    chosen_in = passage.text
    # Locked (positions are written without a version check) and read again: a save that
    # came in since the check above shows in the text, which the offset must still fit.
    siblings = _phase_passages(passage, lock=True)
    if passage.text != chosen_in:
        raise SplitConflict(passage, chosen_in)
    if not 0 < offset < len(passage.text):
        raise ValidationError(_l("Choose where to split inside the passage."), "offset")
    place(siblings, [index * 2 + 1 for index in range(len(siblings))])  # room after each
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


def merge_with_next(passage: Passage, *, seen: SeenOrder | None = None, user_id: int) -> None:
    """Join a passage with the next one of its phase (same speaker); codings are kept.

    `seen` names the passage's version and the next passage the button's page showed:
    OrderConflict, and nothing merged, if either changed or another one is next now.
    """
    siblings = neighbour_as_seen(passage, 1, seen)
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
