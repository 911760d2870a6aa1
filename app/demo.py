"""Load the demo study from sessions/demo/ (idempotent).

The demo's two coders are accounts without a password, so nobody can log
in as them; they exist so the demo codings have coders, including a second
coder on some passages for inter-coder agreement.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from flask import current_app

from app.audit import record
from app.codebook import seed_default_codebook
from app.config import ROOT
from app.extensions import db
from app.models import (
    Coding,
    CodingOrigin,
    ConsentScope,
    GroupSession,
    Membership,
    Narrative,
    Participant,
    Role,
    SessionStatus,
    Study,
    User,
)
from app.participants import record_consent
from app.transcripts import add_passages, parse_markdown
from app.validation import pseudonym_key

DEMO_DIR = ROOT / "sessions" / "demo"


class DemoError(RuntimeError):
    """The demo files are inconsistent (a quote not found, an unknown speaker)."""


def load_demo(directory: Path = DEMO_DIR, *, owner_id: int | None = None) -> Study | None:
    """Create the demo study unless it exists; return it, or None if it existed."""
    with (directory / "study.toml").open("rb") as handle:
        spec = tomllib.load(handle)
    key = spec["study"]["key"]
    if db.session.execute(db.select(Study.id).filter_by(demo_key=key)).first():
        return None
    info = spec["study"]
    study = Study(
        title=info["title"],
        description=info["description"],
        language=info["language"],
        demo_key=key,
    )
    db.session.add(study)
    if owner_id is not None:
        db.session.add(Membership(study=study, user_id=owner_id, role=Role.OWNER))
    themes = {theme.key: theme for theme in seed_default_codebook(study)}
    coders = {c["key"]: _demo_coder(c["key"], c["name"]) for c in spec["coders"]}
    participants = {}
    for entry in spec["participants"]:
        participant = Participant(
            study=study,
            pseudonym=entry["pseudonym"],
            pseudonym_key=pseudonym_key(entry["pseudonym"]),
            attributes={k: entry[k] for k in ("organisation_type", "position") if k in entry},
        )
        db.session.add(participant)
        participants[participant.pseudonym_key] = participant
    db.session.flush()
    for entry in spec["participants"]:
        for scope in entry["consent"]:
            record_consent(
                participants[pseudonym_key(entry["pseudonym"])],
                ConsentScope(scope),
                True,
                date.fromisoformat(entry["consent_date"]),
                user_id=None,
            )
    sessions = {
        s["number"]: _demo_session(study, s, directory, participants) for s in spec["sessions"]
    }
    db.session.flush()
    for entry in spec["codings"]:
        _demo_coding(entry, sessions, themes, coders)
    db.session.flush()
    record("study.demo_load", study, user_id=owner_id, study_id=study.id)
    current_app.logger.info("Loaded the demo study %r", study.title)
    return study


def _demo_coder(key: str, name: str) -> User:
    email = f"{key}@demo.invalid"
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, display_name=name, password_hash=None, is_enabled=False)
        db.session.add(user)
    return user


def _demo_session(study, spec, directory, participants) -> GroupSession:
    group_session = GroupSession(
        study=study,
        number=spec["number"],
        title=spec["title"],
        held_on=date.fromisoformat(spec["date"]),
        place=spec["place"],
        language=spec["language"],
        status=SessionStatus(spec["status"]),
    )
    db.session.add(group_session)
    for narrative in spec["narratives"]:
        proposer = participants[pseudonym_key(narrative["proposer"])]
        db.session.add(
            Narrative(
                group_session=group_session,
                proposer=proposer,
                title=narrative["title"],
                summary=narrative["summary"],
                votes=narrative.get("votes"),
                is_chosen=narrative.get("chosen", False),
                narrator=proposer if narrative.get("chosen") else None,
            )
        )
    path = directory / spec["transcript"]
    turns = parse_markdown(path.read_text(encoding="utf-8"), source=path.name)
    add_passages(
        group_session,
        turns,
        participants=participants,
        facilitators=set(spec["facilitators"]),
        source=path.name,
    )
    return group_session


def _demo_coding(entry, sessions, themes, coders) -> Coding:
    group_session = sessions[entry["session"]]
    quote = entry["quote"]
    for passage in group_session.passages:
        if passage.phase == entry["phase"] and passage.speaker_name == entry["speaker"]:
            start = passage.text.find(quote)
            if start >= 0:
                coding = Coding(
                    passage=passage,
                    theme=themes[entry["theme"]],
                    coder=coders[entry["coder"]],
                    start_offset=start,
                    end_offset=start + len(quote),
                    origin=CodingOrigin.MANUAL,
                    memo=entry.get("memo", ""),
                )
                db.session.add(coding)
                return coding
    raise DemoError(
        f"Demo coding not found: session {entry['session']}, phase {entry['phase']}, "
        f"speaker {entry['speaker']!r}, quote {quote[:40]!r}"
    )
