"""Open the same coded document in MAG Workbench and in Taguette 1.5.2, side by side.

Both tools run as real HTTP servers on 127.0.0.1, each with a throwaway SQLite
database, and hold the same document: 500 passages of 60 words (30,000 words)
with the same 1,000 coded spans (MAG: codings of a session; Taguette: highlights
of one uploaded HTML document, one paragraph per passage). Then, interleaved over
120 rounds, the script times:

- opening the document as a browser would: the page, then its scripts and
  stylesheets and, for Taguette, the two JSON requests its script sends for the
  highlights and the text. The first open has an empty cache; on each round's
  repeat open, what the browser may keep (`max-age`) is not fetched, and what it
  must revalidate is asked with its validator (a 304 costs a request, few bytes).
  Bytes are what came over the wire (compressed if a server compressed; the
  client sends `Accept-Encoding: gzip, deflate` as a browser does) and decoded.
  Fonts and images named inside stylesheets are not fetched;
- creating a coding (MAG: POST /api/studies/<id>/codings; Taguette: POST
  .../highlight/new), each on a random span of a random passage.

Requests are sequential on one keep-alive connection per tool: the browser's own
parse, layout and script time is not measured (Taguette draws the whole document
with its script after the JSON arrives; MAG's page is drawn as it streams in).

Taguette is not a dependency of this project; install it into its own venv:

    python3 -m venv /work/venv-taguette
    /work/venv-taguette/bin/pip install taguette==1.5.2

Without it the script measures MAG Workbench alone and says so. Taguette is set
up in its single-user mode (`taguette --no-browser`), which logs in with the token
it prints; the document is uploaded as HTML, which skips its Calibre conversion.

Run: .venv/bin/python bench/coding_view_vs_taguette.py [--rounds 120]
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TAGUETTE = Path(os.environ.get("TAGUETTE_VENV", "/work/venv-taguette")) / "bin" / "taguette"
PASSWORD = "bench-password-123"  # noqa: S105  (a throwaway bench account)
HEADERS = {"Accept-Encoding": "gzip, deflate", "User-Agent": "magwb-bench"}


# --- the shared document ------------------------------------------------------------


def document(seed: int = 42, passages: int = 500, words: int = 60, codings: int = 1000):
    """Return the passage texts and the coded spans (passage index, start, end, theme index)."""
    sys.path.insert(0, str(ROOT))
    from bench.coding_view import WORDS

    rng = random.Random(seed)
    texts = [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(passages)]
    spans = []
    for _ in range(codings):
        index = rng.randrange(passages)
        start = rng.randrange(0, len(texts[index]) - 40)
        spans.append((index, start, start + rng.randrange(5, 40), rng.randrange(4)))
    return texts, spans


# --- MAG Workbench --------------------------------------------------------------------


def serve_magwb(workdir: str, port: int) -> None:
    """Child process: build the study in a fresh SQLite database and serve it (werkzeug)."""
    sys.path.insert(0, str(ROOT))
    from werkzeug.serving import make_server

    from app import create_app
    from app.accounts.users import create_user
    from app.models import Coding, GroupSession, Participant, Passage, SpeakerKind, Theme
    from app.platform.extensions import db
    from app.studies.studies import create_study

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/magwb.sqlite3",
            "LOAD_DEMO": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
        }
    )
    texts, spans = document()
    with app.app_context():
        user = create_user("bench@example.org", "Bench", password=PASSWORD)
        study = create_study("Bench", "", "nl", owner_id=user.id)
        group_session = GroupSession(study=study, number=1, language="nl")
        people = [
            Participant(study=study, pseudonym=f"P{i}", pseudonym_key=f"p{i}") for i in range(12)
        ]
        rows = [
            Passage(
                group_session=group_session,
                phase=1 + i * 11 // len(texts),  # phases in order, as in a real session
                position=i,
                speaker_kind=SpeakerKind.PARTICIPANT,
                participant=people[i % 12],
                text=text,
            )
            for i, text in enumerate(texts)
        ]
        db.session.add_all([group_session, *people, *rows])
        db.session.flush()
        themes = db.session.execute(
            db.select(Theme).filter_by(study_id=study.id).order_by(Theme.id)
        ).scalars()
        themes = list(themes)
        for index, start, end, theme in spans:
            db.session.add(
                Coding(
                    passage=rows[index],
                    theme=themes[theme % len(themes)],
                    coder_id=user.id,
                    start_offset=start,
                    end_offset=end,
                )
            )
        db.session.commit()
        ids = {
            "study": study.id,
            "session": group_session.id,
            "passages": [p.id for p in rows],
            "theme": themes[0].id,
        }
    server = make_server("127.0.0.1", port, app, threaded=False)
    print(json.dumps(ids), flush=True)
    server.serve_forever()


def magwb_client(base: str, ids: dict) -> httpx.Client:
    """Log in through the form (CSRF on, as in production)."""
    client = httpx.Client(base_url=base, headers=HEADERS, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    response = client.post(
        "/login", data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    page = client.get(f"/studies/{ids['study']}/sessions/{ids['session']}/code").text
    client.headers["X-CSRFToken"] = re.search(r'data-csrf="([^"]+)"', page)[1]
    return client


# --- Taguette -------------------------------------------------------------------------


class _Text(html.parser.HTMLParser):
    """Collect the text of an HTML fragment and where each <p> starts, in UTF-8 bytes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.length = 0
        self.paragraphs: list[int] = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.paragraphs.append(self.length)

    def handle_data(self, data):
        self.length += len(data.encode("utf-8"))


