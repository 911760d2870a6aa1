"""Measure the fixed cost of a request: time and SQL statements per endpoint.

Builds, in a throwaway SQLite database (or DATABASE_URL if given: an empty
database, which the script migrates and, on PostgreSQL, analyses once loaded), a study
with one session of 200 passages and 300 codings, logs in with the production settings
(CSRF on, rate limits on, translations not strict), then sends each kind of request
through the WSGI app in-process (server time: no network, no gunicorn):

- the login page (anonymous), the study list, a study, a session overview, the
  coding view, one passage fragment (the coding view's script), the coded
  segments page;
- the JSON API: list a passage's codings (cookie, and bearer token), create a
  coding then delete it (cookie with the X-CSRFToken header, as the coding
  view's script does);
- a participant (no account, own cookie) opening their personal validation link and
  sending their answers (the page's form: a verdict per statement and its CSRF token;
  each answer changes every verdict, so every request writes). The round, of three
  statements with one link per participant, is made as bench/load.py makes it: the
  owner's forms. The per-link limit (60 per minute) is raised for the run, so the
  limiter still runs but never refuses;
- the same on a round with quotes (`participant_page_quotes`, `participant_answer_quotes`),
  measured last so the other endpoints see the same data as before: five statements of
  the session's synthesis, each linked (through the owner's form) to five passages: one of
  the participant's own (three own passages, so two are quoted under two statements), one
  of another participant, one coding of another participant, one of a participant without
  quotation consent (not shown) and one of a facilitator. The answer re-sends the page's
  choices for the participant's own quotes ("keep") with changed verdicts.

For each endpoint it reports the median and p90 time over REPEAT requests after a
warm-up, the median CPU time of this process (less disturbed than wall time on a
shared machine; it leaves out waiting for the disk), and the SQL statements the
request sent (counted with SQLAlchemy's `before_cursor_execute` event, BEGIN and
COMMIT included where the driver sends them; the second connection of an audit write
too). On a local PostgreSQL it also reports the backends' CPU per request (the
database's backend processes, /proc/<pid>/schedstat, summed over the REPEAT requests).
`--profile NAME` prints the cProfile top functions of REPEAT requests to that endpoint.

Run: .venv/bin/python bench/request_cost.py [--repeat 60] [--profile api_list] [--only participant]
     .venv/bin/python bench/request_cost.py --profile participant_answer --sql participant_answer
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.tokens import create_token  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.models import (  # noqa: E402
    Coding,
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Statement,
    Theme,
    ValidationLink,
)
from app.models.base import utcnow  # noqa: E402
from app.platform.config import normalise_database_url  # noqa: E402
from app.platform.database import upgrade_schema  # noqa: E402
from app.platform.extensions import db  # noqa: E402
from app.studies.studies import create_study  # noqa: E402
from app.synthesis.links import link_token  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105 (a throwaway account)
TEXT = (
    "de maatschappelijk werker helpt een mevrouw met haar eBox en itsme omdat het loket "
    "gesloten is le CPAS demande un rendez-vous en ligne mais la dame n'a pas de smartphone"
)
WORDS = TEXT.split(" ")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERDICT = re.compile(r'name="verdict-(\d+)"')
QUOTE = re.compile(r'name="quote-(\d+)"')
VERDICTS = ("agree", "nuance", "disagree")


def build(app) -> dict:
    """Create the user, study, session, passages, codings and an API token; return ids."""
    rng = random.Random(16)
    with app.app_context():
        user = create_user("cost@example.org", "Cost", password=PASSWORD)
        study = create_study("Cost", "", "nl", owner_id=user.id)
        group_session = GroupSession(study=study, number=1, language="nl")
        people = [
            Participant(study=study, pseudonym=f"P{i}", pseudonym_key=f"p{i}") for i in range(10)
        ]
        for person in people:
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
            )
        db.session.add_all([group_session, *people])
        passages = [
            Passage(
                group_session=group_session,
                phase=1 + i % 11,
                position=i,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=people[i % 10],
                text=" ".join(rng.choice(WORDS) for _ in range(40)),
            )
            for i in range(200)
        ]
        db.session.add_all(passages)
        db.session.flush()
        themes = db.session.execute(db.select(Theme).filter_by(study_id=study.id)).scalars().all()
        for _ in range(300):
            passage = rng.choice(passages)
            start = rng.randrange(0, len(passage.text) - 30)
            db.session.add(
                Coding(
                    passage=passage,
                    theme=rng.choice(themes),
                    coder_id=user.id,
                    start_offset=start,
                    end_offset=start + rng.randrange(5, 30),
                )
            )
        _record, token = create_token(user.id, "bench")
        db.session.commit()
        return {
            "study": study.id,
            "session": group_session.id,
            "passage": passages[0].id,
            "theme": themes[0].key,
            "token": token,
        }


def log_in(client) -> str:
    """Log the client in through the login form; return a CSRF token of the session."""
    page = client.get("/login").get_data(as_text=True)
    csrf = CSRF.search(page).group(1)
    response = client.post(
        "/login", data={"email": "cost@example.org", "password": PASSWORD, "csrf_token": csrf}
    )
    assert response.status_code == 302, response.status_code
    # Logging in starts a new session, and with it a new CSRF token.
    page = client.get("/studies/").get_data(as_text=True)
    return CSRF.search(page).group(1)


def open_round(app, client, ids: dict, csrf: str) -> str:
    """Write three statements and open a round on them, as bench/load.py does; return a link."""
    statements = []
    for text in (
        "Le numérique ferme des portes.",
        "Le CPAS fait le travail.",
        "Il faut un guichet.",
    ):
        response = client.post(
            f"/studies/{ids['study']}/statements",
            data={
                "session_id": ids["session"],
                "kind": "convergence",
                "text": text,
                "csrf_token": csrf,
            },
        )
        assert response.status_code == 303, response.status_code
        statements.append(int(response.headers["Location"].rsplit("statement-", 1)[1]))
    with app.app_context():
        synthesis_id = db.session.get(Statement, statements[0]).synthesis_id
    response = client.post(
        f"/studies/{ids['study']}/syntheses/{synthesis_id}/rounds",
        data={"statements": statements, "days": "7", "attributed": "1", "csrf_token": csrf},
    )
    assert response.status_code == 303, response.status_code
    with app.app_context():
        link = db.session.execute(db.select(ValidationLink).limit(1)).scalar_one()
        return link_token(link)


def open_quoted_round(app, client, ids: dict, csrf: str) -> str:
    """Open a round of five statements, each quoting five passages; return P0's link token."""
    with app.app_context():
        session_id = ids["session"]
        silent = Participant(study_id=ids["study"], pseudonym="Q", pseudonym_key="q")
        db.session.add(silent)  # no quotation consent: their words are never shown
        extra = [
            Passage(
                group_session_id=session_id,
                phase=5,
                position=300 + i,
                speaker_kind=kind,
                participant=silent if kind == SpeakerKind.PARTICIPANT else None,
                speaker_label="" if kind == SpeakerKind.PARTICIPANT else "Animatrice",
                text=TEXT,
            )
            for i, kind in enumerate((SpeakerKind.PARTICIPANT, SpeakerKind.FACILITATOR))
        ]
        db.session.add_all(extra)
        db.session.commit()
        no_consent, facilitator = (p.id for p in extra)
        by_speaker: dict[str, list[int]] = {}
        for passage_id, pseudonym in db.session.execute(
            db.select(Passage.id, Participant.pseudonym)
            .join(Participant)
            .where(Passage.group_session_id == session_id)
            .order_by(Passage.id)
        ):
            by_speaker.setdefault(pseudonym, []).append(passage_id)
        codings = db.session.execute(
            db.select(Coding.id)
            .join(Passage)
            .join(Participant)
            .where(Passage.group_session_id == session_id, Participant.pseudonym == "P5")
            .order_by(Coding.id)
        ).scalars()
        coding_ids = list(codings)
    statements = []
    for i in range(5):
        response = client.post(
            f"/studies/{ids['study']}/statements",
            data={
                "session_id": ids["session"],
                "kind": "divergence" if i % 2 else "convergence",
                "text": f"{TEXT} ({i})",
                "positions": "CPAS: oui; OCMW: non" if i % 2 else "",
                "csrf_token": csrf,
            },
        )
        assert response.status_code == 303, response.status_code
        statement_id = int(response.headers["Location"].rsplit("statement-", 1)[1])
        statements.append(statement_id)
        quoted = [
            {"passage_id": by_speaker["P0"][i % 3]},
            {"passage_id": by_speaker[f"P{1 + i}"][0]},
            {"coding_id": coding_ids[i]},
            {"passage_id": no_consent},
            {"passage_id": facilitator},
        ]
        for data in quoted:
            response = client.post(
                f"/studies/{ids['study']}/statements/{statement_id}/links",
                data={**data, "csrf_token": csrf},
            )
            assert response.status_code == 303, response.status_code
    with app.app_context():
        synthesis_id = db.session.get(Statement, statements[0]).synthesis_id
    response = client.post(
        f"/studies/{ids['study']}/syntheses/{synthesis_id}/rounds",
        data={"statements": statements, "days": "7", "attributed": "1", "csrf_token": csrf},
    )
    assert response.status_code == 303, response.status_code
    round_id = int(response.headers["Location"].split("/rounds/")[1].split("/")[0])
    with app.app_context():
        link = db.session.execute(
            db.select(ValidationLink)
            .join(Participant)
            .where(ValidationLink.round_id == round_id, Participant.pseudonym == "P0")
        ).scalar_one()
        return link_token(link)


