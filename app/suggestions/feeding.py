"""What the analysis engine is fed: the codebook, passages with cached lemmas, decisions.

`analysis` takes plain values only; this module turns the study's rows into them
(`ThemeSpec`, prepared passages, training examples) and keeps the lemma cache in
`passage_analysis`, keyed by a hash of the passage text so an edit invalidates it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import analysis
from analysis.nlp import FORMAT_VERSION
from app.models import (
    Coding,
    GroupSession,
    KnownName,
    Membership,
    Participant,
    Passage,
    PassageAnalysis,
    Study,
    Suggestion,
    SuggestionStatus,
    User,
)
from app.platform.extensions import db


def text_hash(text: str) -> str:
    """Return the hash that ties cached lemmas and decisions to one text of a passage."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def engine_key(theme_id: int) -> str:
    """Return the neutral key a theme has inside the engine."""
    return f"t{theme_id}"


def theme_id_of(key: str) -> int:
    """Return the theme id behind an engine key."""
    return int(key[1:])


def codebook_specs(study: Study) -> list[analysis.ThemeSpec]:
    """Return the study's codebook as the engine's theme specifications."""
    return [
        analysis.ThemeSpec(
            key=engine_key(theme.id),
            labels={lang: getattr(theme, f"label_{lang}") for lang in ("nl", "fr", "en")},
            definitions={lang: getattr(theme, f"definition_{lang}") for lang in ("nl", "fr", "en")},
            seed_terms={
                lang: list((theme.seed_terms or {}).get(lang, [])) for lang in ("nl", "fr", "en")
            },
            parent=engine_key(theme.parent_id) if theme.parent_id else None,
            # A default theme (seeded by the default codebook, same key) is read with its
            # built-in lexicon and the shipped prior, as in bench/.
            lexicon=theme.key if theme.key in analysis.DEFAULT_KEYS else None,
        )
        for theme in study.themes
    ]


@dataclass(frozen=True)
class PassageRow:
    """A passage as plain values, so jobs can end their read transaction before computing."""

    id: int
    text: str
    language: str  # the session's, used when the passage itself is too short to tell
    session_id: int

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def study_passages(study_id: int, session_id: int | None = None) -> list[PassageRow]:
    """Return the passages to analyse (a session's, or the whole study's) as plain rows."""
    query = (
        db.select(Passage.id, Passage.text, GroupSession.language, GroupSession.id)
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .where(GroupSession.study_id == study_id)
        .order_by(GroupSession.number, Passage.phase, Passage.position, Passage.id)
    )
    if session_id is not None:
        query = query.where(Passage.group_session_id == session_id)
    return [PassageRow(*row) for row in db.session.execute(query) if row[1].strip()]


def cached_lemmas(rows: list[PassageRow]) -> dict[int, dict]:
    """Return the cached PreparedText dicts still valid for these passages' texts.

    Valid means the same text and the engine's current format: when the lemmatiser
    changes (`analysis.nlp.FORMAT_VERSION`), every passage is read again the next time
    it is analysed and its cache row is replaced, instead of old lemmas living on.
    """
    hashes = {row.id: row.hash for row in rows}
    found = db.session.execute(
        db.select(
            PassageAnalysis.passage_id, PassageAnalysis.text_hash, PassageAnalysis.prepared
        ).where(PassageAnalysis.passage_id.in_(list(hashes)))
    )
    return {
        pid: data
        for pid, hashed, data in found
        if hashes.get(pid) == hashed and data.get("version") == FORMAT_VERSION
    }


def prepare_rows(rows: list[PassageRow], cached: dict[int, dict]) -> tuple[dict, list]:
    """Return {passage id: PreparedText}, lemmatising only what the cache lacks (no database).

    Also returns the new cache rows, for the caller to store with its results.
    """
    result = {pid: analysis.PreparedText.from_dict(data) for pid, data in cached.items()}
    missing = [row for row in rows if row.id not in result]
    languages = [analysis.detect_language(row.text, default=row.language) for row in missing]
    fresh = analysis.prepare_many([row.text for row in missing], languages) if missing else []
    new_rows = []
    for row, prepared in zip(missing, fresh, strict=True):
        result[row.id] = prepared
        new_rows.append(
            {
                "passage_id": row.id,
                "text_hash": row.hash,
                "language": prepared.language,
                "prepared": prepared.to_dict(),
            }
        )
    return result, new_rows


def _store_cache(rows: list[dict]) -> None:
    """Store new cache rows, skipping passages deleted or edited since they were read."""
    if not rows:
        return
    current = dict(
        db.session.execute(
            db.select(Passage.id, Passage.text).where(
                Passage.id.in_([row["passage_id"] for row in rows])
            )
        ).all()
    )
    for row in rows:
        text = current.get(row["passage_id"])
        if text is None or text_hash(text) != row["text_hash"]:
            continue
        existing = db.session.get(PassageAnalysis, row["passage_id"])
        if existing is None:
            db.session.add(PassageAnalysis(**row))
        else:
            existing.text_hash, existing.language = row["text_hash"], row["language"]
            existing.prepared = row["prepared"]


def study_decisions(study_id: int) -> tuple[dict, dict]:
    """Return {passage id: coded engine keys} and {passage id: rejected keys, same text}."""
    labels: dict[int, set[str]] = defaultdict(set)
    rejected: dict[int, set[str]] = defaultdict(set)
    for passage_id, theme_id in db.session.execute(
        db.select(Coding.passage_id, Coding.theme_id)
        .join(Passage, Coding.passage_id == Passage.id)
        .join(GroupSession)
        .where(GroupSession.study_id == study_id)
    ):
        labels[passage_id].add(engine_key(theme_id))
    for passage_id, theme_id, hashed, text in db.session.execute(
        db.select(Suggestion.passage_id, Suggestion.theme_id, Suggestion.text_hash, Passage.text)
        .join(Passage, Suggestion.passage_id == Passage.id)
        .where(Suggestion.study_id == study_id, Suggestion.status == SuggestionStatus.REJECTED)
    ):
        if hashed == text_hash(text):  # a decision about other words says nothing here
            rejected[passage_id].add(engine_key(theme_id))
    return labels, rejected


def training_examples(labels: dict, rejected: dict, prepared: dict) -> list[analysis.Example]:
    """Return coded passages (and rejected suggestions) as engine examples (no database)."""
    return [
        analysis.Example(
            id=passage_id,
            text=prepared[passage_id],
            labels=frozenset(labels.get(passage_id, set())),
            rejected=frozenset(rejected.get(passage_id, set()) - labels.get(passage_id, set())),
        )
        for passage_id in sorted(set(labels) | set(rejected))
        if passage_id in prepared
    ]


def speaker_names(study_id: int) -> list[str]:
    """Return every name a grouping must never use: pseudonyms, facilitator labels, members.

    Names are kept out of features and labels (a group labelled "sophie" says nothing
    about a theme, and names a person), including real names given to an erasure.
    """
    pseudonyms = db.session.execute(
        db.select(Participant.pseudonym).filter_by(study_id=study_id)
    ).scalars()
    labels = db.session.execute(
        db.select(Passage.speaker_label)
        .join(GroupSession, Passage.group_session_id == GroupSession.id)
        .where(GroupSession.study_id == study_id, Passage.speaker_label != "")
        .distinct()
    ).scalars()
    members = db.session.execute(
        db.select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.study_id == study_id)
    ).scalars()
    known = db.session.execute(db.select(KnownName.name).filter_by(study_id=study_id)).scalars()
    return sorted({name for name in [*pseudonyms, *labels, *members, *known] if name})
