"""Restoring a study archive from the web as a background job.

The request checks the archive's zip directory and manifest (a damaged or foreign file is
refused at once, with the message the restore would give), keeps the upload in
`instance/exports/` as a 0600 file under a random name, and enqueues "exchange.restore"
with no study: the job makes it. Only the person who started the job sees it
(`/import/jobs/N`) until it is done; then the job belongs to the new study too.

The restore is one transaction, all or nothing: on failure nothing of the study stays and
the job page shows the archive's error. The upload is deleted once the study is stored; after
a failure it stays for a retry of the same job, and uploads older than a day are removed.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.exchange.archive.checks import _check_manifest, _read_members
from app.exchange.archive.restore import import_study_archive
from app.jobs.queue import JobError, enqueue, handler
from app.models import Job
from app.platform.extensions import db
from app.platform.files import private_folder, write_private
from app.platform.forms import ValidationError

KIND = "exchange.restore"
KEEP_SECONDS = 24 * 3600


def upload_folder() -> Path:
    """Return the private folder the uploaded archives wait in (the reports' folder)."""
    folder = current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports"
    return private_folder(Path(folder))


def start_restore(data: bytes, *, user_id: int) -> Job:
    """Check the archive's directory and manifest, keep it privately and enqueue its restore.

    Raises ArchiveError (a ValidationError) for a damaged or foreign archive, storing nothing.
    """
    _check_manifest(_read_members(data))
    folder = upload_folder()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("restore-*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = f"restore-{secrets.token_hex(16)}.zip"
    write_private(folder / name, data)
    return enqueue(None, KIND, {"archive": name}, user_id=user_id)


@handler(KIND)
def run_restore(job: Job, progress) -> dict:
    """Restore the uploaded archive as a new study owned by whoever started the job."""
    path = upload_folder() / job.params["archive"]
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        message = _("The uploaded archive is gone (older than a day); upload it again.")
        raise JobError(message) from error
    try:
        restored = import_study_archive(data, owner_id=job.created_by_id, progress=progress)
    except ValidationError as error:  # ArchiveError and the rules of any stored value
        raise JobError(error.message) from error
    job.study_id = restored.study_id
    db.session.commit()  # the study and the job's link to it, together
    path.unlink(missing_ok=True)
    progress(1.0, _("The study was restored."))
    return {
        "endpoint": "studies.overview",
        "args": {"study_id": restored.study_id},
        "study_id": restored.study_id,
        "users_created": restored.users_created,
    }
