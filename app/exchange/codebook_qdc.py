"""Codebook exchange with other QDA software: REFI-QDA codebooks (.qdc), as pure functions.

A codebook travels as a list of `CodebookEntry` values (one per theme), converted from and to
`Theme` rows by the caller; CSV (`app.exchange.codebook_csv`) shares the rules here.

REFI-QDA has one name and one description per code. `export_qdc` writes the label and the
definition in the chosen language there (what other programs show as the code's memo), and
keeps everything else in one marked `<Set>` whose description is our container
(`app.exchange.codebook_block`). On import the container restores the key and the other
languages; a name or description edited in the other tool wins over it for the language the
file was exported in; older files with the block at the end of each description still read.
Files without the block (NVivo, ATLAS.ti, MAXQDA, QualCoder) get keys slugged from the code
names ("Vie privée" -> vie_privee, repeats _2, _3), the name as label in every language and
the description as definition in the import language. Colours, guids, nesting and sibling
order come from the XML; sets are ignored. So the round trip is exact for entries in tree
order (`tree_order`) with positions 0, 1, 2... per parent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from lxml import etree

from analysis import xml_safe
from app.exchange.codebook_block import (
    CONTAINER_NAME,
    codes_by_name,
    container_guid,
    container_text,
    is_container,
    read_container,
    split_description,
)
from app.platform.config import LANGUAGES
from app.studies.theme_keys import MAX_KEY, slugify, unique_key

NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "MAG Workbench"
SCHEMA = Path(__file__).with_name("schemas") / "refi-qda" / "Codebook.xsd"
DEFAULT_COLOUR = "#777777"
MAX_LABEL = 120  # Theme.label_* are String(120)
MAX_DEPTH = 12  # levels of nesting; deeper trees are almost surely a broken file
MAX_QDC_BYTES = 5 * 1024 * 1024
MAX_THEMES = 1_000  # per file: MAG codebooks hold tens; every theme is on the coding page

_SLUG = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
_COLOUR = re.compile(r"#[0-9a-f]{6}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

SeedTerms = tuple[tuple[str, tuple[str, ...]], ...]


class CodebookFormatError(ValueError):
    """A codebook file that cannot be imported; the message names the file, where, and the fix."""

    def __init__(
        self, source: str, message: str, *, line: int | None = None, row: int | None = None
    ) -> None:
        where = f", line {line}" if line else f", row {row}" if row else ""
        super().__init__(f"{source}{where}: {message}")
        self.source, self.line, self.row, self.message = source, line, row, message


@dataclass(frozen=True)
class CodebookEntry:
    """One theme as exchanged: plain, hashable values in canonical form.

    `seed_terms` is always `(("nl", terms), ("fr", terms), ("en", terms))` with each `terms` a
    tuple of stripped, non-empty strings without ";" or line breaks (they are joined with "; ");
    a mapping such as `Theme.seed_terms` is accepted too. `guid` is stored lower-case without
    braces and `colour` lower-case `#rrggbb`; other values raise ValueError. `key_given` is
    False when the key was made from another program's code name (it cannot contradict a GUID).
    """

    key: str
    guid: str
    label_nl: str = ""
    label_fr: str = ""
    label_en: str = ""
    definition_nl: str = ""
    definition_fr: str = ""
    definition_en: str = ""
    colour: str = DEFAULT_COLOUR
    parent_key: str | None = None
    position: int = 0
    seed_terms: SeedTerms = ()
    key_given: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        colour = self.colour.lower()
        if not _COLOUR.fullmatch(colour):
            raise ValueError(f"Theme {self.key!r}: colour {self.colour!r} is not #rrggbb.")
        object.__setattr__(self, "colour", colour)
        object.__setattr__(self, "guid", canonical_guid(self.guid))
        object.__setattr__(self, "seed_terms", _canonical_terms(self.key, self.seed_terms))

    def seed_terms_dict(self) -> dict[str, list[str]]:
        """Return the seed terms as stored on `Theme.seed_terms`."""
        return {lang: list(terms) for lang, terms in self.seed_terms}


def _canonical_terms(key: str, value: Mapping | Iterable) -> SeedTerms:
    given = dict(value.items() if isinstance(value, Mapping) else value)
    if unknown := set(given) - set(LANGUAGES):
        raise ValueError(f"Theme {key!r}: seed terms in unknown languages {sorted(unknown)}.")
    result = []
    for lang in LANGUAGES:
        terms = tuple(t.strip() for t in given.get(lang, ()) if t.strip())
        if any(re.search(r"[;\r\n]", term) for term in terms):
            raise ValueError(f"Theme {key!r}: a seed term contains ';' or a line break.")
        result.append((lang, terms))
    return tuple(result)


def default_language_label(entry: CodebookEntry, language: str) -> str:
    """Return the label in `language`, falling back to English, then to the key."""
    return getattr(entry, f"label_{language}") or entry.label_en or entry.key


def canonical_guid(value: str) -> str:
    """Return a GUID lower-case without braces; raise ValueError unless it is UUID-shaped."""
    guid = value.strip().lower()
    guid = guid[1:-1] if guid.startswith("{") and guid.endswith("}") else guid
    if not _UUID.fullmatch(guid):
        raise ValueError(f"{value!r} is not a GUID like 3f2b8c1e-0d4a-4e9b-9a57-2c1d0e6f7a80.")
    return guid


def is_slug(key: str) -> bool:
    """Tell whether `key` is a theme key: a-z, 0-9 and single inner underscores, ≤ 60 chars."""
    return len(key) <= MAX_KEY and _SLUG.fullmatch(key) is not None


def split_terms(text: str) -> tuple[str, ...]:
    """Split seed terms written as "a; b; c" (line breaks also separate terms)."""
    return tuple(term.strip() for term in re.split(r"[;\r\n]", text) if term.strip())


def tree_order(entries: Sequence[CodebookEntry]) -> list[CodebookEntry]:
    """Return entries depth-first, parents before children, siblings by position (stable)."""
    keys = {entry.key for entry in entries}
    if len(keys) != len(entries):
        raise ValueError("Theme keys must be unique within a codebook.")
    children: dict[str | None, list[CodebookEntry]] = defaultdict(list)
    for entry in entries:
        if entry.parent_key is not None and entry.parent_key not in keys:
            raise ValueError(f"Theme {entry.key!r} has parent {entry.parent_key!r}, not listed.")
        children[entry.parent_key].append(entry)
    ordered: list[CodebookEntry] = []
    stack = sorted(children[None], key=lambda e: e.position, reverse=True)
    while stack:
        entry = stack.pop()
        ordered.append(entry)
        stack.extend(sorted(children[entry.key], key=lambda e: e.position, reverse=True))
    if len(ordered) != len(entries):
        raise ValueError("The parent links of the codebook form a cycle.")
    return ordered


def export_qdc(entries: Sequence[CodebookEntry], *, language: str) -> bytes:
    """Write the codebook as REFI-QDA codebook XML (UTF-8), named in `language`, via xml_safe."""
    _check_language(language)
    ordered = tree_order(entries)
    if not ordered:
        raise ValueError("A REFI-QDA codebook needs at least one code.")
    root = etree.Element(_q("CodeBook"), nsmap={None: NS}, origin=ORIGIN)
    parents = {None: etree.SubElement(root, _q("Codes"))}
    for entry in ordered:
        code = etree.SubElement(
            parents[entry.parent_key],
            _q("Code"),
            guid=entry.guid,
            name=xml_safe(default_language_label(entry, language)),
            isCodable="true",
            color=entry.colour.upper(),
        )
        etree.SubElement(code, _q("Description")).text = xml_safe(_description(entry, language))
        parents[entry.key] = code
    data_set = etree.SubElement(
        etree.SubElement(root, _q("Sets")),
        _q("Set"),
        guid=container_guid(ordered),
        name=CONTAINER_NAME,
    )
    etree.SubElement(data_set, _q("Description")).text = xml_safe(container_text(ordered, language))
    for entry in ordered:
        etree.SubElement(data_set, _q("MemberCode"), guid=entry.guid)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", pretty_print=True
    )


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _description(entry: CodebookEntry, language: str) -> str:
    """Return what other programs show as the code's memo: the definition, nothing else."""
    return getattr(entry, f"definition_{language}")


