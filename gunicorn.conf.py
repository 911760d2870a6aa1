"""Gunicorn configuration for MAG Workbench (`gunicorn -c gunicorn.conf.py`).

The production command of the README and docs/deploy.md. Every number can be changed
through the environment without editing this file:

- MAGWB_BIND (default 127.0.0.1:8000): where to listen; the HTTPS reverse proxy forwards here.
- WEB_CONCURRENCY (default 2 × CPU cores + 1): worker processes.
- MAGWB_THREADS (default 4): threads per worker (requests mostly wait on the database).
- MAGWB_TIMEOUT (default 120): seconds a request may run before its worker is restarted.
- MAGWB_ACCESS_LOG (default "-", standard output; "" turns it off).

The access log never holds a query string, a referrer or a personal link's token:
search words (`?q=`) and filter values are personal data of the study, and a link token
lets whoever reads it answer in the participant's name. Only the path is written, with
`/v/<token>` shortened to `/v/…`.
"""

from __future__ import annotations

import os
import re

from gunicorn.glogging import Logger

wsgi_app = "app:create_app()"
bind = [os.environ.get("MAGWB_BIND", "127.0.0.1:8000")]

# Workers from the machine's cores; threads so that a request waiting on PostgreSQL
# does not hold a whole process (gthread keeps a slow client from blocking the others).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "gthread"
threads = int(os.environ.get("MAGWB_THREADS") or 4)

# Uploads and the coding view of long sessions take seconds, not minutes; a request that
# runs for longer is stuck and its worker is replaced. Long work belongs in jobs.
timeout = int(os.environ.get("MAGWB_TIMEOUT") or 120)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so slow growth of a process's memory never accumulates.
max_requests = 2000
max_requests_jitter = 200

# Build the app once in the master (faster starts, shared memory); each worker then
# drops the database connections it inherited (see post_fork). The master also compiles
# every template and configures the ORM before forking (when_ready), so no worker, nor
# any replacement after max_requests, spends its first requests on that.
preload_app = True

# The proxy in front sets X-Forwarded-For/-Proto; the app decides how many proxies it
# trusts (docs/deploy.md). Gunicorn itself only trusts the local proxy for the scheme.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No control socket: one per user by default, so two instances on a host would collide;
# systemd and the signals (HUP reloads, TERM stops) are enough.
control_socket_disable = True

accesslog = os.environ.get("MAGWB_ACCESS_LOG", "-") or None
errorlog = "-"
# %(U)s is the path without its query string; no %(r)s, %(q)s or %(f)s (the referrer,
# which holds the previous page's query string). %(M)s: milliseconds taken.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

_TOKEN_PATH = re.compile(r"^/v/[^/]+")


class PrivateLogger(Logger):
    """Gunicorn's logger, with personal link tokens cut out of logged paths."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _TOKEN_PATH.sub("/v/…", atoms.get("U", ""))
        return atoms


logger_class = PrivateLogger


def when_ready(server):
    """In the master, before the first fork: compile every template, configure the mappers.

    Each worker otherwise did both on its first requests (about 0.5 s of CPU per worker for
    the 49 templates; a participant's first page took 260 ms instead of 20 ms), all
    workers at once when a server starts under load (BENCHMARKS.md, "Where the CPU goes").
    """
    from jinja2 import TemplateError
    from sqlalchemy.orm import configure_mappers

    if not server.cfg.preload_app:
        return
    app = server.app.wsgi()
    configure_mappers()
    for name in app.jinja_env.list_templates():
        try:
            app.jinja_env.get_template(name)
        except (TemplateError, UnicodeDecodeError, OSError) as error:
            # Only a warm-up: a broken template is reported where it is rendered, as
            # before, and a stray file (an editor's swap file) must not stop the master.
            server.log.warning("template %s not compiled: %s", name, error)


def post_fork(server, worker):
    """Drop database connections inherited from the master: a socket is never shared."""
    from app.platform.extensions import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
