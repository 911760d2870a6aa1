"""Run QualCoder's own REFI-QDA import (refi.RefiImport) headless on a .qdpx; count what arrived.

Not part of the test suite and not a dependency: run it by hand in a separate virtualenv with
PyQt6, against a QualCoder source tree (not on the package index)::

    python3 -m venv /work/venv-interop && /work/venv-interop/bin/pip install PyQt6
    QT_QPA_PLATFORM=offscreen /work/venv-interop/bin/python bench/interop/qualcoder_import.py \\
        --qualcoder /work/qualcoder/src project.qdpx

It builds an empty QualCoder project database with the CREATE TABLE statements of QualCoder's
own `new_project`, answers the file dialog with the given path, silences the message boxes,
imports, then prints what the .qdpx holds next to what QualCoder stored, as JSON.
"""

from __future__ import annotations

import argparse
import ast
import json
import sqlite3
import sys
import tempfile
import types
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import SimpleNamespace

Q = "{urn:QDA-XML:project:1.0}"


def create_tables(qualcoder_src: Path, conn: sqlite3.Connection) -> None:
    """Execute every CREATE TABLE literal of QualCoder's MainWindow.new_project."""
    tree = ast.parse((qualcoder_src / "qualcoder" / "__main__.py").read_text())
    function = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "new_project"
    )
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "execute":
            try:
                sql = ast.literal_eval(node.args[0])
            except ValueError:
                continue
            if isinstance(sql, str) and sql.startswith("CREATE TABLE"):
                conn.execute(sql)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS coder_names "
        "(name TEXT UNIQUE NOT NULL, visibility INTEGER NOT NULL DEFAULT 1)"
    )
    # The project row new_project inserts (database version v17).
    conn.execute(
        "INSERT INTO project VALUES('v17', '2026-01-01 00:00:00', '', 'check', 0, 0, "
        "'default', '', null, null, null)"
    )
    conn.commit()


def expected(path: Path) -> dict:
    """Count what the .qdpx offers: codes, cases, attribute values, notes, coding memos, users."""
    with zipfile.ZipFile(path) as archive:
        root = ET.fromstring(archive.read("project.qde"))  # noqa: S314 (a file we made)
    return {
        "codes": len(root.findall(f".//{Q}CodeBook//{Q}Code")),
        "sources": len(root.findall(f"{Q}Sources/{Q}TextSource")),
        "codings": len(root.findall(f".//{Q}PlainTextSelection/{Q}Coding")),
        "cases": len(root.findall(f"{Q}Cases/{Q}Case")),
        "attributes": len(root.findall(f"{Q}Cases/{Q}Case/{Q}VariableValue")),
        "notes": len(root.findall(f"{Q}Notes/{Q}Note")),
        "memos": sum(
            1
            for d in root.findall(f".//{Q}PlainTextSelection/{Q}Description")
            if (d.text or "").strip()
        ),
        "users": len(root.findall(f"{Q}Users/{Q}User")),
    }


def imported(conn: sqlite3.Connection) -> dict:
    """Count what QualCoder stored."""
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "codes": one("select count(*) from code_name") + one("select count(*) from code_cat"),
        "sources": one("select count(*) from source"),
        "codings": one("select count(*) from code_text"),
        "cases": one("select count(*) from cases"),
        "attributes": one("select count(*) from attribute where attr_type = 'case'"),
        "notes": one("select count(*) from journal") + one("select count(*) from annotation"),
        "memos": one("select count(*) from code_text where memo is not null and memo != ''"),
        "users": one("select count(distinct owner) from code_text"),
    }


def _import_refi():
    """Import qualcoder.refi, standing in for the optional libraries it does not use here.

    refi.py imports helpers.py, which pulls in PDF, image and media libraries (pymupdf,
    Pillow, VLC...) that a REFI text import never calls; a stub module answers for each.
    """
    from unittest.mock import MagicMock

    for _attempt in range(40):
        try:
            from qualcoder import refi

            return refi
        except ModuleNotFoundError as missing:
            if not missing.name or missing.name.startswith("qualcoder"):
                raise
            stub = types.ModuleType(missing.name)
            stub.__getattr__ = lambda name: MagicMock(name=name)
            stub.__path__ = []
            sys.modules[missing.name] = stub
            for name in list(sys.modules):
                if name.startswith("qualcoder"):
                    del sys.modules[name]
    raise RuntimeError("too many missing modules")


def _export(refi, app, work: Path, folder: Path) -> None:
    """Run QualCoder's RefiExport (project, then codebook) into `folder`."""
    import os

    os.environ["HOME"] = str(work)  # QualCoder prepares the archive in ~/.qualcoder
    (work / ".qualcoder").mkdir(exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    conn = app.conn
    conn.execute("CREATE VIEW IF NOT EXISTS annotation_visible AS SELECT * FROM annotation")
    app.project_name = "qualcoder-export.qda"
    app.get_annotations = lambda: [
        dict(zip(("anid", "fid", "pos0", "pos1", "memo", "owner", "date"), row, strict=True))
        for row in conn.execute("select anid, fid, pos0, pos1, memo, owner, date from annotation")
    ]
    no_maxqda = SimpleNamespace(isChecked=lambda: False)
    refi.RefiLineEndings = lambda *a, **k: SimpleNamespace(
        exec=lambda: None, ui=SimpleNamespace(radioButton_maxqda=no_maxqda)
    )
    refi.QtWidgets.QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: str(folder))
    log: list[str] = []
    refi.RefiExport(app, SimpleNamespace(append=log.append), "project")
    refi.RefiExport(app, SimpleNamespace(append=log.append), "codebook")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qualcoder", type=Path, required=True, help="QualCoder's src/ folder")
    parser.add_argument("qdpx", type=Path)
    parser.add_argument(
        "--export",
        type=Path,
        help="then write QualCoder's own .qdpx and .qdc export to this folder",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(args.qualcoder))
    from PyQt6 import QtWidgets

    refi = _import_refi()

    application = QtWidgets.QApplication([])  # noqa: F841 (Qt needs one alive)
    work = Path(tempfile.mkdtemp())
    qdpx = work / args.qdpx.name
    qdpx.write_bytes(args.qdpx.read_bytes())
    conn = sqlite3.connect(work / "project.sqlite")
    create_tables(args.qualcoder, conn)
    log: list[str] = []
    app = SimpleNamespace(
        conn=conn,
        settings={"directory": str(work), "codername": "default", "ai_enable": "False"},
        project_path=str(work / "qualcoder-project"),
        project_name="check",
        project_events=None,
        ai_models=None,
        ai=None,
        version="check",
        write_config_ini=lambda *a, **k: None,
    )
    (work / "qualcoder-project" / "documents").mkdir(parents=True)
    refi.Message = lambda *a, **k: SimpleNamespace(exec=lambda: None)
    refi.QtWidgets.QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (str(qdpx), True))
    error = None
    try:
        refi.RefiImport(app, SimpleNamespace(append=log.append), "qdpx")
    except Exception as e:  # report the crash as a result, as QualCoder's user would see it
        error = f"{type(e).__name__}: {e}"
    if args.export and error is None:
        _export(refi, app, work, args.export)
    result = {"expected": expected(args.qdpx), "qualcoder": imported(conn), "crash": error}
    result["lost"] = {
        k: result["expected"][k] - result["qualcoder"].get(k, 0) for k in result["expected"]
    }
    result["code_memo_max_chars"] = conn.execute(
        "select coalesce(max(length(memo)), 0) from code_name"
    ).fetchone()[0]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
