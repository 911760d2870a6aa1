"""The production stack as docs/deploy.md runs it: real gunicorn, real RQ workers, real Redis.

The commands come from the guide itself: the blocks marked `<!-- tested: NAME -->` in
docs/deploy.md (the environment file, the systemd units' ExecStart lines, the upgrade and
the backup drill) are read here, so a change to the guide is a change to what these tests
run. Servers and workers are separate processes on the test database, each in its own
process group, stopped by their id when the test ends.

Redis: a database of its own (MAGWB_TEST_DEPLOY_REDIS_URL, default db 14), emptied first.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
REDIS_URL = os.environ.get("MAGWB_TEST_DEPLOY_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "deploy-test-secret-shared-by-every-process"


def guide_block(name: str) -> str:
    """Return the fenced block that follows `<!-- tested: name -->` in docs/deploy.md."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert match, f"docs/deploy.md has no block marked 'tested: {name}'"
    return match.group(1)


def exec_start(unit: str, env: dict[str, str]) -> list[str]:
    """Return a unit's ExecStart as argv, with /opt/magwb as this checkout and ${VAR} expanded."""
    line = next(
        line for line in guide_block(unit).splitlines() if line.startswith("ExecStart=")
    ).removeprefix("ExecStart=")
    line = line.replace("/opt/magwb", str(ROOT))
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
    return shlex.split(line)


def plain_url(url: str) -> str:
    """Return a PostgreSQL URL as libpq tools take it (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def stack_env(database_url) -> dict[str, str]:
    """The guide's environment file, pointed at the test database and the test Redis."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = dict(
        line.split("=", 1)
        for line in guide_block("environment").splitlines()
        if line and not line.startswith("#")
    )
    settings.update(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY=SECRET,
        # No TLS proxy in the test: a Secure cookie would never come back over http.
        MAGWB_SECURE_COOKIES="0",
        # Two processes of two threads each: the machine is shared.
        WEB_CONCURRENCY="2",
        MAGWB_THREADS="2",
    )
    env = {**os.environ, **settings}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("TEST_DATABASE_URL", None)
    return env


def _stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a process in its own process group (so it can be stopped with its children)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def web_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """Run the web unit's ExecStart on a free port; yield its base URL once it answers."""
    port = free_port()
    env = {**env, "MAGWB_BIND": f"127.0.0.1:{port}"}
    process = start(exec_start("web-unit", env), env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"gunicorn stopped:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"gunicorn never answered:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/login", timeout=5).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        yield base
    finally:
        _stop(process)


@contextmanager
def worker(env: dict[str, str], log: Path, *extra: str) -> Iterator[subprocess.Popen]:
    """Run the worker unit's ExecStart (plus extra options); stop it afterwards."""
    process = start([*exec_start("worker-unit", env), *extra], env, log)
    try:
        yield process
    finally:
        _stop(process)


def _children(pid: int) -> list[int]:
    """Return the ids of a process's descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL an RQ worker and the work horse it forked (which starts a session of its own)."""
    doomed = [process.pid, *_children(process.pid)]
    for pid in doomed:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def postgresql_only(database_url) -> str:
    """Skip on the SQLite pass: the test runs PostgreSQL's own tools (never skipped on PG)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    return plain_url(database_url)


def log_in(client: httpx.Client, url: str, email: str, password: str) -> None:
    """Log in through the real form at `url`, CSRF token included."""
    page = client.get(url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(url, data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.text
