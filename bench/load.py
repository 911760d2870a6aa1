"""Load benchmark: the production stack under a mixed workload, then a check of every write.

One command sets up its own study, starts the stack, loads it, stops it and checks:

    .venv/bin/python bench/load.py --database postgres --users 50 --participants 100 --duration 60
    .venv/bin/python bench/load.py --database sqlite --users 20 --participants 40 --duration 30

1. Data: a fresh database (SQLite in a temporary folder, or the PostgreSQL database
   `magwb_load` or --pg-database, dropped and created again, schema by `flask db upgrade`),
   with staff users
   (facilitators and researchers), a study of four sessions, a validation round of three
   statements and one personal link per participant; all made through the app's services.
2. The stack as docs/deploy.md runs it: gunicorn with gunicorn.conf.py on 127.0.0.1 and, for
   PostgreSQL, Redis (database 12 by default, emptied first) and one RQ worker.
3. Load, bounded by --duration: each staff user logs in, then loops over the session page,
   the coding view, passage fragments, search and the coding API (create, and half the time
   delete); each participant opens their personal link and answers the round again and
   again. Think time between requests: --think seconds on average.
4. Worker kill (PostgreSQL): a facilitator starts a study-wide suggestion job; once it runs,
   the RQ worker and its work horse get SIGKILL; a new worker notices the abandoned job, RQ
   retries it by itself and it must finish with every suggestion stored once.
5. Check: every acknowledged coding is stored once with its span, every acknowledged delete
   is gone, each has its audit event; each participant's answers are stored once per
   statement with their last acknowledged verdict.

Rate limits stay on but are raised for the run (every virtual user comes from 127.0.0.1).
Output: requests/s and p50/p95/p99 per endpoint, errors, the checks, the load average, and
the CPU seconds per response of each process group (gunicorn, PostgreSQL backends of this
database, redis-server, the RQ worker, this client) with the machine's other work in the
same window (CpuMeter): on a shared machine the latencies measure the queue for a core,
the CPU per response does not. The virtual users speak HTTP/1.1 through LightClient
(httpx's asyncio client cost about 8 ms of CPU per request on the same cores as the stack;
`--client httpx` brings it back). Only 127.0.0.1 is contacted; every loop ends at the
deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from json import dumps, loads
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test-password-42"  # noqa: S105 (a throwaway database)
SECRET = "load-benchmark-secret-key-not-for-production"  # noqa: S105
WORDS = [
    "le",
    "guichet",
    "de",
    "la",
    "commune",
    "est",
    "fermé",
    "et",
    "on",
    "nous",
    "envoie",
    "au",
    "CPAS",
    "pour",
    "la",
    "déclaration",
    "d'impôts",
    "elle",
    "n'avait",
    "plus",
    "de",
    "code",
    "PIN",
    "pour",
    "itsme",
    "ni",
    "de",
    "lecteur",
    "de",
    "carte",
    "eID",
    "la",
    "banque",
    "demande",
    "un",
    "rendez-vous",
    "en",
    "ligne",
    "mais",
    "la",
    "dame",
    "n'a",
    "pas",
    "de",
    "smartphone",
]
SEARCHES = ("guichet", "itsme", "banque", "smartphone", "rendez-vous", "CPAS")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERDICT = re.compile(r'name="verdict-(\d+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--users", type=int, default=50, help="staff users (default 50)")
    parser.add_argument("--participants", type=int, default=100, help="default 100")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause, seconds")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="seconds over which the virtual users start, evenly (default 0: all at once)",
    )
    parser.add_argument("--passages", type=int, default=150, help="passages per session")
    parser.add_argument("--workers", help="gunicorn worker processes (WEB_CONCURRENCY)")
    parser.add_argument("--threads", help="threads per worker (MAGWB_THREADS)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--pg-database", default="magwb_load", help="dropped and made again (default magwb_load)"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-worker-kill", action="store_true")
    parser.add_argument(
        "--client",
        choices=("light", "httpx"),
        default="light",
        help="the virtual users' HTTP client (default light: see LightClient)",
    )
    return parser.parse_args()


# --- the stack --------------------------------------------------------------------------


def stack_env(args, database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "MAGWB_LOAD_DEMO": "0",
        "MAGWB_BIND": f"127.0.0.1:{args.port}",
        "MAGWB_ACCESS_LOG": "",
        "MAGWB_LOGIN_RATE_LIMIT": "100000 per minute",
        "MAGWB_VALIDATION_RATE_LIMIT": "100000 per minute",
    }
    if args.database == "postgres":
        env["REDIS_URL"] = args.redis_url
    if args.workers:
        env["WEB_CONCURRENCY"] = args.workers
    if args.threads:
        env["MAGWB_THREADS"] = args.threads
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 (our own commands)
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(
                int(stat.parent.name)
            )
        except (OSError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents[todo.pop()]:
            found.append(child)
            todo.append(child)
    return found


def worker_argv(args, *extra: str) -> list[str]:
    """The worker unit's command of docs/deploy.md."""
    return [
        str(ROOT / ".venv" / "bin" / "rq"),
        "worker",
        "magwb",
        "--url",
        args.redis_url,
        "--job-monitoring-interval",
        "10",
        *extra,
    ]


