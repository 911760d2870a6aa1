"""Opening an untrusted .qdpx: zip checks before anything is inflated, then safe XML.

Every check runs before the project is interpreted, and every refusal is a
`QdpxError` naming the file, the zip member and, for XML, the line.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from lxml import etree

from app.platform.files import ZIP_DAMAGE
from app.platform.forms import ValidationError

PROJECT_NS = "urn:QDA-XML:project:1.0"
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "refi-qda" / "Project.xsd"
PROJECT_MEMBER = "project.qde"

# Limits. A 20-session study exports to about 5 MB of XML and 2 MB of text; a
# QDA project with its media (PDF, pictures, audio) can be large, but media
# members are never inflated, only their declared sizes count against the total.
MAX_ARCHIVE_BYTES = 512 * 2**20  # the .qdpx file itself
MAX_MEMBERS = 10_000
MAX_TOTAL_SIZE = 2 * 2**30  # declared uncompressed size of all members together
MAX_RATIO = 200  # declared size / compressed size, for members above RATIO_FLOOR
RATIO_FLOOR = 2**20  # small members cannot bomb, and their ratios are noisy
MAX_PROJECT_BYTES = 100 * 2**20  # project.qde, inflated
MAX_SOURCE_BYTES = 10 * 2**20  # one plain-text source or note file, inflated
MAX_READ_BYTES = 256 * 2**20  # everything read from one archive together
MAX_SCHEMA_ERRORS = 3
_DRIVE = re.compile(r"^[A-Za-z]:")
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_CHUNK = 64 * 1024


class QdpxError(ValidationError):
    """A .qdpx project that cannot be imported; the message names the file, member and line."""

    def __init__(
        self, source: str, problem, *, member: str | None = None, line: int | None = None
    ) -> None:
        if member and line:
            message = _l(
                "%(file)s, %(member)s, line %(line)d: %(problem)s",
                file=source,
                member=member,
                line=line,
                problem=problem,
            )
        elif member:
            message = _l(
                "%(file)s, %(member)s: %(problem)s", file=source, member=member, problem=problem
            )
        else:
            message = _l("%(file)s: %(problem)s", file=source, problem=problem)
        super().__init__(message, "file")
        self.source, self.member, self.line = source, member, line


def unsafe_name(name: str) -> bool:
    """Tell whether a member or path name could escape the archive (or is not portable)."""
    return (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or _DRIVE.match(name) is not None
        or ".." in name.split("/")
    )


class Archive:
    """A checked .qdpx zip: member names and sizes were vetted before any member was read."""

    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        if len(data) > MAX_ARCHIVE_BYTES:
            problem = _l(
                "the file is larger than %(mb)d MB; export the project without media files.",
                mb=MAX_ARCHIVE_BYTES // 2**20,
            )
            raise QdpxError(source, problem)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = self._zip.infolist()
        except ZIP_DAMAGE as error:
            problem = _l(
                "this is not a REFI-QDA project (.qdpx): it is not a zip archive. "
                "Export the project again as .qdpx."
            )
            raise QdpxError(source, problem) from error
        self._check(members)
        self.members = {m.filename: m for m in members}
        self.bytes_read = 0
        if len(self.members) != len(members):
            problem = _l(
                "the archive holds two files with the same name; export the project again."
            )
            raise QdpxError(source, problem)
        if PROJECT_MEMBER not in self.members:
            problem = _l(
                "the archive has no project.qde at its top level, so it is not a REFI-QDA "
                "project. Export the project again as .qdpx."
            )
            raise QdpxError(source, problem)

    def _check(self, members: list[zipfile.ZipInfo]) -> None:
        bomb = _l(
            "the archive would expand to more than %(mb)d MB or %(count)d files, or one of its "
            "files is compressed suspiciously well (a zip bomb?); it was not opened.",
            mb=MAX_TOTAL_SIZE // 2**20,
            count=MAX_MEMBERS,
        )
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_TOTAL_SIZE:
            raise QdpxError(self.source, bomb)
        for member in members:
            if unsafe_name(member.filename):
                problem = _l(
                    "the archive holds a file name that points outside it (“..”, an absolute "
                    "path, a drive letter or a backslash); it was not opened."
                )
                raise QdpxError(self.source, problem, member=member.filename)
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise QdpxError(self.source, bomb, member=member.filename)
            if member.compress_type not in _METHODS or member.flag_bits & 0x1:
                problem = _l(
                    "this file is encrypted or compressed in a way QDA programs do not use; "
                    "export the project again without a password."
                )
                raise QdpxError(self.source, problem, member=member.filename)

    def read(self, name: str, limit: int, *, line: int | None = None) -> bytes:
        """Return a member's bytes, refusing more than `limit` bytes even if its header lies."""
        member = self.members.get(name)
        if member is None:
            problem = _l(
                "the project refers to the file %(name)s, which is not in the archive; "
                "export the project again with its sources.",
                name=name,
            )
            raise QdpxError(self.source, problem, member=PROJECT_MEMBER, line=line)
        too_big = _l(
            "this file is larger than %(mb)d MB once unpacked; it was not read.",
            mb=max(limit // 2**20, 1),
        )
        if member.file_size > limit:
            raise QdpxError(self.source, too_big, member=name)
        chunks, size = [], 0
        try:
            with self._zip.open(member) as handle:
                while chunk := handle.read(_CHUNK):
                    size += len(chunk)
                    if size > limit or size > member.file_size:
                        raise QdpxError(self.source, too_big, member=name)
                    if self.bytes_read + size > MAX_READ_BYTES:
                        problem = _l(
                            "the project's texts add up to more than %(mb)d MB; import it in "
                            "parts.",
                            mb=MAX_READ_BYTES // 2**20,
                        )
                        raise QdpxError(self.source, problem, member=name)
                    chunks.append(chunk)
        except QdpxError:
            raise
        except ZIP_DAMAGE as error:
            problem = _l("this file is damaged in the archive (%(reason)s).", reason=str(error))
            raise QdpxError(self.source, problem, member=name) from error
        self.bytes_read += size
        return b"".join(chunks)


def parse_project(data: bytes, source: str, warnings: list | None = None) -> etree._Element:
    """Parse project.qde with entities, DTDs and network off, and validate it against the XSD.

    Mistakes of known programs that lose no data (QualCoder's `creationDateTime="nowTZ"`, an
    empty `<Sets/>`) are removed before validation, each with a warning naming the element.
    """
    refused = _l(
        "document type declarations and entities (<!DOCTYPE ...>) are refused for safety; "
        "export the project again as .qdpx."
    )
    if (at := data.find(b"<!DOCTYPE")) >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise QdpxError(source, refused, member=PROJECT_MEMBER, line=line)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        reason = re.sub(r", line \d+, column \d+$", "", error.msg or "empty file")
        problem = _l(
            "this is not well-formed XML (%(reason)s); export the project again as .qdpx.",
            reason=reason,
        )
        raise QdpxError(source, problem, member=PROJECT_MEMBER, line=error.lineno or 1) from error
    if root.getroottree().docinfo.internalDTD is not None:  # a DOCTYPE in UTF-16, say
        raise QdpxError(source, refused, member=PROJECT_MEMBER, line=1)
    _forgive(root, source, [] if warnings is None else warnings)
    schema = project_schema()
    if not schema.validate(root):
        errors = list(schema.error_log)[:MAX_SCHEMA_ERRORS]
        details = "; ".join(f"line {e.line}: {e.message}" for e in errors)
        problem = _l(
            "this does not follow the REFI-QDA project schema (%(details)s). "
            "Export the project again from your QDA program.",
            details=details,
        )
        raise QdpxError(source, problem, member=PROJECT_MEMBER, line=errors[0].line)
    return root


_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_DATED = ("creationDateTime", "modifiedDateTime")


def _forgive(root: etree._Element, source: str, warnings: list) -> None:
    """Drop unreadable dates (metadata only) and empty <Sets/>; say which, where."""
    bad: dict[tuple[str, str], list] = {}
    for element in root.iter(etree.Element):
        for name in _DATED:
            value = element.get(name)
            if value is not None and not _DATETIME.fullmatch(value.strip()):
                tag = etree.QName(element).localname
                bad.setdefault((tag, name), []).append((element.sourceline, value))
                del element.attrib[name]
    for (tag, name), found in bad.items():
        warnings.append(
            _l(
                "%(file)s, line %(line)d: %(count)d <%(element)s> elements have %(attribute)s="
                '"%(value)s", which is not a date; the date was left out.',
                file=source,
                line=found[0][0],
                count=len(found),
                element=tag,
                attribute=name,
                value=found[0][1][:40],
            )
        )
    for sets in root.findall(q("Sets")):
        if len(sets) == 0:
            root.remove(sets)
            warnings.append(
                _l(
                    "%(file)s, line %(line)d: the element <Sets/> is empty, which the REFI-QDA "
                    "schema does not allow; it was ignored.",
                    file=source,
                    line=sets.sourceline,
                )
            )


@cache
def project_schema() -> etree.XMLSchema:
    """Return the vendored REFI-QDA Project.xsd, loaded once."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


def q(tag: str) -> str:
    """Return `tag` in the REFI-QDA project namespace."""
    return f"{{{PROJECT_NS}}}{tag}"


def timestamp(value: datetime | None) -> str | None:
    """Return an xsd:dateTime in UTC (stored datetimes are UTC, naive or aware)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"