class _Code(NamedTuple):
    element: etree._Element
    parent: int | None  # index of the parent code in the walk, None at the top
    position: int
    visible: str
    fields: dict[str, str] | None


def import_qdc(
    data: bytes, *, source: str, language: str, warnings: list | None = None
) -> list[CodebookEntry]:
    """Read a REFI-QDA codebook from any tool, in tree order; raise CodebookFormatError.

    What a known program writes wrongly but can be read unambiguously (Taguette's empty
    `<Sets/>`) is skipped with a message appended to `warnings`.
    """
    _check_language(language)
    root = _parse_qdc(data, source, [] if warnings is None else warnings)
    if (count := sum(1 for _code in root.iter(_q("Code")))) > MAX_THEMES:
        message = f"the codebook holds {count:,} codes; a study takes at most {MAX_THEMES:,}"
        raise CodebookFormatError(source, f"{message} per file. Import it in parts.")
    codes = _walk(root.find(_q("Codes")), source, _container(root))
    keys = _assign_keys(codes, source)
    entries, guids = [], {}
    for code, key in zip(codes, keys, strict=True):
        line = code.element.sourceline
        entry = _entry(code, key, None if code.parent is None else keys[code.parent], language)
        if entry.guid in guids:
            message = f"this code repeats the guid of line {guids[entry.guid]}; give it its own."
            raise CodebookFormatError(source, message, line=line)
        if any(len(getattr(entry, f"label_{lang}")) > MAX_LABEL for lang in LANGUAGES):
            message = f"the code name is longer than {MAX_LABEL} characters; shorten it."
            raise CodebookFormatError(source, message, line=line)
        guids[entry.guid] = line
        entries.append(entry)
    return entries


