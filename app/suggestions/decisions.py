"""The facilitator's decisions on what the engine proposed: accept, reject, merge.

Every decision claims its row once (`_claim`), so two people deciding at the same
time cannot code a passage twice; accepted suggestions become codings through
the coding services, with their audit events.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.accounts.audit import record
from app.coding.codings import code_passage
from app.models import (
    Coding,
    CodingOrigin,
    Grouping,
    GroupingStatus,
    Passage,
    Suggestion,
    SuggestionStatus,
    Theme,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_text
from app.studies.codebook import add_theme
from app.studies.theme_keys import slugify, unique_key
from app.suggestions.feeding import text_hash

# Palette for themes created from groupings; mid-tone like the default codebook's.
NEW_THEME_COLOURS = ("#7d3c98", "#138d75", "#ba4a00", "#2e4053", "#b03a2e", "#1f618d")


def _claim(model, object_id: int, expected, new) -> bool:
    """Move a row from status `expected` to `new` unless another request already did.

    A conditional UPDATE: on PostgreSQL the second of two concurrent requests waits
    for the first and then matches no row, so one decision never codes twice.
    """
    claimed = db.session.execute(
        db.update(model)
        .where(model.id == object_id, model.status == expected)
        .values(status=new)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def decide(suggestion: Suggestion, accept: bool, *, user_id: int) -> Coding | None:
    """Accept (code the whole passage) or reject a suggestion; return the coding made."""
    if suggestion.status != SuggestionStatus.OPEN:
        return None
    passage = suggestion.passage
    if suggestion.text_hash != text_hash(passage.text):
        raise ValidationError(
            _l("The passage changed since this suggestion was made; run the suggestions again.")
        )
    status = SuggestionStatus.ACCEPTED if accept else SuggestionStatus.REJECTED
    if not _claim(Suggestion, suggestion.id, SuggestionStatus.OPEN, status):
        return None  # someone else decided it a moment ago
    coding = None
    if accept:
        coding = code_passage(
            suggestion.study_id,
            passage.id,
            0,
            len(passage.text),
            suggestion.theme_id,
            coder_id=user_id,
            origin=CodingOrigin.SUGGESTION,
        )
        suggestion.coding_id = coding.id
    suggestion.status = status
    suggestion.decided_by_id, suggestion.decided_at = user_id, utcnow()
    db.session.flush()
    record(
        "suggestion.accept" if accept else "suggestion.reject",
        suggestion,
        user_id=user_id,
        study_id=suggestion.study_id,
        details={"passage": passage.id, "theme": suggestion.theme_id, "score": suggestion.score},
    )
    return coding


def accept_grouping(grouping: Grouping, form, *, user_id: int) -> Theme:
    """Create a theme from a grouping (or use an existing one) and code its passages."""
    study_id = grouping.study_id
    if not _claim(Grouping, grouping.id, GroupingStatus.OPEN, GroupingStatus.ACCEPTED):
        raise ValidationError(_l("This grouping was already decided."))
    choice = form.get("theme", "new")
    if choice == "new":
        label = clean_text(form.get("label") or grouping.label, "label", max_length=120)
        taken = set(db.session.execute(db.select(Theme.key).filter_by(study_id=study_id)).scalars())
        count = len(taken)
        theme = add_theme(
            study_id,
            unique_key(slugify(label), taken),
            {
                # Kept as offered, the engine's label is the theme's name in every language.
                **{
                    f"label_{language}": (grouping.labels or {}).get(language, label)[:120]
                    if label in (grouping.labels or {}).values()
                    else label
                    for language in ("nl", "fr", "en")
                },
                "definition_nl": "",
                "definition_fr": "",
                "definition_en": "",
                "colour": NEW_THEME_COLOURS[count % len(NEW_THEME_COLOURS)],
                "seed_terms": {"nl": [], "fr": [], "en": []},
            },
            user_id=user_id,
        )
    else:
        theme = db.session.get(Theme, as_id(choice) or 0)
        if theme is None or theme.study_id != study_id:
            raise ValidationError(_l("Choose a theme of this study."), "theme")
    already = set(
        db.session.execute(
            db.select(Coding.passage_id).where(
                Coding.theme_id == theme.id, Coding.passage_id.in_(grouping.members)
            )
        ).scalars()
    )
    coded = 0
    for passage in db.session.execute(
        db.select(Passage).where(Passage.id.in_(grouping.members))
    ).scalars():
        if passage.id in already or not passage.text:
            continue
        code_passage(
            study_id,
            passage.id,
            0,
            len(passage.text),
            theme.id,
            coder_id=user_id,
            origin=CodingOrigin.SUGGESTION,
        )
        coded += 1
    grouping.status, grouping.theme_id = GroupingStatus.ACCEPTED, theme.id
    record(
        "grouping.accept",
        grouping,
        user_id=user_id,
        study_id=study_id,
        details={"theme": theme.key, "codings": coded},
    )
    return theme


def merge_groupings(groupings: list[Grouping], *, user_id: int) -> Grouping:
    """Merge open groupings into the first: members and representatives are united."""
    target, *others = groupings
    members = list(target.members)
    for other in others:
        members += [m for m in other.members if m not in members]
        other.status, other.note = GroupingStatus.MERGED, f"merged into {target.id}"
    target.members = members
    target.representatives = list(dict.fromkeys(r for g_ in groupings for r in g_.representatives))[
        :5
    ]
    target.terms = list(dict.fromkeys(t for g_ in groupings for t in g_.terms))[:12]
    record(
        "grouping.merge",
        target,
        user_id=user_id,
        study_id=target.study_id,
        details={"merged": [o.id for o in others]},
    )
    return target