def start_taguette(workdir: str, port: int) -> tuple[subprocess.Popen, str]:
    """Start Taguette in single-user mode; return the process and its login URL."""
    process = subprocess.Popen(  # noqa: S603  (our own command line)
        [str(TAGUETTE), "--no-browser", "-b", "127.0.0.1", "-p", str(port)]
        + ["--database", f"{workdir}/taguette.sqlite3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stdout:
        match = re.search(r"http://localhost:\d+/\?token=\w+", line)
        if match:
            return process, match[0].replace("localhost", "127.0.0.1")
    raise RuntimeError("Taguette did not print its login link")


def taguette_setup(base: str, login_url: str) -> tuple[httpx.Client, dict]:
    """Log in, create the project, tags, the document and its 1,000 highlights."""
    client = httpx.Client(base_url=base, headers=HEADERS, timeout=120, follow_redirects=True)
    client.get(login_url)
    client.get("/project/new")
    xsrf = client.cookies["_xsrf"]
    client.headers["X-XSRFToken"] = xsrf
    response = client.post("/project/new", data={"name": "Bench", "description": "", "_xsrf": xsrf})
    project = int(re.search(r"/project/(\d+)", str(response.url))[1])
    tags = []
    for name in ("dependency", "privacy", "outsourcing", "digital-divide"):
        reply = client.post(
            f"/api/project/{project}/tag/new", json={"path": name, "description": ""}
        )
        tags.append(reply.json()["id"])
    texts, spans = document()
    body = "".join(f"<p>{text}</p>\n" for text in texts)
    reply = client.post(
        f"/api/project/{project}/document/new",
        data={"name": "Session 1", "description": ""},
        files={"file": ("session.html", f"<html><body>{body}</body></html>", "text/html")},
    )
    doc = reply.json()["created"]
    contents = client.get(f"/api/project/{project}/document/{doc}/contents").json()
    parser = _Text()
    parser.feed(contents["contents"][0]["contents"])
    starts = parser.paragraphs
    assert len(starts) == len(texts), (len(starts), len(texts))
    for index, start, end, theme in spans:  # the text is ASCII: bytes = code points
        reply = client.post(
            f"/api/project/{project}/document/{doc}/highlight/new",
            json={
                "start_offset": starts[index] + start,
                "end_offset": starts[index] + end,
                "tags": [tags[theme]],
            },
        )
        assert reply.status_code == 200, reply.text
    return client, {"project": project, "document": doc, "tags": tags, "starts": starts}


# --- measuring ------------------------------------------------------------------------


class Opener:
    """Open a page as a browser with a warm cache would, counting time and wire bytes."""

    def __init__(self, client: httpx.Client, page: str, extra: dict[str, str]) -> None:
        self.client, self.page, self.extra = client, page, extra
        self.cached: dict[str, dict] = {}
        self.parts: dict[str, list[float]] = {}  # per request: milliseconds
        self.decoded = 0  # bytes of the last open after decompression

    def _time(self, url: str, began: float, status: int = 200) -> None:
        labels = {url: label for label, url in self.extra.items()} | {self.page: "page"}
        name = labels.get(url) or url.split("?")[0].rsplit("/", 1)[-1]
        name += "" if status == 200 else f" ({status})"
        self.parts.setdefault(name, []).append((time.perf_counter() - began) * 1000)

    def _subresources(self, text: str) -> list[str]:
        found = re.findall(r'<script[^>]*\ssrc="([^"]+)"', text)
        found += re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', text)
        return [url.replace("&amp;", "&") for url in found] + list(self.extra.values())

    def _fetch(self, url: str) -> int:
        """Fetch one sub-resource unless a browser's cache holds it; return wire bytes."""
        known = self.cached.get(url)
        headers = {}
        if known is not None:
            control = known.get("cache-control", "")
            fresh = "max-age" in control and "max-age=0" not in control
            if fresh and "no-store" not in control and "no-cache" not in control:
                return 0
            if "no-store" not in control and known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            elif "no-store" not in control and known.get("last-modified"):
                headers["If-Modified-Since"] = known["last-modified"]
        began = time.perf_counter()
        with self.client.stream("GET", url, headers=headers) as response:
            self.decoded += len(response.read())
            assert response.status_code in (200, 304), (url, response.status_code)
            if response.status_code == 200:
                self.cached[url] = dict(response.headers)
            self._time(url, began, response.status_code)
            return response.num_bytes_downloaded

    def open(self) -> tuple[float, int, int]:
        """Return (milliseconds, wire bytes, decoded bytes of everything fetched)."""
        start = time.perf_counter()
        with self.client.stream("GET", self.page) as response:
            text = response.read().decode()
            assert response.status_code == 200, response.status_code
            wire = response.num_bytes_downloaded
        self._time(self.page, start)
        self.decoded = len(text.encode())
        for url in self._subresources(text):
            wire += self._fetch(url)
        return (time.perf_counter() - start) * 1000, wire, self.decoded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base: str, path: str = "/") -> None:
    for _ in range(600):
        try:
            httpx.get(base + path, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not answer")


def summary(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return f"{name}: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms"


def transferred(first: tuple[int, int], repeat: tuple[int, int]) -> str:
    """Bytes of a first open (empty cache) and of a repeat open, on the wire and decoded."""
    return (
        f"first open {first[0] / 1024:.0f} KiB on the wire ({first[1] / 1024:.0f} KiB decoded), "
        f"repeat open {repeat[0] / 1024:.0f} KiB ({repeat[1] / 1024:.0f} KiB decoded)"
    )


def breakdown(opener: Opener) -> str:
    """Median time of each request of an open."""
    return ", ".join(
        f"{name} {statistics.median(samples):.1f} ms (n={len(samples)})"
        for name, samples in opener.parts.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=120)
    parser.add_argument(
        "--serve-magwb", nargs=2, metavar=("WORKDIR", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_magwb:
        serve_magwb(args.serve_magwb[0], int(args.serve_magwb[1]))
        return

    workdir = tempfile.mkdtemp(prefix="magwb-vs-taguette-")
    processes = []
    try:
        print(time.strftime("%Y-%m-%d %H:%M %Z"), "·", platform.node(), platform.machine())
        print(f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite, 127.0.0.1")
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        port = free_port()
        magwb = subprocess.Popen(  # noqa: S603  (this script, as the server)
            [sys.executable, __file__, "--serve-magwb", workdir, str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(magwb)
        ids = json.loads(magwb.stdout.readline())
        mag_base = f"http://127.0.0.1:{port}"
        mag = magwb_client(mag_base, ids)
        mag_opener = Opener(mag, f"/studies/{ids['study']}/sessions/{ids['session']}/code", {})
        texts, _ = document()
        words = sum(len(t.split()) for t in texts)
        print(f"document: {len(texts)} passages, {words} words, 1000 codings/highlights, 4 themes")

        tag = None
        if TAGUETTE.exists():
            port = free_port()
            process, login_url = start_taguette(workdir, port)
            processes.append(process)
            tag_base = f"http://127.0.0.1:{port}"
            wait_for(tag_base, "/health")
            tag, tag_ids = taguette_setup(tag_base, login_url)
            project, doc = tag_ids["project"], tag_ids["document"]
            api = f"/api/project/{project}/document/{doc}"
            extra = {"highlights JSON": api, "text JSON": f"{api}/contents"}
            tag_opener = Opener(tag, f"/project/{project}/document/{doc}", extra)
            print(f"Taguette {TAGUETTE.parent.parent}: project {project}, document {doc}")
        else:
            print(
                f"Taguette not found at {TAGUETTE}: measuring MAG Workbench only. Install it with\n"
                "  python3 -m venv /work/venv-taguette && "
                "/work/venv-taguette/bin/pip install taguette==1.5.2"
            )

        rng = random.Random(7)
        results = {"mag_open": [], "mag_code": [], "tag_open": [], "tag_code": []}
        sizes = {}
        # One first open each, with an empty browser cache (also warms both servers).
        cold = {"mag": mag_opener.open()[1:]}
        mag_opener.parts.clear()
        if tag:
            cold["tag"] = tag_opener.open()[1:]
            tag_opener.parts.clear()
        for _ in range(args.rounds):
            elapsed, wire, page = mag_opener.open()
            results["mag_open"].append(elapsed)
            sizes["mag"] = (wire, page)
            index = rng.randrange(len(texts))
            start = rng.randrange(0, len(texts[index]) - 40)
            began = time.perf_counter()
            reply = mag.post(
                f"/api/studies/{ids['study']}/codings",
                json={
                    "passage_id": ids["passages"][index],
                    "start": start,
                    "end": start + 20,
                    "theme": ids["theme"],
                },
            )
            results["mag_code"].append((time.perf_counter() - began) * 1000)
            assert reply.status_code == 201, reply.text
            if tag:
                elapsed, wire, page = tag_opener.open()
                results["tag_open"].append(elapsed)
                sizes["tag"] = (wire, page)
                began = time.perf_counter()
                reply = tag.post(
                    f"{api}/highlight/new",
                    json={
                        "start_offset": tag_ids["starts"][index] + start,
                        "end_offset": tag_ids["starts"][index] + start + 20,
                        "tags": [tag_ids["tags"][0]],
                    },
                )
                results["tag_code"].append((time.perf_counter() - began) * 1000)
                assert reply.status_code == 200, reply.text

        print(f"rounds: {args.rounds}, interleaved")
        print(summary("MAG Workbench open", results["mag_open"]))
        print("  " + transferred(cold["mag"], sizes["mag"]))
        print("  per request:", breakdown(mag_opener))
        print(summary("MAG Workbench create a coding", results["mag_code"]))
        if tag:
            print(summary("Taguette open", results["tag_open"]))
            print("  " + transferred(cold["tag"], sizes["tag"]))
            print("  per request:", breakdown(tag_opener))
            print(summary("Taguette create a highlight", results["tag_code"]))
            ratio = statistics.median(results["tag_open"]) / statistics.median(results["mag_open"])
            save = statistics.median(results["tag_code"]) / statistics.median(results["mag_code"])
            print(f"opening: MAG Workbench {ratio:.2f}x as fast as Taguette; coding: {save:.2f}x")
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