# --- CPU by process ---------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[str, int, float, float, int] | None:
    """(name, parent, own CPU s, reaped children's CPU s, start tick) of a process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state) of proc(5): ppid 4, utime 14, stime 15, cutime 16,
    # cstime 17, starttime 22.
    own = (int(fields[11]) + int(fields[12])) / TICK
    children = (int(fields[13]) + int(fields[14])) / TICK
    return name, int(fields[1]), own, children, int(fields[19])


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all processes, every core), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


class CpuMeter:
    """CPU seconds spent by each part of the stack while the load runs, from /proc.

    Every `interval` seconds each process of a group is read (utime + stime, its own); a
    process's CPU in the window is its last reading less its first (0 when born after the
    start). A process that ends between two readings loses at most `interval` of CPU; the
    RQ worker killed on purpose is read just before the kill. Groups: the gunicorn master
    and its workers; the RQ worker(s) and their work horses; the PostgreSQL backends
    connected to this run's database (named in their command line); redis-server (one
    server, shared with anyone else using it: other databases' commands count too); the
    load client (this process, every thread). Everything else busy on the machine is
    "other" (other people's work, the kernel, PostgreSQL's shared background processes).
    """

    def __init__(self, database: str, roots: dict[str, list], interval: float = 0.5) -> None:
        self.database = database
        self.roots = roots  # group -> callables giving root pids (processes may be replaced)
        self.interval = interval
        self.first: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], tuple[str, float]] = {}
        self.began = self.ended = 0.0
        self.busy = 0.0
        self.own = 0.0
        self._stop = None

    def _group_pids(self) -> dict[int, str]:
        found: dict[int, str] = {os.getpid(): "load client"}
        parents: dict[int, list[int]] = defaultdict(list)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            stat = proc_stat(int(entry.name))
            if stat is None:
                continue
            name, ppid = stat[0], stat[1]
            parents[ppid].append(int(entry.name))
            if name == "redis-server":
                found[int(entry.name)] = "redis-server"
            elif name == "postgres":
                try:
                    cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if f" {self.database} " in cmdline:
                    found[int(entry.name)] = "PostgreSQL backends"
        for group, roots in self.roots.items():
            todo = [pid for root in roots for pid in [root()] if pid]
            while todo:
                pid = todo.pop()
                found[pid] = group
                todo.extend(parents.get(pid, ()))
        return found

    def sample(self, *, start: bool = False) -> None:
        for pid, group in self._group_pids().items():
            stat = proc_stat(pid)
            if stat is None:
                continue
            key = (pid, stat[4])
            if start:
                self.first[key] = stat[2]
            self.last[key] = (group, stat[2])

    def start(self) -> None:
        import threading

        self._stop = threading.Event()
        self.busy = -machine_busy()
        self.began = time.monotonic()
        self.sample(start=True)

        def loop():
            began = time.thread_time()
            while not self._stop.wait(self.interval):
                self.sample()
            self.own = time.thread_time() - began

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self.ended = time.monotonic()
        self.busy += machine_busy()

    def table(self, responses: int) -> list[str]:
        spent: dict[str, float] = defaultdict(float)
        processes: Counter = Counter()
        for key, (group, cpu) in self.last.items():
            spent[group] += cpu - self.first.get(key, 0.0)
            processes[group] += 1
        spent["load client"] -= self.own  # this meter's own thread, reported apart
        wall = self.ended - self.began
        cores = os.cpu_count() or 1
        ours = sum(spent.values())
        rows = [
            f"CPU by process group while the load ran ({wall:.1f} s × {cores} cores ="
            f" {wall * cores:.0f} CPU-s; /proc, read every {self.interval:g} s, which cost"
            f" the client {self.own:.1f} CPU-s, left out of its row):",
            "",
            "| process group | processes | CPU s | ms CPU per response | share of the machine |",
            "|---|---:|---:|---:|---:|",
        ]
        order = ("gunicorn", "PostgreSQL backends", "redis-server", "RQ worker", "load client")
        for group in order:
            rows.append(
                f"| {group} | {processes[group]} | {spent[group]:.1f}"
                f" | {1000 * spent[group] / max(responses, 1):.1f}"
                f" | {spent[group] / (wall * cores):.0%} |"
            )
        rows.append(
            f"| all of the above | | {ours:.1f} | {1000 * ours / max(responses, 1):.1f}"
            f" | {ours / (wall * cores):.0%} |"
        )
        web = sorted(
            (
                cpu - self.first.get(key, 0.0)
                for key, (group, cpu) in self.last.items()
                if group == "gunicorn"
            ),
            reverse=True,
        )
        rows.insert(1, "gunicorn processes, CPU s each: " + ", ".join(f"{cpu:.1f}" for cpu in web))
        other = max(self.busy - ours, 0.0)
        rows.append(f"| other (not this run) | | {other:.1f} | | {other / (wall * cores):.0%} |")
        rows.append(
            f"| idle | | {max(wall * cores - self.busy, 0):.1f} | |"
            f" {max(wall * cores - self.busy, 0) / (wall * cores):.0%} |"
        )
        return rows


# --- data -------------------------------------------------------------------------------


def build(args, database_url: str) -> dict:
    """Create users, a study, sessions, a validation round and links; return what the load needs."""
    from app import create_app
    from app.accounts.users import create_user
    from app.models import (
        Consent,
        ConsentScope,
        GroupSession,
        Membership,
        Participant,
        Passage,
        Role,
        SpeakerKind,
        Statement,
        Theme,
        ValidationLink,
    )
    from app.models.base import utcnow
    from app.platform.config import normalise_database_url
    from app.platform.extensions import db
    from app.studies.studies import create_study
    from app.synthesis.links import link_token

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "SECRET_KEY": SECRET,
            "LOAD_DEMO": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "JOBS_MODE": "sync",
        }
    )
    rng = random.Random(16)
    with app.app_context():
        owner = create_user("owner@load.test", "Owner", password=PASSWORD)
        study = create_study("Load", "", "fr", owner_id=owner.id)
        staff = []
        for i in range(args.users):
            user = create_user(f"staff{i}@load.test", f"Staff {i}", password=PASSWORD)
            role = Role.FACILITATOR if i % 2 == 0 else Role.RESEARCHER
            db.session.add(Membership(study=study, user=user, role=role))
            staff.append(user)
        people = []
        for i in range(args.participants):
            person = Participant(study=study, pseudonym=f"P{i:03d}", pseudonym_key=f"p{i:03d}")
            person.consents.append(
                Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=utcnow().date())
            )
            people.append(person)
        sessions, passages = [], defaultdict(list)
        for number in range(1, 5):
            group_session = GroupSession(study=study, number=number, language="fr")
            sessions.append(group_session)
            for position in range(max(args.passages, args.participants)):
                text = " ".join(rng.choice(WORDS) for _ in range(40))
                passage = Passage(
                    group_session=group_session,
                    phase=1 + position % 11,
                    position=position,
                    speaker_kind=SpeakerKind.PARTICIPANT,
                    participant=people[position % len(people)],
                    text=text,
                )
                passages[number].append(passage)
        db.session.add_all([*people, *sessions])
        db.session.commit()
        themes = db.session.execute(db.select(Theme.key).filter_by(study_id=study.id)).scalars()
        ids = {
            "study": study.id,
            "staff": [u.email for u in staff],
            "sessions": {s.id: [p.id for p in passages[s.number]] for s in sessions},
            "lengths": {p.id: len(p.text) for ps in passages.values() for p in ps},
            "themes": list(themes),
        }
    client = app.test_client()
    client.post("/login", data={"email": "owner@load.test", "password": PASSWORD})
    first = next(iter(ids["sessions"]))
    statements = []
    for text in (
        "Le numérique ferme des portes.",
        "Le CPAS fait le travail.",
        "Il faut un guichet.",
    ):
        response = client.post(
            f"/studies/{ids['study']}/statements",
            data={"session_id": first, "kind": "convergence", "text": text},
        )
        assert response.status_code == 303, response.text
        statements.append(int(response.headers["Location"].rsplit("statement-", 1)[1]))
    with app.app_context():
        synthesis_id = db.session.get(Statement, statements[0]).synthesis_id
    response = client.post(
        f"/studies/{ids['study']}/syntheses/{synthesis_id}/rounds",
        data={"statements": statements, "days": "7", "attributed": "1"},
    )
    assert response.status_code == 303, response.text
    with app.app_context():
        links = db.session.execute(db.select(ValidationLink)).scalars().all()
        ids["links"] = {link.id: link_token(link) for link in links}
        db.engine.dispose()
    return ids


# --- a light HTTP client ----------------------------------------------------------------


class ClientError(Exception):
    """The connection failed, closed early or timed out (counted like httpx's errors)."""


class Response:
    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")  # the app sends UTF-8 only

    def json(self):
        return loads(self.content)


class LightClient:
    """HTTP/1.1 over one kept-alive asyncio connection, with a cookie jar; no redirects.

    The load client shares the 2 cores with the stack it measures, and httpx's asyncio
    client spends several milliseconds of CPU per request (BENCHMARKS.md, "Where the CPU
    goes"). This sends the same requests and reads every response whole (status, headers,
    body: Content-Length, chunked or until close), for 127.0.0.1 only. A connection the
    server closed while idle is opened again before the next request; a request the server
    never answered raises ClientError (a GET is tried once more on a fresh connection if a
    kept-alive one was closed under it; a write never is).
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.host_header = parts.netloc.encode()
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LightClient:
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, url, *, params=None, data=None, json=None, headers=None):
        if params:
            url = f"{url}?{urlencode(params)}"
        lines = [f"{method} {url} HTTP/1.1".encode(), b"Host: " + self.host_header]
        body = b""
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            lines.append(b"Content-Type: application/x-www-form-urlencoded")
        elif json is not None:
            body = dumps(json).encode()
            lines.append(b"Content-Type: application/json")
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(b"Content-Length: %d" % len(body))
        if self.cookies:
            lines.append(
                ("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items())).encode()
            )
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode())
        message = b"\r\n".join(lines) + b"\r\n\r\n" + body
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    return await self._exchange(message, method)
                except ClientError:
                    if method != "GET" or not self._reused:
                        raise
                    self.close()
                    return await self._exchange(message, method)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            self.close()
            raise ClientError(type(error).__name__) from error
        except TimeoutError as error:
            self.close()
            raise ClientError("Timeout") from error

    async def _exchange(self, message: bytes, method: str) -> Response:
        self._reused = self.writer is not None and not self.reader.at_eof()
        if not self._reused:
            self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(message)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            self.close()
            raise ClientError("RemoteProtocolError") from error
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._keep_cookie(value)
            headers[name] = value
        if method == "HEAD" or status in {204, 304} or 100 <= status < 200:
            content = b""
        elif "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")  # no trailers from gunicorn
            content = b"".join(chunk[:-2] for chunk in chunks)
        else:
            content = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, content)

    def _keep_cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, cookie = pair.strip().partition("=")
        gone = any(
            a.strip().lower() in {"max-age=0"}
            or a.strip().lower().startswith("expires=thu, 01 jan 1970")
            for a in attributes
        )
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = cookie


# --- load -------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        # Acknowledged coding writes by id. Counted, not assumed to live once: a database older
        # than migration 0011 reuses the id of a deleted last row on SQLite.
        self.created: dict[int, list[tuple]] = defaultdict(list)  # id -> spans, in order
        self.deleted: Counter = Counter()
        self.unacknowledged = 0
        # link -> statement -> last acknowledged verdict
        self.answers: dict[int, dict[int, str]] = {}
        self.answer_events = 0

    async def call(self, client, name: str, method: str, url: str, **kw):
        began = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except (httpx.HTTPError, ClientError) as error:
            label = str(error) if isinstance(error, ClientError) else type(error).__name__
            self.statuses[name][label] += 1
            if method != "GET":
                self.unacknowledged += 1
            return None
        self.times[name].append(time.perf_counter() - began)
        self.statuses[name][response.status_code] += 1
        return response


def http_client(args, base: str):
    """One virtual user's client: `--client light` (default) or httpx's asyncio client."""
    if args.client == "httpx":
        return httpx.AsyncClient(base_url=base, timeout=60)
    return LightClient(base, timeout=60)


async def pause(args, deadline: float) -> bool:
    await asyncio.sleep(
        min(random.uniform(0, 2 * args.think), max(0.0, deadline - time.monotonic()))
    )
    return time.monotonic() < deadline


async def staff_user(args, base, ids, email, rec: Recorder, deadline: float) -> None:
    rng = random.Random(email)
    study = ids["study"]
    async with http_client(args, base) as client:
        page = await rec.call(client, "login page", "GET", "/login")
        found = CSRF.search(page.text) if page is not None else None
        if found is None:
            return
        data = {"email": email, "password": PASSWORD, "csrf_token": found.group(1)}
        if (await rec.call(client, "login", "POST", "/login", data=data)) is None:
            return
        page = await rec.call(client, "study page", "GET", f"/studies/{study}")
        found = CSRF.search(page.text) if page is not None and page.status_code == 200 else None
        if found is None:  # the login failed (counted in its statuses): this user stops
            return
        headers = {"X-CSRFToken": found.group(1)}
        while await pause(args, deadline):
            session_id = rng.choice(list(ids["sessions"]))
            passage_id = rng.choice(ids["sessions"][session_id])
            base_url = f"/studies/{study}/sessions/{session_id}"
            roll = rng.random()
            if roll < 0.15:
                await rec.call(client, "session page", "GET", base_url)
            elif roll < 0.30:
                await rec.call(client, "coding view", "GET", f"{base_url}/code")
            elif roll < 0.55:
                await rec.call(
                    client, "passage fragment", "GET", f"{base_url}/passages/{passage_id}"
                )
            elif roll < 0.70:
                q = rng.choice(SEARCHES)
                await rec.call(
                    client, "search", "GET", f"/studies/{study}/segments", params={"q": q}
                )
            else:
                start = rng.randrange(0, ids["lengths"][passage_id] - 20)
                span = (passage_id, start, start + rng.randrange(5, 20), rng.choice(ids["themes"]))
                body = dict(zip(("passage_id", "start", "end", "theme"), span, strict=True))
                url = f"/api/studies/{study}/codings"
                made = await rec.call(
                    client, "coding API create", "POST", url, json=body, headers=headers
                )
                if made is None or made.status_code != 201:
                    continue
                coding_id = made.json()["id"]
                rec.created[coding_id].append(span)
                if rng.random() < 0.5:
                    gone = await rec.call(
                        client, "coding API delete", "DELETE", f"{url}/{coding_id}", headers=headers
                    )
                    if gone is not None and gone.status_code == 204:
                        rec.deleted[coding_id] += 1


async def participant(args, base, link_id, token, rec: Recorder, deadline: float) -> None:
    rng = random.Random(link_id)
    mine = rec.answers.setdefault(link_id, {})
    async with http_client(args, base) as client:
        while await pause(args, deadline):
            page = await rec.call(client, "participant page", "GET", f"/v/{token}")
            if page is None or page.status_code != 200:
                continue
            statements = [int(s) for s in VERDICT.findall(page.text)]
            found = CSRF.search(page.text)
            if found is None:
                continue
            if not await pause(args, deadline):
                return
            chosen = {s: rng.choice(("agree", "nuance", "disagree")) for s in set(statements)}
            data = {f"verdict-{s}": v for s, v in chosen.items()}
            data["csrf_token"] = found.group(1)
            sent = await rec.call(client, "participant answer", "POST", f"/v/{token}", data=data)
            if sent is not None and sent.status_code < 400:
                rec.answer_events += sum(1 for s, v in chosen.items() if mine.get(s) != v)
                mine.update(chosen)


async def run_load(args, base, ids, rec: Recorder) -> float:
    """Run every virtual user until the deadline; with --ramp, they start one after another.

    Without a ramp the 50 staff users log in within the same few milliseconds, a burst of
    Argon2 verifications that a workshop whose members arrive over some seconds does not
    make; `--ramp` spreads the starts evenly (staff and participants interleaved) over that
    many seconds of the run. The deadline stays the same, so requests/s counts the ramp.
    """
    deadline = time.monotonic() + args.duration
    began = time.monotonic()
    users = [staff_user(args, base, ids, email, rec, deadline) for email in ids["staff"]]
    users += [participant(args, base, lid, tok, rec, deadline) for lid, tok in ids["links"].items()]
    order = random.Random(0).sample(users, len(users))

    async def later(user, delay: float):
        await asyncio.sleep(delay)
        await user

    step = args.ramp / len(order) if order else 0.0
    await asyncio.gather(*(later(user, i * step) for i, user in enumerate(order)))
    return time.monotonic() - began


# --- worker kill ------------------------------------------------------------------------


def worker_kill(args, base, ids, env, logs: Path, holder: dict) -> dict:
    """Start a suggestion job, SIGKILL the worker while it runs, let a new worker finish it."""

    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/login")
        client.post(
            "/login",
            data={
                "email": "owner@load.test",
                "password": PASSWORD,
                "csrf_token": CSRF.search(page.text).group(1),
            },
        )
        token = CSRF.search(client.get(f"/studies/{ids['study']}").text).group(1)
        started = client.post(
            f"/studies/{ids['study']}/analysis/suggest", data={"csrf_token": token}
        )
        job_url = started.headers["Location"]

        def status():
            return client.get(job_url, headers={"Accept": "application/json"}).json()["status"]  # noqa: E731

        deadline = time.monotonic() + 120
        while status() == "queued" and time.monotonic() < deadline:
            time.sleep(0.1)
        if status() != "running":
            return {"job": job_url, "outcome": f"not killed: the job was {status()} first"}
        first = holder["worker"]
        if "meter" in holder:  # its CPU so far, which the kill would take out of view
            holder["meter"].sample()
        for pid in [first.pid, *descendants(first.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        # No operator step: the new worker's registry clean-up finds the abandoned job once its
        # heartbeat expires and RQ retries it (app/jobs/queue.py enqueues with Retry).
        holder["worker"] = start(
            worker_argv(args, "--maintenance-interval", "1", "--worker-ttl", "16"),
            env,
            logs / "worker-2.log",
        )
        while status() not in {"done", "failed"} and time.monotonic() < killed_at + 400:
            time.sleep(0.5)
        return {
            "job": int(job_url.rstrip("/").rsplit("/", 1)[1]),
            "outcome": status(),
            "recovered after s": round(time.monotonic() - killed_at, 1),
        }


# --- checks -----------------------------------------------------------------------------


def verify(database_url: str, rec: Recorder, kill: dict | None) -> list[str]:
    from app import create_app
    from app.models import AuditEvent, Coding, Job, StatementAnswer, Suggestion
    from app.platform.config import normalise_database_url
    from app.platform.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
            "SECRET_KEY": SECRET,
            "LOAD_DEMO": False,
        }
    )
    lines = []
    with app.app_context():
        stored = {
            c.id: (c.passage_id, c.start_offset, c.end_offset, c.theme.key)
            for c in db.session.execute(db.select(Coding)).scalars()
        }
        creates = sum(len(spans) for spans in rec.created.values())
        deletes = sum(rec.deleted.values())
        # Present iff created once more than deleted, with the span of its last creation.
        kept = {
            cid: spans[-1] for cid, spans in rec.created.items() if len(spans) > rec.deleted[cid]
        }
        wrong = [cid for cid, span in kept.items() if stored.get(cid) != span]
        resurrected = [cid for cid in rec.created if cid not in kept and cid in stored]
        extra = set(stored) - set(kept)
        reused = sum(1 for spans in rec.created.values() if len(spans) > 1)
        lines.append(
            f"codings: {creates} acknowledged creates, {deletes} acknowledged deletes"
            f" ({reused} ids given again after a delete); missing or changed {len(wrong)},"
            f" deleted but present {len(resurrected)}, stored without acknowledgement"
            f" {len(extra)} (unacknowledged writes: {rec.unacknowledged})"
        )
        events = Counter(
            (action, object_id)
            for action, object_id in db.session.execute(
                db.select(AuditEvent.action, AuditEvent.object_id).where(
                    AuditEvent.action.in_(["coding.create", "coding.delete", "validation.answer"])
                )
            )
        )
        no_create = [c for c, s in rec.created.items() if events[("coding.create", c)] != len(s)]
        no_delete = [c for c, n in rec.deleted.items() if events[("coding.delete", c)] != n]
        answers = db.session.execute(
            db.select(
                StatementAnswer.link_id, StatementAnswer.statement_id, StatementAnswer.verdict
            )
        ).all()
        duplicates = [
            k for k, n in Counter((a.link_id, a.statement_id) for a in answers).items() if n > 1
        ]
        latest = {(a.link_id, a.statement_id): a.verdict.value for a in answers}
        expected = {(lid, sid): v for lid, m in rec.answers.items() for sid, v in m.items()}
        mismatched = [k for k, v in expected.items() if latest.get(k) != v]
        answer_events = sum(n for (action, _), n in events.items() if action == "validation.answer")
        lines.append(
            f"audit: coding.create events missing or doubled {len(no_create)}, coding.delete"
            f" {len(no_delete)}; validation.answer events {answer_events} for"
            f" {rec.answer_events} acknowledged changes"
        )
        lines.append(
            f"validation answers: {len(answers)} stored, {len(expected)} acknowledged;"
            f" duplicates {len(duplicates)}, not the last acknowledged verdict {len(mismatched)}"
        )
        if kill and isinstance(kill.get("job"), int):
            job = db.session.get(Job, kill["job"])
            rows = db.session.execute(
                db.select(Suggestion.passage_id, Suggestion.theme_id).filter_by(job_id=job.id)
            ).all()
            doubled = sum(1 for n in Counter(rows).values() if n > 1)
            audited = db.session.execute(
                db.select(AuditEvent.id).filter_by(action="analysis.suggest", object_id=job.id)
            ).all()
            lines.append(
                f"worker kill: job {job.id} {job.status.value} after the kill"
                f" ({kill.get('recovered after s')} s); suggestions {len(rows)}"
                f" (the job says {(job.result or {}).get('suggestions')}), duplicated {doubled},"
                f" audit events {len(audited)}"
            )
        elif kill:
            lines.append(f"worker kill: {kill['outcome']}")
        db.engine.dispose()
    return lines


# --- main -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def report(args, rec: Recorder, elapsed, load_before, load_after, checks, meter) -> None:
    total = sum(len(v) for v in rec.times.values())
    print(
        f"bench/load.py --database {args.database} --users {args.users} --participants"
        f" {args.participants} --duration {args.duration:g} --think {args.think:g}"
        + (f" --ramp {args.ramp:g}" if args.ramp else "")
    )
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()},"
        f" {os.cpu_count()} cores, Python {platform.python_version()};"
        f" gunicorn workers={os.environ.get('WEB_CONCURRENCY') or args.workers or 'config'}"
        f" threads={args.threads or 'config'}"
    )
    print(f"load average before {load_before}, after {load_after}")
    print(f"{total} responses in {elapsed:.1f} s: {total / elapsed:.1f} requests/s\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name in sorted(rec.statuses):
        times = rec.times.get(name) or [0.0]
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(rec.statuses[name].items(), key=str))
        count = len(rec.times.get(name, []))
        print(
            f"| {name} | {count} | {count / elapsed:.1f}"
            f" | {percentile(times, 0.5):.0f} | {percentile(times, 0.95):.0f}"
            f" | {percentile(times, 0.99):.0f} | {statuses} |"
        )
    print()
    for line in checks:
        print(f"- {line}")
    print()
    for line in meter.table(total):
        print(line)


def main() -> None:
    args = parse_args()
    logs = Path(tempfile.mkdtemp(prefix="magwb-load-"))
    if args.database == "sqlite":
        database_url = f"sqlite:///{logs / 'load.sqlite3'}"
    else:
        import psycopg
        from redis import Redis

        with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as connection:
            name = args.pg_database.replace('"', '""')
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        database_url = f"{args.pg_server}/{args.pg_database}"
        Redis.from_url(args.redis_url).flushdb()
    env = stack_env(args, database_url)
    if args.database == "postgres":
        subprocess.run(  # noqa: S603
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    ids = build(args, database_url)
    base = f"http://127.0.0.1:{args.port}"
    web = start(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py"],
        env,
        logs / "gunicorn.log",
    )
    holder = {}
    if args.database == "postgres":
        holder["worker"] = start(worker_argv(args), env, logs / "worker-1.log")
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/login", timeout=5).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        rec = Recorder()
        roots = {"gunicorn": [lambda: web.pid]}
        if "worker" in holder:
            roots["RQ worker"] = [lambda: holder["worker"].pid]
        database_name = args.pg_database if args.database == "postgres" else "-"
        meter = holder["meter"] = CpuMeter(database_name, roots)
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        meter.start()
        kill_task = None

        async def everything():
            nonlocal kill_task
            if args.database == "postgres" and not args.no_worker_kill:
                kill_task = asyncio.get_running_loop().run_in_executor(
                    None, worker_kill, args, base, ids, env, logs, holder
                )
            try:
                return await run_load(args, base, ids, rec)
            finally:
                meter.stop()  # the window of the load, not of the worker kill's recovery

        elapsed = asyncio.run(everything())
        load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        kill = kill_task.result() if kill_task is not None else None
    finally:
        stop(web)
        if "worker" in holder:
            stop(holder["worker"])
    report(args, rec, elapsed, load_before, load_after, verify(database_url, rec, kill), meter)
    print(f"\n(logs in {logs})")


if __name__ == "__main__":
    main()
