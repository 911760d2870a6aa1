"""The import report: what a .qdpx held that could not be mapped, as translated sentences.

Each method adds one warning; messages name the file, the element or line and
the source, never passage text.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

# Sources that do not become sessions, named for the report.
MEDIA_KINDS = {
    "PDFSource": _l("PDF"),
    "PictureSource": _l("picture"),
    "AudioSource": _l("audio"),
    "VideoSource": _l("video"),
}


class Report:
    """Warnings gathered while reading one project (`source` is the uploaded file's name)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []

    def case_renamed(self, line: int, name: str, pseudonym: str) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: the case “%(name)s” repeats another case's "
                "name; it was imported as the participant “%(pseudonym)s”.",
                file=self.source,
                line=line,
                name=name,
                pseudonym=pseudonym,
            )
        )

    def value_without_variable(self, line: int) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: this value refers to no variable; "
                "it was left out.",
                file=self.source,
                line=line,
            )
        )

    def media_source(self, line: int, kind: str, name: str) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: the %(kind)s source “%(name)s” was not "
                "imported; only text sources become sessions.",
                file=self.source,
                line=line,
                kind=kind,
                name=name,
            )
        )

    def external_source(self, line: int, name: str, path: str) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: the text source “%(name)s” refers to a file "
                "outside the project (%(path)s); it was not imported.",
                file=self.source,
                line=line,
                name=name,
                path=path,
            )
        )

    def no_plain_text(self, line: int, name: str) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: the text source “%(name)s” has no plain "
                "text; it was not imported. Export it again with its plain text.",
                file=self.source,
                line=line,
                name=name,
            )
        )

    def missing_note(self, line: int) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: this note reference points to no note; "
                "it was ignored.",
                file=self.source,
                line=line,
            )
        )

    def long_memo(self, line: int, limit: int) -> None:
        self.warnings.append(
            _(
                "%(file)s, project.qde, line %(line)d: the notes of this selection are longer than "
                "%(max)d characters; the memo keeps the first %(max)d.",
                file=self.source,
                line=line,
                max=limit,
            )
        )

    def block_mismatch(self, name: str) -> None:
        self.warnings.append(
            _(
                "%(file)s: the MAG Workbench data of the source “%(name)s” does not match "
                "its text; the text was split into passages by line instead.",
                file=self.source,
                name=name,
            )
        )

    def no_headings(self, name: str, phase: int) -> None:
        self.warnings.append(
            _(
                "%(file)s: the source “%(name)s” has no phase headings; its passages were "
                "put in phase %(phase)d.",
                file=self.source,
                name=name,
                phase=phase,
            )
        )

    def unattributed(self, num: int, name: str, pseudonym: str) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d passage of the source “%(name)s” has a speaker who is "
                "not one of the project's cases; it was attributed to the participant "
                "“%(pseudonym)s”. Reassign it in the session editor.",
                "%(file)s: %(num)d passages of the source “%(name)s” have a speaker who "
                "is not one of the project's cases; they were attributed to the participant "
                "“%(pseudonym)s”. Reassign them in the session editor.",
                num,
                file=self.source,
                name=name,
                pseudonym=pseudonym,
            )
        )

    def split(self, num: int, name: str) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d selection in the source “%(name)s” spans several "
                "passages; it became one coding per passage.",
                "%(file)s: %(num)d selections in the source “%(name)s” span several "
                "passages; each became one coding per passage.",
                num,
                file=self.source,
                name=name,
            )
        )

    def clipped(self, num: int, name: str) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d selection in the source “%(name)s” includes a speaker "
                "name, a heading or a line break; it was clipped to the passage text.",
                "%(file)s: %(num)d selections in the source “%(name)s” include speaker "
                "names, headings or line breaks; they were clipped to the passage text.",
                num,
                file=self.source,
                name=name,
            )
        )

    def uncovered(self, num: int, name: str) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d selection in the source “%(name)s” covers no passage "
                "text (only headings, speaker names or blank lines); it was not imported.",
                "%(file)s: %(num)d selections in the source “%(name)s” cover no passage "
                "text (only headings, speaker names or blank lines); they were not imported.",
                num,
                file=self.source,
                name=name,
            )
        )

    def whole_codings(self, num: int) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d coding of a whole source or case was not imported; only "
                "codings of text selections are.",
                "%(file)s: %(num)d codings of whole sources or cases were not imported; "
                "only codings of text selections are.",
                num,
                file=self.source,
            )
        )

    def unattached_notes(self, num: int) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d note is not attached to a coded text selection (a note "
                "on the project, a source, a code or a statement); it was not imported.",
                "%(file)s: %(num)d notes are not attached to a coded text selection (notes "
                "on the project, sources, codes or statements); they were not imported.",
                num,
                file=self.source,
            )
        )

    def extras(self, num: int) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d set, link or graph was not imported.",
                "%(file)s: %(num)d sets, links and graphs were not imported.",
                num,
                file=self.source,
            )
        )

    def users(self, names: list[str]) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: no account here is named %(names)s; the codings of this coder "
                "were imported without a coder.",
                "%(file)s: no accounts here are named %(names)s; the codings of these "
                "coders were imported without a coder.",
                len(names),
                file=self.source,
                names=", ".join(names),
            )
        )

    def block_links(self, num: int) -> None:
        self.warnings.append(
            ngettext(
                "%(file)s: %(num)d consent, statement or quote link of our study data did not "
                "fit the imported sessions, participants or codings; it was left out.",
                "%(file)s: %(num)d consents, statements or quote links of our study data did "
                "not fit the imported sessions, participants or codings; they were left out.",
                num,
                file=self.source,
            )
        )
