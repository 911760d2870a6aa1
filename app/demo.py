"""Load the demo study from sessions/demo/ (idempotent).

The demo's two coders are accounts without a password, so nobody can log
in as them; they exist so the demo codings have coders, including a second
coder on some passages for inter-coder agreement.
"""

from __future__ import annotations

import secrets
import tomllib
from datetime import date, timedelta
from pathlib import Path

from flask import current_app

from app.accounts.audit import record
from app.capture.transcripts import add_passages, parse_markdown
from app.models import (
    Coding,
    CodingOrigin,
    ConsentScope,
    Consequence,
    GroupSession,
    IncidentSheet,
    Membership,
    Narrative,
    Participant,
    ProposalLevel,
    QuoteChoice,
    QuoteDecision,
    Role,
    RoundStatement,
    SessionStatus,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
    User,
    ValidationLink,
    ValidationRound,
    Verdict,
    WorkerAction,
)
from app.models.base import utcnow
from app.platform.config import ROOT
from app.platform.extensions import db
from app.platform.forms import pseudonym_key
from app.studies.codebook import seed_default_codebook
from app.studies.participants import record_consent

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
    _demo_syntheses(spec, study, sessions, themes, participants)
    for entry in spec.get("incidents", []):
        db.session.add(
            IncidentSheet(
                study=study,
                occurred_on=date.fromisoformat(entry["date"]),
                organisation=entry["organisation"],
                procedure=entry.get("procedure", ""),
                channel=entry["channel"],
                barriers=entry.get("barriers", ""),
                worker_action=WorkerAction(entry["worker_action"]),
                minutes_spent=entry.get("minutes"),
                consequence=Consequence(entry["consequence"]),
                personal_data_involved=entry.get("personal_data", False),
                narrative=entry.get("narrative", ""),
                themes=[themes[key] for key in entry.get("themes", [])],
            )
        )
    record("study.demo_load", study, user_id=owner_id, study_id=study.id)
    current_app.logger.info("Loaded the demo study %r", study.title)
    return study


def _find_passage(group_session, phase: int, speaker: str, quote: str) -> tuple:
    for passage in group_session.passages:
        if passage.phase == phase and passage.speaker_name == speaker:
            start = passage.text.find(quote)
            if start >= 0:
                return passage, start
    raise DemoError(
        f"Demo quote not found: session {group_session.number}, phase {phase}, "
        f"speaker {speaker!r}, quote {quote[:40]!r}"
    )


def _demo_syntheses(spec, study, sessions, themes, participants) -> None:
    """Add the demo's synthesis statements (with quotes) and its validation round."""
    by_session: dict[int, list[Statement]] = {}
    syntheses = {}
    for entry in spec.get("statements", []):
        number = entry["session"]
        if number not in syntheses:
            syntheses[number] = Synthesis(
                study=study, group_session=sessions[number] if number else None
            )
            db.session.add(syntheses[number])
        statement = Statement(
            synthesis=syntheses[number],
            kind=StatementKind(entry["kind"]),
            position=len(by_session.get(number, [])) + 1,
            level=ProposalLevel(entry["level"]) if entry.get("level") else None,
            group_label=entry.get("group", ""),
            themes=[themes[key] for key in entry.get("themes", [])],
        )
        statement.versions.append(
            StatementVersion(number=1, text=entry["text"], positions=entry.get("positions", ""))
        )
        for quote in entry.get("quotes", []):
            group_session = sessions[quote.get("session_of_quote", number)]
            passage, _start = _find_passage(
                group_session, quote["phase"], quote["speaker"], quote["quote"]
            )
            statement.links.append(StatementLink(passage=passage))
        db.session.add(statement)
        by_session.setdefault(number, []).append(statement)
    db.session.flush()
    for entry in spec.get("rounds", []):
        _demo_round(entry, study, syntheses, by_session, sessions, participants)


def _demo_round(entry, study, syntheses, by_session, sessions, participants) -> None:
    number = entry["session"]
    round_ = ValidationRound(
        study_id=study.id,
        synthesis=syntheses[number],
        title=entry["title"],
        attributed=entry.get("attributed", True),
        expires_at=utcnow() + timedelta(days=entry.get("days", 30)),
    )
    statements = [by_session[number][index - 1] for index in entry["statements"]]
    for position, statement in enumerate(statements, start=1):
        round_.items.append(
            RoundStatement(statement=statement, version=statement.versions[-1], position=position)
        )
    links = {}
    for participant in group_participants_of(sessions[number], participants):
        links[participant.pseudonym] = ValidationLink(
            participant=participant, nonce=secrets.token_urlsafe(24)
        )
        round_.links.append(links[participant.pseudonym])
    db.session.add(round_)
    db.session.flush()
    for answer in entry.get("answers", []):
        statement = by_session[number][answer["statement"] - 1]
        db.session.add(
            StatementAnswer(
                link=links[answer["participant"]],
                statement=statement,
                version_id=statement.versions[-1].id,
                verdict=Verdict(answer["verdict"]),
                comment=answer.get("comment", ""),
            )
        )
    for decision in entry.get("quote_decisions", []):
        passage, _start = _find_passage(
            sessions[number], decision["phase"], decision["participant"], decision["quote"]
        )
        db.session.add(
            QuoteDecision(
                link=links[decision["participant"]],
                passage=passage,
                choice=QuoteChoice(decision["choice"]),
                rephrasing=decision.get("rephrasing", ""),
            )
        )


def group_participants_of(group_session, participants) -> list[Participant]:
    """Return the participants who speak in a demo session, by pseudonym."""
    speakers = {p.participant_id for p in group_session.passages if p.participant_id}
    return sorted((p for p in participants.values() if p.id in speakers), key=lambda p: p.pseudonym)


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
    passages = add_passages(
        group_session,
        turns,
        participants=participants,
        facilitators=set(spec["facilitators"]),
        source=path.name,
    )
    # The session's group: its speakers, in order of first turn (the seating is unknown).
    members = (p.participant for p in passages if p.participant is not None)
    group_session.seating = list(dict.fromkeys(member.id for member in members))
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