def participant_form(client, token: str) -> tuple[str, list[int], list[int]]:
    """Open the link as the participant; return the page's CSRF token, statement and quote ids."""
    page = client.get(f"/v/{token}").get_data(as_text=True)
    return (
        CSRF.search(page).group(1),
        sorted({int(s) for s in VERDICT.findall(page)}),
        sorted({int(p) for p in QUOTE.findall(page)}),
    )


def participant_endpoints(suffix: str, token: str, csrf: str, statements, quotes) -> dict:
    """The personal link's page and an answer (changed verdicts, the page's quote choices)."""
    answers = iter(range(10**9))

    def answer(client):
        turn = next(answers)  # every verdict differs from the one stored: a real write
        data = {f"verdict-{s}": VERDICTS[(turn + i) % 3] for i, s in enumerate(statements)}
        data |= {f"quote-{p}": "keep" for p in quotes}
        response = client.post(f"/v/{token}", data={**data, "csrf_token": csrf})
        assert response.status_code == 303, response.status_code

    def page(client):
        response = client.get(f"/v/{token}")
        assert response.status_code == 200, response.status_code

    return {
        f"participant_page{suffix}": ("participant", page),
        f"participant_answer{suffix}": ("participant", answer),
    }


def endpoints(ids: dict, csrf: str, participant: tuple) -> dict:
    """Map a name to a function(client) sending one request and checking its status."""
    study, session, passage = ids["study"], ids["session"], ids["passage"]
    api = f"/api/studies/{study}"
    bearer = {"Authorization": f"Bearer {ids['token']}"}

    def get(url, status=200, **kwargs):
        def send(client):
            response = client.get(url, **kwargs)
            assert response.status_code == status, (url, response.status_code)

        return send

    def create_and_delete(client):
        response = client.post(
            f"{api}/codings",
            json={"passage_id": passage, "start": 0, "end": 5, "theme": ids["theme"]},
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 201, response.status_code
        coding_id = response.get_json()["id"]
        response = client.delete(f"{api}/codings/{coding_id}", headers={"X-CSRFToken": csrf})
        assert response.status_code == 204, response.status_code

    return {
        "login_page": ("anonymous", get("/login")),
        "study_list": ("user", get("/studies/")),
        "study": ("user", get(f"/studies/{study}")),
        "session": ("user", get(f"/studies/{study}/sessions/{session}")),
        "coding_view": ("user", get(f"/studies/{study}/sessions/{session}/code")),
        "passage_fragment": (
            "user",
            get(f"/studies/{study}/sessions/{session}/passages/{passage}"),
        ),
        "segments": ("user", get(f"/studies/{study}/segments")),
        "api_list": ("user", get(f"{api}/codings?passage={passage}")),
        "api_list_bearer": ("script", get(f"{api}/codings?passage={passage}", headers=bearer)),
        "api_create_delete": ("user", create_and_delete),
        **participant_endpoints("", *participant),
    }


def staff_endpoints(ids: dict) -> dict:
    """Staff requests of bench/load.py's mix that `endpoints` leaves out (issue 16, staff pages).

    The load's "search" is the coded-segment page with search words (one of its words).
    """
    study = ids["study"]

    def search(client):
        response = client.get(f"/studies/{study}/segments", query_string={"q": "smartphone"})
        assert response.status_code == 200, response.status_code

    return {"search": ("user", search)}


class StatementCounter:
    """Count the SQL statements an engine sends while `counting` is on."""

    def __init__(self, engine) -> None:
        self.count, self.counting, self.statements = 0, False, []
        self.begun = self.open = False
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _seen(self, connection, _cursor, statement, *_args) -> None:
        if self.begun:
            # PostgreSQL's BEGIN is implicit in the driver, sent before the transaction's
            # first statement unless the connection is in autocommit (a reading request).
            self.begun = False
            self.open = not connection.connection.dbapi_connection.autocommit
            self.count += self.counting and self.open
        self.count += self.counting
        if self.counting:
            self.statements.append(" ".join(statement.split())[:160])

    def _begin(self, connection) -> None:
        # SQLite's BEGIN is sent with exec_driver_sql (counted above).
        self.begun = connection.dialect.name != "sqlite"

    def _end(self, connection) -> None:
        # psycopg sends COMMIT or ROLLBACK only if it sent BEGIN.
        sent = connection.dialect.name == "sqlite" or self.open
        self.begun = self.open = False
        self.count += self.counting and sent


def backend_cpu_ns(database: str) -> int:
    """Return the CPU time (ns, /proc/<pid>/schedstat) of this machine's PostgreSQL backends
    connected to `database`; 0 where /proc or the backends cannot be read (SQLite, a remote
    server)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
                total += int((entry / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--profile", metavar="ENDPOINT")
    parser.add_argument("--sql", metavar="ENDPOINT", help="print the statements it sends")
    parser.add_argument("--profile-filter", nargs="*", help="pstats restrictions, e.g. limiter 20")
    parser.add_argument("--only", nargs="*", help="measure only endpoints starting with these")
    parser.add_argument("--redis", metavar="URL", help="the limiter's store (default memory://)")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="add the Python function calls per request (cProfile, 10 requests): unlike time,"
        " the same on a loaded machine",
    )
    parser.add_argument(
        "--profile-sort", default="cumulative", help="pstats order: cumulative, tottime …"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/cost.sqlite3"
        )
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench-request-cost",
                "LOAD_DEMO": False,
                "JOBS_MODE": "sync",
                # As in production with --redis (memory:// starts a timer thread per hit).
                "RATELIMIT_STORAGE_URI": args.redis or "memory://",
                "VALIDATION_RATE_LIMIT": "100000 per minute",
            }
        )
        upgrade_schema(app)
        ids = build(app)
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                # Statistics, as autovacuum gathers them soon after a load: without them the
                # planner guesses, and its plans are not those a running study gets.
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("ANALYZE")
                    connection.commit()
            counter = StatementCounter(db.engine)
            dialect = db.engine.dialect.name
            database = db.engine.url.database if dialect == "postgresql" else None
        who_all = ("anonymous", "user", "script", "participant")
        clients = {who: app.test_client() for who in who_all}
        csrf = log_in(clients["user"])
        token = open_round(app, clients["user"], ids, csrf)
        participant = (token, *participant_form(clients["participant"], token))
        rows = []

        def measure(name: str, who: str, send) -> None:
            if args.only and not any(name.startswith(prefix) for prefix in args.only):
                return
            client = clients[who]
            send(client)  # warm-up: templates compiled, catalogs loaded
            counter.count, counter.counting, counter.statements = 0, True, []
            send(client)
            counter.counting = False
            statements = counter.count
            if args.sql == name:
                print("\n".join(counter.statements))
            if args.profile == name:
                profiler = cProfile.Profile()
                profiler.enable()
            times, cpu = [], []
            backend_before = backend_cpu_ns(database) if database else 0
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                send(client)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            if args.profile == name:
                profiler.disable()
                out = io.StringIO()
                limits = [int(a) if a.isdigit() else a for a in args.profile_filter or ["45"]]
                stats = pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort)
                stats.print_stats(*limits)
                print(out.getvalue())
            backend = (backend_cpu_ns(database) - backend_before) / 1e6 if database else 0.0
            calls = None
            if args.calls:
                counter_profile = cProfile.Profile()
                counter_profile.enable()
                for _ in range(10):
                    send(client)
                counter_profile.disable()
                calls = pstats.Stats(counter_profile).total_calls // 10
            times.sort()
            rows.append(
                (
                    name,
                    statistics.median(times),
                    times[int(0.9 * len(times))],
                    statistics.median(cpu),
                    backend / args.repeat,
                    statements,
                    calls,
                )
            )

        requests = {**endpoints(ids, csrf, participant), **staff_endpoints(ids)}
        for name, (who, send) in requests.items():
            measure(name, who, send)
        # Last, so the quotes' passages and statements change no figure above.
        quoted = open_quoted_round(app, clients["user"], ids, csrf)
        form = participant_form(clients["participant"], quoted)
        for name, (who, send) in participant_endpoints("_quotes", quoted, *form).items():
            measure(name, who, send)
        with app.app_context():
            db.engine.dispose()
    load = os.getloadavg()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')} · {platform.machine()} · {os.cpu_count()} CPUs"
        f" · Python {platform.python_version()} · {dialect} · load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} · {args.repeat} requests each"
    )
    calls_head, calls_rule = (" Python calls |", "---:|") if args.calls else ("", "")
    print(
        "| endpoint | median ms | p90 ms | median CPU ms | backend CPU ms | SQL statements |"
        + calls_head
    )
    print(f"|---|---:|---:|---:|---:|---:|{calls_rule}")
    for name, median, p90, cpu, backend, statements, calls in rows:
        shown = f"{backend:.2f}" if dialect == "postgresql" else "–"
        extra = f" {calls} |" if args.calls else ""
        print(f"| {name} | {median:.1f} | {p90:.1f} | {cpu:.1f} | {shown} | {statements} |{extra}")


if __name__ == "__main__":
    main()
