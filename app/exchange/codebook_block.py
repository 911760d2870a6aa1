"""Our own data about each code, kept where other QDA programs do not show it as a memo.

REFI-QDA has one name and one description per code, and no extension point in the codebook
schema. Other programs (QualCoder, NVivo, ATLAS.ti, MAXQDA) show a code's `<Description>` as its
memo, so the description carries only the definition in the export language. Everything else
(the stable key, labels, definitions and seed terms in every language) goes into ONE marked
container that those programs list apart or ignore: a `<Set>` in a .qdc, a `<Note>` in a .qdpx.
Its text is a header line, then one group of lines per code, opened by the code's GUID::

    --- MAG Workbench data: keep this block to re-import without loss ---
    [magwb] language=fr
    [magwb] code=3f2b8c1e-0d4a-4e9b-9a57-2c1d0e6f7a80
    [magwb] key=role_confusion
    [magwb] label_nl=Rolverwarring
    [magwb] definition_en=First line\\nSecond line
    [magwb] seed_terms_nl=rol; taak; niet mijn job

Empty values are left out. Values escape a backslash as `\\\\`, a line feed as `\\n` and a
carriage return as `\\r`. Files written before this container existed carried the same lines at
the end of each code's description, after the header line; `split_description` still reads them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from app.platform.config import LANGUAGES

SEPARATOR = "--- MAG Workbench data: keep this block to re-import without loss ---"
PREFIX = "[magwb] "
CONTAINER_NAME = "MAG Workbench data (not a memo: keep it to re-import without loss)"
_NAMESPACE = uuid.UUID("0c4f7e1d-2a6b-5c8d-9e0f-1a2b3c4d5e6f")
_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r"}


def escape(value: str) -> str:
    """Escape a block value (backslash, line feed, carriage return)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def unescape(value: str) -> str:
    """Undo `escape`."""
    return re.sub(r"\\([\\nr])", lambda m: _UNESCAPE[m[1]], value)


def entry_fields(entry, language: str) -> list[tuple[str, str]]:
    """Return a code's fields (key, labels, definitions, seed terms), empty ones left out."""
    fields = [("language", language), ("key", entry.key)]
    for kind in ("label", "definition"):
        fields += [(f"{kind}_{lang}", getattr(entry, f"{kind}_{lang}")) for lang in LANGUAGES]
    fields += [(f"seed_terms_{lang}", "; ".join(terms)) for lang, terms in entry.seed_terms]
    return [(name, value) for name, value in fields if value]


def container_text(entries: Iterable, language: str) -> str:
    """Return the text of the marked container for `entries` (one group per code)."""
    lines = [SEPARATOR, f"{PREFIX}language={language}"]
    for entry in entries:
        lines.append(f"{PREFIX}code={entry.guid}")
        lines += [f"{PREFIX}{n}={escape(v)}" for n, v in entry_fields(entry, language)]
    return "\n".join(lines)


def container_guid(entries: Iterable) -> str:
    """Return a GUID for the container that is stable for the same codes."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(sorted(entry.guid for entry in entries))))


def is_container(text: str | None) -> bool:
    """Tell whether a Set description or Note text is our container."""
    return bool(text) and (text == SEPARATOR or text.startswith(SEPARATOR + "\n"))


def read_container(text: str) -> dict[str, dict[str, str]]:
    """Return each code's fields by lower-case GUID (the container's language included)."""
    codes: dict[str, dict[str, str]] = {}
    common: dict[str, str] = {}
    current = common
    for name, value in _lines(text[len(SEPARATOR) :]):
        if name == "code":
            current = codes.setdefault(value.strip().lower().strip("{}"), dict(common))
        else:
            current[name] = value
    return codes


def codes_by_name(container: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Index the container's codes by the name they were exported under (unique names only).

    Another program that re-exports a project may give the codes new GUIDs but keeps names.
    """
    names: dict[str, list[dict[str, str]]] = {}
    for fields in container.values():
        shown = fields.get(f"label_{fields.get('language')}") or fields.get("label_en")
        names.setdefault(shown or fields.get("key", ""), []).append(fields)
    return {name: found[0] for name, found in names.items() if len(found) == 1}


def split_description(text: str) -> tuple[str, dict[str, str] | None]:
    """Return the visible definition and an old-style trailing block's fields (or None)."""
    if is_container(text):
        visible, block = "", text[len(SEPARATOR) :]
    elif (at := text.rfind(f"\n\n{SEPARATOR}\n")) >= 0:
        visible, block = text[:at], text[at + 2 + len(SEPARATOR) :]
    else:
        return text, None
    return visible, dict(_lines(block))


def _lines(block: str) -> list[tuple[str, str]]:
    found = []
    for line in block.split("\n"):
        if line.startswith(PREFIX) and "=" in line:
            name, _, value = line.removeprefix(PREFIX).partition("=")
            found.append((name.strip(), unescape(value)))
    return found
