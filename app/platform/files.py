"""Files that hold study material: private to the service user (0600 files, 0700 folders).

The database, its WAL and shared-memory files, backups, Word reports and uploaded
reference documents all hold transcripts or quotes. Whatever the process umask,
they are created readable by the service user only, and existing ones are narrowed.
"""

from __future__ import annotations

import lzma
import os
import struct
import zipfile
import zlib
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# SQLite's companions of a database file; SQLite gives them the database file's mode.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
# What `zipfile` and its decompressors raise for a damaged or unusual zip (an uploaded .qdpx,
# .docx, .xlsx or study archive): catch all of them where a zip is opened or read, so a
# damaged upload is refused with the importer's message, never answered with a 500.
# Measured by fuzzing (tests/app/exchange/test_import_fuzz.py): a flipped "version needed"
# byte raises NotImplementedError from `ZipFile()` itself; a bad UTF-8 name, ValueError;
# corrupt deflate/bzip2/LZMA data, zlib.error / OSError / LZMAError; an encrypted member,
# RuntimeError. Callers whose own refusals subclass ValueError re-raise those first.
ZIP_DAMAGE: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700; return it."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)
    return path


def make_private(path: Path) -> None:
    """Narrow an existing file to 0600 (a missing file is left alone)."""
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass


def create_private(path: Path) -> None:
    """Create `path` empty as 0600 unless it exists, then make sure it is 0600."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    make_private(path)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new or existing file that only the service user can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    make_private(path)


def private_sqlite(path: Path) -> None:
    """Make a SQLite database file and its WAL, shm and journal files 0600."""
    for suffix in SQLITE_SUFFIXES:
        make_private(Path(f"{path}{suffix}"))


def narrow_own_folder(path: Path) -> None:
    """Make the folder of a database 0700 if it is the service user's own folder.

    Never a shared folder: one owned by someone else, or with the sticky bit (/tmp).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and not info.st_mode & 0o1000 and info.st_mode & 0o077:
        os.chmod(path, FOLDER_MODE)
