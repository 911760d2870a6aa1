"""Write Taguette 1.5.2's highlights export (CSV and XLSX) of the demo sessions, headless.

Runs in a virtualenv with `taguette==1.5.2` installed (never the app's): every step that
shapes the exported file is Taguette's own code — the HTML upload sanitiser
(`convert.get_html_body`), the snippet extraction over UTF-8 byte offsets (`extract.extract`),
its SQLAlchemy models and `export.highlights_csv` / `export.highlights_xslx`. Only the
documents (the demo transcripts as HTML, one paragraph per turn, as a researcher would upload
them) and the choice of highlighted sentences are ours.

    python3 -m venv /work/venv-taguette-i15
    /work/venv-taguette-i15/bin/pip install taguette==1.5.2
    /work/venv-taguette-i15/bin/python bench/interop/taguette_highlights.py \
        tests/app/exchange/interop/
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from taguette import database, export, extract
from taguette.convert import get_html_body

ROOT = Path(__file__).resolve().parents[2]
# (document name, transcript, [(text to highlight, [tag paths])])
DOCUMENTS = [
    (
        "Sleutels van andermans digitale leven",
        "sessions/demo/session-1-nl.md",
        [
            ("Op het einde zat zijn pincode in zijn dossier", ["dependency"]),
            (
                "nu staat het in een Excel-bestand op de gedeelde schijf van ons team",
                ["vie privée", "dependency"],
            ),
            ("Ik boek dan voor hen, en heel vaak met mijn eigen werkmailadres", ["dependency"]),
            ("omdat zijn bankkantoor dicht was gegaan", ["outsourcing.banks"]),
        ],
    ),
    (
        "2. Qui ouvre la boîte ? Intermédiaires et eBox",
        "sessions/demo/session-2-fr.md",
        [
            ("il y avait dans le tiroir de mon bureau un carnet avec les codes", ["vie privée"]),
            ("C'est moi qui l'ai envoyé, depuis mon téléphone", ["dependency"]),
            ("les services essentiels comme l'énergie et la banque", ["outsourcing.banks"]),
        ],
    ),
]


def transcript_html(path: Path) -> str:
    """Return a transcript as the HTML a researcher uploads: headings and one <p> per turn."""
    parts = ["<html><head><title>t</title></head><body>"]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 3)
            parts.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.strip():
            parts.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(parts + ["</body></html>"])


def byte_span(contents: str, text: str) -> tuple[int, int]:
    """Return Taguette's offsets of `text`: UTF-8 bytes over the document's text nodes."""
    plain = "".join(BeautifulSoup(contents, "html5lib").body.find_all(string=True))
    at = plain.index(text)
    start = len(plain[:at].encode("utf-8"))
    return start, start + len(text.encode("utf-8"))


def main(out: Path) -> None:
    db = database.connect("sqlite://")()
    project = database.Project(name="Demo", description="")
    db.add(project)
    tags = {}
    for path in ("dependency", "vie privée", "outsourcing.banks"):
        tags[path] = database.Tag(project=project, path=path, description="")
        db.add(tags[path])
    for name, transcript, highlights in DOCUMENTS:
        contents = get_html_body(transcript_html(ROOT / transcript).encode("utf-8"))
        document = database.Document(
            project=project,
            name=name,
            description="",
            filename=Path(transcript).with_suffix(".html").name,
            text_direction=database.TextDirection.LEFT_TO_RIGHT,
            contents=contents,
        )
        db.add(document)
        db.flush()
        for text, paths in highlights:
            start, end = byte_span(contents, text)
            db.add(
                database.Highlight(
                    document=document,
                    start_offset=start,
                    end_offset=end,
                    snippet=extract.extract(contents, start, end),
                    tags=[tags[p] for p in paths],
                )
            )
    db.commit()
    with open(out / "taguette-highlights.csv", "w", newline="", encoding="utf-8") as file:
        export.highlights_csv(db, project.id, "", file)
    export.highlights_xslx(db, project.id, "", str(out / "taguette-highlights.xlsx"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
