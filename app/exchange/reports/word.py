"""A thin writer over python-docx: styles resolved once, tables, fields, pictures, metadata.

python-docx looks a style name up among all styles on every `style="Heading 1"`;
with thousands of paragraphs that lookup dominates the run time (NLP-NOTES), so
`Writer` resolves each style object once and passes objects, never names.
"""

from __future__ import annotations

import io
import re
import zipfile
from copy import deepcopy
from datetime import UTC, datetime
from functools import cache
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt
from lxml.etree import XMLSyntaxError

from analysis import xml_safe
from app.platform.files import ZIP_DAMAGE

AUTHOR = "MAG Workbench"
TABLE_FONT_HALF_POINTS = 18  # 9 pt
_NUMBER_TEXT = re.compile(r"[-−]?\d[\d.,\u00a0\u202f ]*%?")
_TEMPLATE_TYPE = b"wordprocessingml.template.main+xml"
_DOCUMENT_TYPE = b"wordprocessingml.document.main+xml"
# Children of w:rPr that must follow w:lang (ECMA-376 sequence).
_AFTER_LANG = {qn("w:eastAsianLayout"), qn("w:specVanish"), qn("w:oMath")}
LANGUAGE_TAGS = {"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB"}
PARAGRAPH_STYLES = {
    "title": "Title",
    "subtitle": "Subtitle",
    "h1": "Heading 1",
    "h2": "Heading 2",
    "h3": "Heading 3",
    "h4": "Heading 4",
    "normal": "Normal",
    "bullet": "List Bullet",
    "bullet2": "List Bullet 2",
    "quote": "Quote",
    "caption": "Caption",
    "toc_heading": "TOC Heading",
}


def clean(text: str) -> str:
    """Return text python-docx can write: what XML cannot carry becomes U+FFFD.

    Every string the report writes passes here (`Writer.paragraph`, `Writer.run`, table
    cells, metadata): python-docx refuses a whole string holding one such character, and
    text stored before the input rules refused them must not make the report fail.
    """
    return xml_safe(text)


class BadReference(ValueError):
    """The reference document is not a readable Word document or template."""


def _open_reference(reference: bytes):
    """Open a researcher's .docx or .dotx (python-docx refuses templates by content type)."""
    from app.capture.formats.turns import TranscriptError
    from app.capture.formats.word import check_zip

    try:  # the same zip-bomb and path checks as uploaded Word transcripts, before inflating
        check_zip(reference, source="reference")
    except TranscriptError as error:
        raise BadReference(str(error)) from error
    try:
        with zipfile.ZipFile(io.BytesIO(reference)) as package:
            types = package.read("[Content_Types].xml")
            if _TEMPLATE_TYPE in types:
                out = io.BytesIO()
                with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                    for item in package.infolist():
                        data = package.read(item.filename)
                        if item.filename == "[Content_Types].xml":
                            data = data.replace(_TEMPLATE_TYPE, _DOCUMENT_TYPE)
                        copy.writestr(item, data)
                reference = out.getvalue()
        return Document(io.BytesIO(reference))
    except (*ZIP_DAMAGE, KeyError, XMLSyntaxError) as error:
        raise BadReference(str(error)) from error


@cache
def _default_styles() -> bytes:
    """Return python-docx's default styles part, the source for styles a reference lacks."""
    return Document().styles.element.xml.encode()


def _borrow_style(document, name: str, style_type: WD_STYLE_TYPE):
    """Copy a built-in style missing from a reference document out of the default template."""
    source = parse_xml(_default_styles())
    for element in source.findall(qn("w:style")):
        name_el = element.find(qn("w:name"))
        if name_el is None or name_el.get(qn("w:val")).lower() != name.lower():
            continue
        element = deepcopy(element)
        # The reference has neither our numbering definitions nor our linked char styles.
        for path in ("w:pPr/w:numPr", "w:link"):
            for found in element.findall(path, element.nsmap):
                found.getparent().remove(found)
        based_on = element.find(qn("w:basedOn"))
        if (
            based_on is not None
            and document.styles.element.get_by_id(based_on.get(qn("w:val"))) is None
        ):
            element.remove(based_on)
        document.styles.element.append(element)
        return document.styles[name]
    return document.styles.default(style_type)


