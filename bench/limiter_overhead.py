"""Measure what the rate limiter costs a request (issue 16: the fixed per-request cost).

Two things, in-process through the WSGI app on a throwaway SQLite database:

1. Limiter store calls per kind of request (memory:// by default, or the store URL given
   as the first argument, e.g. redis://127.0.0.1:6379/11; keys carry the prefix
   "magwb-bench" and expire within a minute). With Redis each call is one round trip.
2. Time per request of a view without limits (an anonymous GET /studies/, answered
   with a redirect) with the limiter off, on as configured, and on with Flask-Limiter's
   own before-request hook put back (what `ViewLimiter` removes). Medians of 9 rounds
   of 1,000 requests, the three variants interleaved.

Run: .venv/bin/python bench/limiter_overhead.py [store URL]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.platform.database import upgrade_schema  # noqa: E402
from app.platform.extensions import limiter  # noqa: E402

STORE_METHODS = ("incr", "get", "get_expiry", "check", "clear", "acquire_entry")


def make_app(url: str, *, enabled: bool, store: str = "memory://"):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "LOAD_DEMO": False,
            "AUTO_UPGRADE": False,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": enabled,
            "RATELIMIT_STORAGE_URI": store,
            "RATELIMIT_KEY_PREFIX": "magwb-bench",
        }
    )


def store_calls(url: str, store: str) -> None:
    """Print the store calls each kind of request makes."""
    app = make_app(url, enabled=True, store=store)
    calls: Counter = Counter()
    storage = limiter.storage
    for name in STORE_METHODS:
        if hasattr(storage, name):
            original = getattr(storage, name)

            def counted(*args, _original=original, _name=name, **kwargs):
                calls[_name] += 1
                return _original(*args, **kwargs)

            setattr(storage, name, counted)
    client = app.test_client()
    requests = [
        ("GET /studies/ (no limit)", lambda: client.get("/studies/")),
        ("GET /login (limit on POST only)", lambda: client.get("/login")),
        ("POST /login", lambda: client.post("/login", data={"email": "a@b.c", "password": "x"})),
        ("GET /v/<unknown link>", lambda: client.get("/v/not-a-link")),
    ]
    print(f"store calls ({store}):")
    for label, call in requests:
        calls.clear()
        call()
        print(f"  {label}: {dict(calls) or 'none'}")


def timing(url: str) -> None:
    """Print the time per request of a view without limits, limiter off / on / on + hook."""
    variants = {"limiter off": (False, False), "limiter on": (True, False)}
    variants["limiter on + Flask-Limiter's hook"] = (True, True)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _round in range(9):
        for name, (enabled, hook) in variants.items():
            app = make_app(url, enabled=enabled)
            if hook:
                app.before_request_funcs.setdefault(None, []).insert(
                    0, limiter._check_request_limit
                )
            client = app.test_client()
            for _ in range(50):
                client.get("/studies/")
            start = time.perf_counter()
            for _ in range(1000):
                client.get("/studies/")
            samples[name].append(time.perf_counter() - start)  # seconds per 1,000 = ms each
    print("anonymous GET /studies/ (redirect), median of 9 × 1,000:")
    for name, values in samples.items():
        print(f"  {name}: {statistics.median(values):.3f} ms per request")


def main() -> None:
    store = sys.argv[1] if len(sys.argv) > 1 else "memory://"
    workdir = tempfile.mkdtemp(prefix="magwb-bench-")
    url = f"sqlite:///{workdir}/bench.sqlite3"
    upgrade_schema(make_app(url, enabled=False))
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    store_calls(url, store)
    timing(url)


if __name__ == "__main__":
    main()
