"""Helper process for the crash test: write codings and acknowledge each commit.

Usage: python -m tests.app.platform.crash_writer SQLITE_URL
Prints "ready" after setting up, then one coding id per line after each commit.
"""

from __future__ import annotations

import sys

from app import create_app
from app.coding.codings import code_passage
from app.models import Passage
from app.platform.extensions import db


def main() -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sys.argv[1],
            "LOAD_DEMO": False,
            "SECRET_KEY": "crash-test",
            "AUTO_UPGRADE": False,
        }
    )
    with app.app_context():
        passage = db.session.execute(db.select(Passage)).scalars().first()
        study_id, passage_id, length = passage.group_session.study_id, passage.id, len(passage.text)
        print("ready", flush=True)
        number = 0
        while True:
            number += 1
            start = number % (length - 5)
            coding = code_passage(study_id, passage_id, start, start + 5, "privacy", coder_id=None)
            db.session.commit()
            print(coding.id, flush=True)


if __name__ == "__main__":
    main()