class Writer:
    """Build one .docx: from a reference document's styles, or python-docx's defaults."""

    def __init__(self, reference: bytes | None, language: str) -> None:
        self.document = _open_reference(reference) if reference else Document()
        if reference:
            body = self.document.element.body
            for child in list(body):
                if child.tag != qn("w:sectPr"):  # keep the page setup, drop the content
                    body.remove(child)
        if not reference:  # python-docx's template is US Letter; the users are in Belgium
            section = self.document.sections[-1]
            section.page_width, section.page_height = Cm(21.0), Cm(29.7)
            section.left_margin = section.right_margin = Cm(2.2)
        self.language = language
        self.styles = {
            key: self._style(name, WD_STYLE_TYPE.PARAGRAPH)
            for key, name in PARAGRAPH_STYLES.items()
        }
        self.table_style = self._style("Table Grid", WD_STYLE_TYPE.TABLE)
        default = self.document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        default_id = default.style_id if default is not None else None
        self.style_ids = {
            key: None if style.style_id == default_id else style.style_id
            for key, style in self.styles.items()
        }
        section = self.document.sections[-1]
        self.text_width = Emu(section.page_width - section.left_margin - section.right_margin)
        self._toc = None  # the TOC field's paragraph and placeholder run, once placed
        self._toc_entries: list[tuple[int, str]] = []

    def _style(self, name: str, style_type: WD_STYLE_TYPE):
        try:
            style = self.document.styles[name]
        except KeyError:
            return _borrow_style(self.document, name, style_type)
        return style if style.type == style_type else self.document.styles.default(style_type)

    def paragraph(self, text: str = "", style: str = "normal"):
        """Add a paragraph in one of the resolved styles."""
        paragraph = self.document.add_paragraph(clean(text))
        style_id = self.style_ids[style]
        if style_id is not None:
            # Set the id directly: even given a style object, python-docx scans every style
            # of the document per paragraph to find the default one (3 ms × 700 paragraphs).
            paragraph._p.style = style_id
        return paragraph

    def run(self, paragraph, text: str):
        """Add a run of text to a paragraph (the only way other modules add text to one)."""
        return paragraph.add_run(clean(text))

    def heading(self, text: str, level: int, *, new_page: bool = False):
        """Add a heading with the built-in "Heading N" style (N capped at 4)."""
        paragraph = self.paragraph(text, f"h{min(max(level, 1), 4)}")
        if level <= 3:
            self._toc_entries.append((level, clean(text)))
        if new_page:
            paragraph.paragraph_format.page_break_before = True
        return paragraph

    def page_break(self) -> None:
        """Start a new page."""
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def toc(self, placeholder: str) -> None:
        """Add a table-of-contents field (headings 1–3) that Word fills on "Update field"."""
        paragraph = self.paragraph()
        parts = [("begin", None), (None, ' TOC \\o "1-3" \\h \\z \\u '), ("separate", None)]
        for kind, instruction in parts:
            run = OxmlElement("w:r")
            if kind:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run.append(char)
            else:
                text = OxmlElement("w:instrText")
                text.set(qn("xml:space"), "preserve")
                text.text = instruction
                run.append(text)
            paragraph._p.append(run)
        placeholder_run = self.run(paragraph, placeholder)
        placeholder_run.italic = True
        self._toc = (paragraph, placeholder_run)

    def _fill_toc(self) -> None:
        """Write the headings as the TOC field's result, so every reader shows them.

        LibreOffice and Word show a field's last result until it is updated; Word updates it
        on opening (w:updateFields), adding page numbers. The field ends after the last entry.
        """
        if self._toc is None:
            return
        paragraph, placeholder = self._toc
        last = paragraph
        if self._toc_entries:
            placeholder._r.getparent().remove(placeholder._r)
            for index, (level, text) in enumerate(self._toc_entries):
                if index == 0:
                    target = paragraph
                else:
                    target = self.document.add_paragraph()
                    last._p.addnext(target._p)
                target.paragraph_format.left_indent = Cm(0.6 * (level - 1))
                target.paragraph_format.space_after = Pt(2)
                target.add_run(text).bold = level == 1
                last = target
        end = OxmlElement("w:r")
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), "end")
        end.append(char)
        last._p.append(end)
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        self.document.settings.element.append(update)

    def page_numbers(self) -> None:
        """Put the page number (a PAGE field) centred in every page's footer."""
        for section in self.document.sections:
            footer = section.footer
            if footer._element.xpath(".//w:fldSimple | .//w:instrText"):
                continue  # the reference document numbers its pages already
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            field = OxmlElement("w:fldSimple")
            field.set(qn("w:instr"), " PAGE ")
            run = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.text = "1"
            run.append(text)
            field.append(run)
            paragraph._p.append(field)

    def table(
        self,
        header: list[str],
        rows: list[list],
        widths: list[float] | None = None,
        *,
        first_width: float | None = None,
    ) -> None:
        """Add a real Word table; the header row repeats on each page; numbers align right.

        The table is written as one XML string and parsed once: building it cell by cell
        through python-docx costs about 1 ms per cell.
        """
        if widths is None and first_width is not None:
            rest = (self.text_width.cm - first_width) / max(len(header) - 1, 1)
            widths = [first_width] + [rest] * (len(header) - 1)
        twips = [round(w * 567) for w in widths] if widths else None
        style = escape(self.table_style.style_id or "", {'"': "&quot;"})
        layout = '<w:tblLayout w:type="fixed"/>' if twips else ""
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips or [1] * len(header))
        parts = [
            f"<w:tbl {nsdecls('w')}><w:tblPr>"
            + (f'<w:tblStyle w:val="{style}"/>' if style else "")
            + f'<w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>{layout}'
            + '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1"'
            + ' w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
            + f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
        ]
        for index, values in enumerate([header, *rows]):
            parts.append("<w:tr>")
            if index == 0:
                parts.append('<w:trPr><w:tblHeader w:val="true"/></w:trPr>')
            for position, value in enumerate(values):
                parts.append(self._cell(value, twips[position] if twips else None, index == 0))
            parts.append("</w:tr>")
        parts.append("</w:tbl>")
        table = parse_xml("".join(parts))
        body = self.document.element.body
        if body.sectPr is not None:
            body.sectPr.addprevious(table)
        else:
            body.append(table)
        self.paragraph()  # keep the next table or heading from touching this one

    @staticmethod
    def _cell(value, width: int | None, bold: bool) -> str:
        # Localised numbers arrive as text ("0,39", "96 %"): align them like numbers.
        number = not bold and (
            isinstance(value, int | float) or bool(_NUMBER_TEXT.fullmatch(str(value)))
        )
        lines = [escape(line) for line in clean(str(value)).split("\n")]
        text = "<w:br/>".join(f'<w:t xml:space="preserve">{line}</w:t>' for line in lines)
        run_properties = ("<w:b/>" if bold else "") + f'<w:sz w:val="{TABLE_FONT_HALF_POINTS}"/>'
        return (
            "<w:tc>"
            + (f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>' if width else "")
            + "<w:p>"
            + ('<w:pPr><w:jc w:val="right"/></w:pPr>' if number else "")
            + f"<w:r><w:rPr>{run_properties}</w:rPr>{text}</w:r></w:p></w:tc>"
        )

    def picture(self, png: bytes, *, width_cm: float, alt: str, caption: str) -> None:
        """Add a centred image with alt text (docPr descr) and a visible caption below it."""
        paragraph = self.paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        width = min(Cm(width_cm), self.text_width)
        shape = paragraph.add_run().add_picture(io.BytesIO(png), width=width)
        shape._inline.docPr.set("descr", clean(alt))
        self.paragraph(caption, "caption")

    def save(self, *, title: str, subject: str) -> bytes:
        """Set the metadata (never python-docx's defaults) and return the file's bytes."""
        properties = self.document.core_properties
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        properties.title = clean(title)
        properties.subject = clean(subject)
        properties.author = AUTHOR
        properties.last_modified_by = AUTHOR
        properties.comments = ""
        properties.keywords = ""
        properties.category = ""
        properties.language = LANGUAGE_TAGS.get(self.language, self.language)
        properties.created = properties.modified = now
        properties.revision = 1
        self._fill_toc()
        self.page_numbers()
        self._default_language()
        self._drop_thumbnail()
        out = io.BytesIO()
        self.document.save(out)
        return out.getvalue()

    def _drop_thumbnail(self) -> None:
        """Drop the template's thumbnail: a blank page that file browsers show as the preview."""
        package = self.document.part.package
        for r_id, relationship in list(package.rels.items()):
            if relationship.reltype == RT.THUMBNAIL:
                package.rels.pop(r_id)

    def _default_language(self) -> None:
        """Make Word proofread the text in the report's language."""
        styles = self.document.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        if defaults is None:
            defaults = OxmlElement("w:docDefaults")
            styles.insert(0, defaults)
        run_default = defaults.find(qn("w:rPrDefault"))
        if run_default is None:
            run_default = OxmlElement("w:rPrDefault")
            defaults.insert(0, run_default)
        properties = run_default.find(qn("w:rPr"))
        if properties is None:
            properties = OxmlElement("w:rPr")
            run_default.append(properties)
        lang = properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            later = [child for child in properties if child.tag in _AFTER_LANG]
            if later:
                later[0].addprevious(lang)
            else:
                properties.append(lang)
        lang.set(qn("w:val"), LANGUAGE_TAGS.get(self.language, self.language))