def _container(root: etree._Element) -> dict[str, dict[str, str]]:
    """Return our container's fields by code GUID, from the marked Set (empty without one)."""
    for description in root.iterfind(f"{_q('Sets')}/{_q('Set')}/{_q('Description')}"):
        if is_container(description.text):
            return read_container(description.text)
    return {}


def empty_sets_warning(source: str, line: int) -> str:
    """Say that an empty <Sets/> was skipped (Taguette writes one; the schema wants a Set)."""
    return _l(
        "%(file)s, line %(line)d: the element <Sets/> is empty, which the REFI-QDA schema "
        "does not allow (Taguette writes it); it was ignored.",
        file=source,
        line=line,
    )


def _parse_qdc(data: bytes, source: str, warnings: list) -> etree._Element:
    if len(data) > MAX_QDC_BYTES:
        message = f"the file is over {MAX_QDC_BYTES // 2**20} MB; choose a codebook (.qdc)."
        raise CodebookFormatError(source, message)
    refused = (
        "document type declarations and entities (<!DOCTYPE ...>) are refused for safety; "
        "export the codebook again as a plain REFI-QDA .qdc file."
    )
    if (at := data.find(b"<!DOCTYPE")) >= 0:
        raise CodebookFormatError(source, refused, line=data.count(b"\n", 0, at) + 1)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        reason = re.sub(r", line \d+, column \d+$", "", e.msg or "the file is empty")
        message = f"this is not well-formed XML ({reason}); choose a REFI-QDA codebook (.qdc)."
        raise CodebookFormatError(source, message, line=e.lineno or 1) from e
    if root.getroottree().docinfo.internalDTD is not None:  # a DOCTYPE in UTF-16, say
        raise CodebookFormatError(source, refused, line=1)
    if root.tag != _q("CodeBook"):
        message = f"the root element is not a REFI-QDA CodeBook ({NS}); export a codebook (.qdc)."
        raise CodebookFormatError(source, message, line=root.sourceline)
    for sets in root.findall(_q("Sets")):
        if len(sets) == 0 and not (sets.text or "").strip():
            warnings.append(empty_sets_warning(source, sets.sourceline))
            root.remove(sets)
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log[0]
        message = f"this breaks the REFI-QDA codebook schema: {error.message} Correct it."
        raise CodebookFormatError(source, message, line=error.line)
    return root


@cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


