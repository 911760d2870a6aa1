"""Replacing personal data everywhere it is stored, and closing findings.

A replacement rewrites every stored text field of the session that holds the words, as
listed once in `app.privacy.fields.SOURCES` (passages with their codings kept on their
words, passage history, memos, stories, synthesis statements with every version and
heading, validation texts, incident sheets, groupings); a finding is closed as replaced or
dismissed, with an audit event. Erasing a participant uses the same walk study-wide.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from analysis.anchoring import across_replacements
from analysis.pii import name_span
from app.accounts.audit import record, record_event
from app.models import (
    Coding,
    Passage,
    PassageRevision,
    PiiFinding,
    QuoteDecision,
    Statement,
    StatementAnswer,
    StatementVersion,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.platform.forms import ValidationError
from app.privacy.fields import SOURCES, WHOLE_STUDY, is_ordinary_name, name_key, name_pattern
from app.privacy.scan import rescan
from app.privacy.texts import row_parts


def _count_saves(saves: list[tuple[object, set[str]]]) -> None:
    """Count each rewrite (row, rewritten field names) as a save, in one query for statements."""
    # A rewritten version counts on its statement: load them all at once, not one per version.
    ids = {row.statement_id for row, _names in saves if isinstance(row, StatementVersion)}
    statements = {}
    if ids:
        query = db.select(Statement).where(Statement.id.in_(ids))
        statements = {statement.id: statement for statement in db.session.execute(query).scalars()}
    for row, names in saves:
        if isinstance(row, StatementVersion):
            row = statements[row.statement_id]
        _count_save(row, names)


def _count_save(row, names: set[str]) -> None:
    """Count a rewrite as a save: an edit form drawn before it is stale (platform/edits).

    Otherwise saving that form would silently put the replaced personal data back. A
    passage counts its own saves (its mapper's version column); a statement counts the
    rewrite of any of its versions (the caller passes the statement); a coding counts a
    memo rewrite on its memo's counter; a participant's answer or quote choice counts on
    their link's `answers_version`.
    """
    if isinstance(row, Passage):
        return
    if isinstance(row, StatementAnswer | QuoteDecision):
        row.link.answers_version = row.link.answers_version + 1
        return
    if isinstance(row, Coding):
        if "memo" in names:
            row.memo_version = row.memo_version + 1
        return
    for counter in ("revision", "version"):
        if hasattr(row, counter):
            setattr(row, counter, getattr(row, counter) + 1)
            return


def _literal(replacement: str) -> str:
    """Escape a replacement for `re.sub`: a typed "\\1" is text, not a group reference."""
    return replacement.replace("\\", "\\\\")


def _words_to_replace(finding: PiiFinding) -> str:
    """Return what a replacement may touch: the finding's text, for a person only the name.

    The replacement reaches the history, so a word next to the name would be lost for good.
    """
    if finding.kind != "person":
        return finding.text
    span = name_span(finding.text)
    if span is None:
        raise ValidationError(_l("This finding holds no name to replace. Dismiss it instead."))
    return finding.text[span[0] : span[1]]


def _sub_json(pattern: re.Pattern, replacement: str, value):
    """Replace in the strings of a JSON list or dict; other values stay."""
    if isinstance(value, list):
        return [pattern.sub(replacement, v) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return {
            k: pattern.sub(replacement, v) if isinstance(v, str) else v for k, v in value.items()
        }
    return value


def replace_in_fields(
    study_id: int, pattern: re.Pattern, replacement: str, session=WHOLE_STUDY
) -> list:
    """Replace the pattern in every stored text field (`fields.SOURCES`); return changed rows.

    `session` limits session-bound rows to one session (None: the transversal synthesis);
    rows bound to no session are always reached. The replacement is literal text.
    """
    plain, replacement = replacement, _literal(replacement)
    changed, seen, saves = [], set(), []
    for source in SOURCES:
        for row in db.session.execute(source.select(study_id, session)).scalars():
            touched: set[str] = set()
            for name in source.fields:
                old = getattr(row, name) or ""
                new = pattern.sub(replacement, old)
                if new == old:
                    continue
                touched.add(name)
                if isinstance(row, Passage) and name == "text":
                    _rewrite(row, new, pattern, old, len(plain))  # codings keep their words
                else:
                    setattr(row, name, new)
            for name in source.json_fields:
                old = getattr(row, name)
                new = _sub_json(pattern, replacement, old)
                if new != old:
                    touched.add(name)
                    setattr(row, name, new)
            if touched:
                saves.append((row, touched))
                if (type(row), row.id) not in seen:  # a passage's text and speaker: two sources
                    seen.add((type(row), row.id))
                    changed.append(row)
    _count_saves(saves)
    db.session.flush()
    return changed


def replace_names_in_study(study_id: int, names: list[str], replacement: str) -> int:
    """Replace whole names, in any case, in every stored text of a study; count passages.

    Names are matched longest first, so "Ann Dupont" goes whole before "Ann" is looked for.
    A name that is also an ordinary word goes only with a capital initial ("Rose", "ROSE";
    `fields.name_pattern`): "the rent rose" is a record, not a name, and stays.
    """
    pattern = name_pattern(names, ignore_case=True)
    if pattern is None:
        return 0
    changed = replace_in_fields(study_id, pattern, replacement)
    return sum(isinstance(row, Passage) for row in changed)


def words_left(study_id: int, names: list[str]) -> int:
    """Count the occurrences of names left as ordinary words in a study's current texts.

    After `replace_names_in_study` these are the lower-case "rose" of a "Rose": words to the
    rule, but a name if a transcript was typed without capitals, so the facilitator is told.
    A passage counts its current text, not its revisions again; statements count each version.
    """
    return sum(words_left_by_name(study_id, names).values())


def words_left_by_name(study_id: int, names: list[str]) -> dict[str, int]:
    """Count, per name that is also a word, its occurrences the name rule leaves as words.

    The rule (`fields.name_pattern`) takes "Rose" and "ROSE" as the name, so only the other
    occurrences ("the rents rose") count, whether or not the name was replaced before: an
    export, which scrubs its copy, is told what it will carry. Keys are the names as given.
    """
    words = [name for name in names if name.strip() and is_ordinary_name(name)]
    found = name_pattern(words)
    if found is None:
        return {}
    found = re.compile(found.pattern, re.IGNORECASE)  # as typed, now in any case
    as_name = name_pattern(words, ignore_case=True)  # what the rule takes as the name
    counts = {name: 0 for name in words}
    by_key = {name_key(name): name for name in reversed(words)}  # the first name of a key counts
    for source in SOURCES:
        if source.model is PassageRevision:
            continue
        for row in db.session.execute(source.select(study_id)).scalars():
            for _name, text in row_parts(source, row):
                for match in found.finditer(text):
                    if not as_name.fullmatch(match[0]):
                        counts[by_key.get(name_key(match[0]), words[0])] += 1
    return counts


def _rewrite(passage: Passage, new_text: str, pattern: re.Pattern, old: str, size: int) -> None:
    """Give a passage its new text, each coding moved exactly past the replaced occurrences.

    The occurrences are known, so nothing is guessed: a coding on a name covers all of its
    replacement, and the words around it stay covered (`analysis.anchoring.across_replacements`).
    """
    occurrences = [(m.start(), m.end(), size) for m in pattern.finditer(old)]
    codings = list(passage.codings)
    spots = across_replacements([(c.start_offset, c.end_offset) for c in codings], occurrences)
    for coding, (start, end) in zip(codings, spots, strict=True):
        if end > start:
            coding.start_offset, coding.end_offset = start, end
        else:  # an empty replacement of all its words leaves nothing to code
            db.session.delete(coding)
    passage.text = new_text


def replace_everywhere(finding: PiiFinding, replacement: str, *, user_id: int) -> int:
    """Replace the finding's text in its whole session: every stored text and its history."""
    if not finding.text:
        raise ValidationError(_l("This finding was already handled."))
    old = _words_to_replace(finding)
    # Whole words only: replacing "Jan" must not turn "Janssens" into "[NOM]ssens", nor
    # "Ann" turn "Ann-Marie" into "[NOM]-Marie". Case as found: "Rose" is not "rose".
    pattern = name_pattern([old])
    passage_text = {
        p.id: p.text
        for p in db.session.execute(
            db.select(Passage).filter_by(group_session_id=finding.group_session_id)
        ).scalars()
    }
    changed = replace_in_fields(
        finding.study_id, pattern, replacement, session=finding.group_session_id
    )
    moved = [r for r in changed if isinstance(r, Passage) and r.text != passage_text[r.id]]
    count = len(moved)
    same = (
        db.session.execute(
            db.select(PiiFinding)
            .filter_by(
                study_id=finding.study_id,
                group_session_id=finding.group_session_id,
                status="open",
            )
            .where(PiiFinding.text.in_({finding.text, old}))
        )
        .scalars()
        .all()
    )
    for other in same:
        _close(other, "replaced", user_id, kind_note=finding.kind)
    db.session.flush()
    rescan(changed)  # other findings in those texts moved with the words
    record_event(
        "pii.replace",
        "group_session",
        finding.group_session_id,
        user_id=user_id,
        study_id=finding.study_id,
        details={"kind": finding.kind, "count": count},
    )
    return count


def _close(finding: PiiFinding, status: str, user_id: int, kind_note: str = "") -> None:
    finding.status, finding.text = status, ""  # do not keep a copy of the personal data
    finding.resolved_by_id, finding.resolved_at = user_id, utcnow()
    finding.resolution = kind_note


def dismiss(finding: PiiFinding, *, user_id: int) -> None:
    """Mark a finding as not personal data; later scans skip it."""
    _close(finding, "dismissed", user_id)
    record(
        "pii.dismiss",
        finding,
        user_id=user_id,
        study_id=finding.study_id,
        details={"kind": finding.kind},
    )
