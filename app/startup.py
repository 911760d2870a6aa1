"""What happens once when the application starts: schema, abandoned jobs, demo.

This is wiring, like `create_app`: it joins the platform (schema upgrade), the job
queue and the demo loader, so it lives at the top of the package, above them all.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import inspect

from app.demo import load_demo
from app.jobs.queue import interrupt_abandoned_jobs
from app.models import Study
from app.platform.database import is_sqlite, upgrade_schema
from app.platform.extensions import db
from app.platform.files import narrow_own_folder, private_folder


def prepare_database(app: Flask) -> None:
    """On start: upgrade an embedded SQLite database, then load the demo if it is empty.

    PostgreSQL is never upgraded implicitly: several workers starting at once
    would race, and operators want to run `flask --app app db upgrade`
    deliberately. The demo is loaded only into a database without any study.
    """
    instance = Path(app.instance_path)
    if instance.is_dir():  # the database, the secret key and reports live here: ours only
        private_folder(instance)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        narrow_own_folder(Path(uri.removeprefix("sqlite:///")).parent)
    if app.config["AUTO_UPGRADE"] and is_sqlite(app):
        upgrade_schema(app)
    if is_sqlite(app):  # the embedded setup runs jobs in this process only
        interrupt_abandoned_jobs(app)
    if app.config["LOAD_DEMO"]:
        with app.app_context():
            if not inspect(db.engine).has_table("study"):
                app.logger.warning(
                    "The database has no tables yet: run `flask --app app db upgrade`."
                )
                return
            if db.session.execute(db.select(Study.id).limit(1)).first() is None:
                load_demo()
                db.session.commit()