def _walk(codes: etree._Element, source: str, container: dict | None = None) -> list[_Code]:
    """List the codes depth-first, parents first, each with its parent's index in the list.

    A code's fields come from our container when it has the code's GUID (then the whole
    description is the visible definition), else from an old-style block in the description.
    """
    found: list[_Code] = []
    present = {canonical_guid(code.get("guid", "")) for code in codes.iter(_q("Code"))}
    container = container or {}
    orphans = codes_by_name({g: f for g, f in container.items() if g not in present})
    stack = _children(codes, None, 1)
    while stack:
        element, parent, position, depth = stack.pop()
        if depth > MAX_DEPTH:
            message = f"codes are nested more than {MAX_DEPTH} levels deep; flatten the tree."
            raise CodebookFormatError(source, message, line=element.sourceline)
        if not element.get("name", "").strip():
            message = "this code has an empty name; name it in the other program."
            raise CodebookFormatError(source, message, line=element.sourceline)
        description = element.findtext(_q("Description")) or ""
        fields = container.get(canonical_guid(element.get("guid")))
        if fields is None and orphans:  # another program gave the codes new GUIDs
            fields = orphans.get(element.get("name", "").strip())
        visible = description
        if fields is None:
            visible, fields = split_description(description)
        found.append(_Code(element, parent, position, visible, fields))
        stack.extend(_children(element, len(found) - 1, depth + 1))
    return found


def _children(element: etree._Element, index: int | None, depth: int) -> list[tuple]:
    """Return (code, parent index, position, depth) for the child codes, last first (a stack)."""
    codes = element.findall(_q("Code"))
    return [(code, index, position, depth) for position, code in enumerate(codes)][::-1]


def _assign_keys(codes: list[_Code], source: str) -> list[str]:
    """Keep the keys of our blocks, slug the other names; repeats get _2, _3..."""
    taken: set[str] = set()
    keys: list[str | None] = [None] * len(codes)
    # Stable keys first, so a slug made from another code's name never displaces one.
    for index, code in enumerate(codes):
        key = (code.fields or {}).get("key")
        if key is not None:
            if not is_slug(key):
                message = f"the [magwb] key {key!r} is not a-z, 0-9 and underscores; fix it."
                raise CodebookFormatError(source, message, line=code.element.sourceline)
            keys[index] = unique_key(key, taken)
    for index, code in enumerate(codes):
        if keys[index] is None:
            keys[index] = unique_key(slugify(code.element.get("name")), taken)
    return keys


def _entry(code: _Code, key: str, parent_key: str | None, language: str) -> CodebookEntry:
    name = code.element.get("name")
    if code.fields is None:  # another program's code: the name serves every language
        labels = dict.fromkeys(LANGUAGES, name.strip())
        definitions = {lang: code.visible if lang == language else "" for lang in LANGUAGES}
        terms: dict[str, tuple[str, ...]] = {}
    else:
        fields = code.fields
        labels = {lang: fields.get(f"label_{lang}", "") for lang in LANGUAGES}
        definitions = {lang: fields.get(f"definition_{lang}", "") for lang in LANGUAGES}
        terms = {lang: split_terms(fields.get(f"seed_terms_{lang}", "")) for lang in LANGUAGES}
        # The name and description are what the other program shows and lets people edit.
        shown = fields["language"] if fields.get("language") in LANGUAGES else language
        if name != (labels[shown] or labels["en"] or key):
            labels[shown] = name
        definitions[shown] = code.visible
    return CodebookEntry(
        key=key,
        guid=canonical_guid(code.element.get("guid")),
        colour=_colour(code.element.get("color")),
        parent_key=parent_key,
        position=code.position,
        seed_terms=terms,
        key_given="key" in (code.fields or {}),
        **{f"label_{lang}": labels[lang] for lang in LANGUAGES},
        **{f"definition_{lang}": definitions[lang] for lang in LANGUAGES},
    )


def _colour(value: str | None) -> str:
    """Return a schema-valid colour (#RGB or #RRGGBB, any case) as lower-case #rrggbb."""
    if not value:
        return DEFAULT_COLOUR
    digits = value.strip().lower()[1:]
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)
