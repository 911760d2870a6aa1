"""Measure the Word report of a large study (target: under 10 s).

Builds, in a throwaway SQLite database (or DATABASE_URL if given), a synthetic
deterministic study: 20 sessions of 66 passages (about 60 words each), 24
participants with positions and organisation types, 8 themes (4 nested), 2,000
codings by two coders, a chosen narrative per session, and per session a
synthesis of 6 statements linked to themes with a validation round. Then times
`build_report` (language en) three times and prints the figures.

Run: .venv/bin/python bench/report_docx.py
"""

from __future__ import annotations

import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.exchange.reports import build_report  # noqa: E402
from app.models import (  # noqa: E402
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Narrative,
    Participant,
    Passage,
    ProposalLevel,
    RoundStatement,
    SpeakerKind,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementVersion,
    Synthesis,
    Theme,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.models.base import utcnow  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402

TEXT = (
    "de maatschappelijk werker helpt een mevrouw met haar eBox en itsme omdat het loket "
    "gesloten is en zij geen computer heeft le CPAS demande un rendez-vous en ligne mais "
    "la dame n'a pas de smartphone ni de lecteur de carte eID et elle dépend de sa fille"
)
WORDS = TEXT.split(" ")
ROLES = [
    ("assistante sociale", "CPAS"),
    ("maatschappelijk werker", "OCMW"),
    ("animateur multimédia", "EPN"),
    ("vrijwilliger", "digitaal hulppunt"),
    ("médiatrice de dettes", "service de médiation de dettes"),
    ("onthaalmedewerker", "CAW"),
]
KINDS = [
    StatementKind.CONVERGENCE,
    StatementKind.DIVERGENCE,
    StatementKind.TENSION,
    StatementKind.HYPOTHESIS,
    StatementKind.PROPOSAL,
    StatementKind.PROPOSAL,
]
SESSIONS, PASSAGES_PER_SESSION, CODINGS = 20, 66, 2000


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build(app) -> int:
    """Create the synthetic study; return its id."""
    rng = random.Random(2026)
    with app.app_context():
        coders = [create_user(f"coder{i}@example.org", f"Coder {i}", password=None) for i in (1, 2)]
        study = create_study("Bench report study", "", "fr", owner_id=coders[0].id)
        db.session.flush()
        themes = list(db.session.execute(db.select(Theme).filter_by(study_id=study.id)).scalars())
        for n, parent in enumerate(list(themes)):
            child = Theme(
                study=study,
                key=f"{parent.key}_detail",
                label_nl=f"{parent.label_nl} (detail)",
                label_fr=f"{parent.label_fr} (détail)",
                label_en=f"{parent.label_en} (detail)",
                definition_en="A nested theme for the benchmark.",
                parent=parent,
                position=10 + n,
            )
            themes.append(child)
        db.session.add_all(themes)
        people = []
        for i in range(24):
            position, organisation = ROLES[i % len(ROLES)]
            person = Participant(
                study=study,
                pseudonym=f"P{i:02d}",
                pseudonym_key=f"p{i:02d}",
                attributes={"position": position, "organisation_type": organisation},
            )
            if i % 8:  # every eighth participant never consented to quotation
                person.consents.append(
                    Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 5))
                )
            people.append(person)
        db.session.add_all(people)
        passages, sessions = [], []
        for number in range(1, SESSIONS + 1):
            session = GroupSession(
                study=study,
                number=number,
                title=f"Session on case {number}",
                held_on=date(2026, 1, 10) + timedelta(days=7 * number),
                language="fr" if number % 2 else "nl",
                seating=[],
            )
            sessions.append(session)
            speakers = people[(number % 2) * 12 : (number % 2) * 12 + 12]
            for i in range(PASSAGES_PER_SESSION):
                passages.append(
                    Passage(
                        group_session=session,
                        phase=1 + i // 6,
                        position=i,
                        speaker_kind=SpeakerKind.PARTICIPANT,
                        participant=speakers[i % 12],
                        text=_sentence(rng, rng.randrange(30, 90)),
                    )
                )
            db.session.add(
                Narrative(
                    group_session=session,
                    proposer=speakers[0],
                    narrator=speakers[0],
                    title=f"The story of case {number}",
                    is_chosen=True,
                )
            )
        db.session.add_all(sessions + passages)
        db.session.flush()
        for passage in rng.sample(passages, 20):
            passage.quote_withdrawn_at = utcnow()
        codings = []
        for _ in range(CODINGS):
            passage = rng.choice(passages)
            start = rng.randrange(0, len(passage.text) // 2)
            end = min(len(passage.text), start + rng.randrange(20, 300))
            codings.append(
                Coding(
                    passage=passage,
                    theme=rng.choice(themes),
                    coder=rng.choice(coders),
                    start_offset=start,
                    end_offset=end,
                )
            )
        db.session.add_all(codings)
        db.session.flush()
        for session in sessions:
            _synthesis(rng, study, session, themes, people)
        db.session.commit()
        return study.id


def _synthesis(rng, study, session, themes, people) -> None:
    synthesis = Synthesis(study=study, group_session=session)
    statements = []
    for position, kind in enumerate(KINDS):
        statement = Statement(
            synthesis=synthesis,
            kind=kind,
            position=position,
            level=rng.choice(list(ProposalLevel)) if kind == StatementKind.PROPOSAL else None,
        )
        statement.themes.append(rng.choice(themes))
        statement.versions.append(
            StatementVersion(
                number=1,
                text=_sentence(rng, 40),
                positions=_sentence(rng, 15) if kind == StatementKind.DIVERGENCE else "",
            )
        )
        statements.append(statement)
    db.session.add(synthesis)
    db.session.flush()
    round_ = ValidationRound(
        study_id=study.id, synthesis=synthesis, expires_at=utcnow() + timedelta(days=30)
    )
    for position, statement in enumerate(statements[:2]):
        round_.items.append(
            RoundStatement(statement=statement, version=statement.versions[-1], position=position)
        )
    link = ValidationLink(participant=people[session.number % 24], nonce=f"bench-{session.number}")
    round_.links.append(link)
    db.session.add(round_)
    db.session.flush()
    for statement, verdict in zip(statements[:2], (Verdict.AGREE, Verdict.DISAGREE), strict=True):
        db.session.add(
            StatementAnswer(
                link=link,
                statement=statement,
                version_id=statement.versions[-1].id,
                verdict=verdict,
                comment=_sentence(rng, 12) if verdict == Verdict.DISAGREE else "",
            )
        )


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="magwb-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOAD_DEMO": False, "SECRET_KEY": "bench"})
    from app.platform.database import upgrade_schema

    upgrade_schema(app)
    study_id = build(app)
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, database {url.split(':')[0]}"
    )
    print(
        f"study: {SESSIONS} sessions, {SESSIONS * PASSAGES_PER_SESSION} passages, "
        f"{CODINGS} codings, 8 themes (4 nested), {SESSIONS * len(KINDS)} statements"
    )
    samples, cpu = [], []
    with app.app_context():
        for _ in range(3):
            start, start_cpu = time.perf_counter(), time.process_time()
            content = build_report(study_id, language="en")
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            db.session.rollback()  # drop the audit event: each run starts from the same state
    document = docx.Document(io.BytesIO(content))
    quotes = sum(p.style.name == "Quote" for p in document.paragraphs)
    print(
        f"report: {len(content) // 1024} KiB, {len(document.paragraphs)} paragraphs, "
        f"{len(document.tables)} tables, {len(document.inline_shapes)} images, {quotes} quotes"
    )
    print(
        "build_report: "
        + ", ".join(f"{s:.2f} s" for s in samples)
        + f" (median {statistics.median(samples):.2f} s; target < 10 s)"
    )
    # CPU time says what the report costs when other processes share the machine.
    print("build_report CPU time: " + ", ".join(f"{s:.2f} s" for s in cpu))
    print(f"load average during the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
