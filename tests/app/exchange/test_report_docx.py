"""The Word thematic synthesis: reopened with python-docx and read as a researcher would."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import RGBColor
from flask_babel import force_locale, gettext

from app.demo import load_demo
from app.exchange.reports import ReportRefused, build_report
from app.models import (
    AuditEvent,
    Coding,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    PiiFinding,
    ProposalLevel,
    RoundStatement,
    Statement,
    StatementAnswer,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
    Theme,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.models.base import utcnow
from app.platform.extensions import db
from app.studies.participants import erase_participant, record_consent


@pytest.fixture
def demo(app, make_user) -> dict:
    """The demo study (two sessions, two coders, 50 codings) and its owner's id."""
    owner = make_user("owner@example.org")
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        return {"id": study.id, "owner": owner}


def _build(app, study_id: int, **options) -> docx.document.Document:
    options.setdefault("language", "en")
    with app.app_context():
        content = build_report(study_id, **options)
        db.session.commit()
    return docx.Document(io.BytesIO(content))


def _raw(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _all_text(content: bytes) -> str:
    """Every text run of every XML part of the package (body, tables, headers, notes)."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                xml = package.read(name).decode("utf-8")
                texts.extend(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    return "\n".join(texts)


def _blocks(document):
    """Yield (style name, text) for paragraphs and table cells, in document order."""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = docx.text.paragraph.Paragraph(child, document)
            yield paragraph.style.name, paragraph.text
        elif child.tag == qn("w:tbl"):
            table = docx.table.Table(child, document)
            for row in table.rows:
                for cell in row.cells:
                    yield "table", cell.text


def _chapter(document, heading: str, level: str = "Heading 1") -> list[str]:
    """Return the texts between a heading and the next heading of the same level."""
    inside, found = False, []
    for style, text in _blocks(document):
        if style == level:
            if inside:
                break
            inside = text == heading
            continue
        if inside:
            found.append(text)
    assert found or inside, f"no chapter {heading!r}"
    return found


def _headings(document, level: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == level]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_each_theme_has_a_chapter_with_its_label_in_the_chosen_language(app, demo, language):
    """Top-level themes are Heading 1 chapters, labelled in the report's language, in order."""
    document = _build(app, demo["id"], language=language)
    with app.app_context():
        themes = db.session.execute(
            db.select(Theme).filter_by(study_id=demo["id"]).order_by(Theme.position)
        ).scalars()
        labels = [theme.label(language) for theme in themes]
    chapters = _headings(document, "Heading 1")
    assert [h for h in chapters if h in labels] == labels
    assert any(p.style.name == "Title" for p in document.paragraphs)
    assert _headings(document, "Heading 2")
    first = {"nl": "Afhankelijkheid", "fr": "Dépendance", "en": "Dependency"}[language]
    assert labels[0] == first


def test_child_themes_are_heading_2_sections_of_their_parent(app, demo):
    """A nested theme gets a Heading 2 section inside its parent's chapter."""
    with app.app_context():
        parent = db.session.execute(
            db.select(Theme).filter_by(study_id=demo["id"], key="privacy")
        ).scalar_one()
        child = Theme(
            study_id=demo["id"],
            key="passwords",
            label_nl="Wachtwoorden",
            label_fr="Mots de passe",
            label_en="Passwords",
            parent_id=parent.id,
            position=99,
        )
        db.session.add(child)
        db.session.commit()
    document = _build(app, demo["id"], language="fr")
    assert "Mots de passe" in _chapter(document, "Vie privée")
    assert "Mots de passe" in _headings(document, "Heading 2")


def test_quotes_carry_pseudonym_role_and_session(app, demo):
    """Every quote ends with "— pseudonym, position (organisation), session N"."""
    document = _build(app, demo["id"])
    chapters = [(p.style.name, p.text) for p in document.paragraphs]
    before_incidents = document.paragraphs[: chapters.index(("Heading 1", "Incident sheets"))]
    quotes = [p.text for p in before_incidents if p.style.name == "Quote"]
    assert quotes
    for quote in quotes:
        assert re.search(r"\n— [^,]+, [^,]+ \([^)]+\), session [12]$", quote), quote
    assert any("— Amina, assistante sociale (CPAS), session 2" in q for q in quotes)


def _quoted_passage(app, document, pseudonym: str) -> tuple[int, str]:
    """Return (passage id, quoted words) of a quote by `pseudonym` in the report."""
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Quote" and f"— {pseudonym}," in paragraph.text:
            words = paragraph.text.split("\n")[0].strip("“”")
            # Quotation marks inside a quote are the report's own (nested) marks.
            plain = max(re.split("[‘’“”]", words), key=len)
            with app.app_context():
                passage = db.session.execute(
                    db.select(Passage).where(Passage.text.contains(plain[:30]))
                ).scalar_one()
                return passage.id, words
    raise AssertionError(f"no quote by {pseudonym}")


def test_withdrawn_erased_and_unconsented_quotes_never_appear(app, demo):
    """A withdrawn passage, an erased speaker and a refused consent keep words out of the file."""
    before = _build(app, demo["id"])
    withdrawn_id, withdrawn = _quoted_passage(app, before, "Lotte")
    _erased_id, erased = _quoted_passage(app, before, "Sophie")
    _refused_id, refused = _quoted_passage(app, before, "Amina")
    assert "— Wouter," not in _all_text(_raw(before))  # Wouter never consented to quotation
    with app.app_context():
        db.session.get(Passage, withdrawn_id).quote_withdrawn_at = utcnow()
        people = {
            p.pseudonym: p
            for p in db.session.execute(
                db.select(Participant).filter_by(study_id=demo["id"])
            ).scalars()
        }
        erase_participant(people["Sophie"], user_id=demo["owner"], real_names=[])
        record_consent(
            people["Amina"],
            ConsentScope.QUOTATION,
            False,
            date.today() + timedelta(days=1),
            user_id=demo["owner"],
        )
        db.session.commit()
    text = _all_text(_raw(_build(app, demo["id"])))
    for words in (withdrawn, erased, refused):
        assert words[:40] not in text
    assert "— Amina," not in text
    assert "— Wouter," not in text
    assert "coded passages were left out of the quotes" in text


def test_methodology_counts_roles_and_never_names_anyone(app, demo):
    """The methodology shows positions and organisation types, never a pseudonym."""
    document = _build(app, demo["id"])
    methodology = "\n".join(_chapter(document, "Methodology"))
    with app.app_context():
        pseudonyms = db.session.execute(
            db.select(Participant.pseudonym).filter_by(study_id=demo["id"])
        ).scalars()
        for pseudonym in pseudonyms:
            assert not re.search(rf"\b{re.escape(pseudonym)}\b", methodology), pseudonym
    assert "assistante sociale" in methodology
    assert "CPAS" in methodology
    assert "This report covers 2 group sessions." in methodology
    assert "3. Narrative (8 passages)" in methodology
    assert re.search(r"Session 1: “.+”", methodology)  # the chosen narrative's title


def test_toc_is_filled_with_the_headings_and_pages_are_numbered(app, demo):
    """The TOC shows every chapter without updating fields; footers carry the page number."""
    document = _build(app, demo["id"], language="nl")
    body = document.element.body
    instructions = "".join(t.text for t in body.iter(qn("w:instrText")))
    assert 'TOC \\o "1-3" \\h \\z \\u' in instructions
    paragraphs = list(body.iter(qn("w:p")))
    begin = next(
        i for i, p in enumerate(paragraphs) if p.xpath(".//w:fldChar[@w:fldCharType='begin']")
    )
    end = next(i for i, p in enumerate(paragraphs) if p.xpath(".//w:fldChar[@w:fldCharType='end']"))
    entries = [
        "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in paragraphs[begin : end + 1]
    ]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading ")]
    assert len(entries) > 5 and entries[0] in headings and set(entries) <= set(headings)
    with app.app_context(), force_locale("nl"):
        assert gettext("Methodology") in entries
    assert document.settings.element.xpath("w:updateFields/@w:val") == ["true"]
    footer = document.sections[0].footer._element
    assert footer.xpath(".//w:fldSimple/@w:instr") == [" PAGE "]


def test_pictures_alt_text_and_metadata(app, demo):
    """Pictures carry alt text, and the core properties are ours."""
    document = _build(app, demo["id"], language="nl")
    body = document.element.body
    pictures = list(
        body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
    )
    assert len(pictures) >= 5  # one chart per theme plus the co-occurrence heatmap
    assert all(p.get("descr") for p in pictures)
    assert len(document.inline_shapes) == len(pictures)
    properties = document.core_properties
    assert properties.author == "MAG Workbench"
    assert "python-docx" not in (
        properties.author,
        properties.last_modified_by,
        properties.comments,
    )
    assert properties.title.startswith("Demo")
    assert properties.language == "nl-BE"


def test_open_personal_data_findings_refuse_the_report(app, demo):
    """Open findings are listed by session, phase and kind — never by their text."""
    with app.app_context():
        passage = (
            db.session.execute(
                db.select(Passage)
                .join(GroupSession)
                .where(GroupSession.number == 1, Passage.phase == 3)
            )
            .scalars()
            .first()
        )
        db.session.add(
            PiiFinding(
                study_id=demo["id"],
                group_session_id=passage.group_session_id,
                object_type="passage",
                object_id=passage.id,
                kind="phone",
                start_offset=0,
                end_offset=13,
                text="0470 12 34 56",
            )
        )
        db.session.commit()
        with pytest.raises(ReportRefused) as refused:
            build_report(demo["id"], language="en")
        assert refused.value.problems == ["session 1, phase 3: phone number finding"]
        assert "0470" not in str(refused.value)
        session_2 = db.session.execute(
            db.select(GroupSession.id).filter_by(study_id=demo["id"], number=2)
        ).scalar_one()
        assert build_report(demo["id"], language="en", session_ids=[session_2])
        db.session.rollback()
    _build(app, demo["id"], override_pii=True, user_id=demo["owner"])
    with app.app_context():
        events = (
            db.session.execute(
                db.select(AuditEvent).where(
                    AuditEvent.action.in_(["report.pii_override", "export.docx"])
                )
            )
            .scalars()
            .all()
        )
        actions = sorted(event.action for event in events)
        assert actions == ["export.docx", "report.pii_override"]
        override = next(e for e in events if e.action == "report.pii_override")
        assert override.user_id == demo["owner"]
        assert override.details["open_findings"] == 1


def test_every_report_is_audited_and_left_for_the_caller_to_commit(app, demo):
    """build_report adds an "export.docx" event to the unit of work but does not commit it."""
    with app.app_context():
        build_report(demo["id"], language="fr", user_id=demo["owner"])
        pending = db.session.execute(
            db.select(AuditEvent).filter_by(action="export.docx")
        ).scalars()
        assert [e.details["language"] for e in pending] == ["fr"]
        db.session.rollback()
        assert not db.session.execute(db.select(AuditEvent).filter_by(action="export.docx")).first()


def _reference(*, drop: str | None = None) -> bytes:
    """A researcher's template: a coloured Comic font for Heading 1, some body text."""
    reference = docx.Document()
    heading = reference.styles["Heading 1"]
    heading.font.name = "Comic Neue"
    heading.font.color.rgb = RGBColor(0x12, 0x34, 0x56)
    reference.add_paragraph("REFERENCE BODY TEXT")
    if drop:
        reference.styles[drop].element.getparent().remove(reference.styles[drop].element)
    out = io.BytesIO()
    reference.save(out)
    return out.getvalue()


def test_reference_document_styles_are_used_and_its_body_dropped(app, demo):
    """A reference .docx lends its styles; its own text does not leak into the report."""
    document = _build(app, demo["id"], reference_docx=_reference())
    heading = document.styles["Heading 1"]
    assert heading.font.name == "Comic Neue"
    assert heading.font.color.rgb == RGBColor(0x12, 0x34, 0x56)
    assert "Methodology" in _headings(document, "Heading 1")
    assert "REFERENCE BODY TEXT" not in _all_text(_raw(document))


def test_reference_document_without_a_built_in_style_falls_back(app, demo):
    """A reference lacking "List Bullet" and "Quote" still gives a report using those styles."""
    reference = docx.Document(io.BytesIO(_reference(drop="List Bullet")))
    reference.styles["Quote"].element.getparent().remove(reference.styles["Quote"].element)
    out = io.BytesIO()
    reference.save(out)
    document = _build(app, demo["id"], reference_docx=out.getvalue())
    used = {p.style.name for p in document.paragraphs}
    assert {"List Bullet", "Quote", "Heading 1"} <= used


def test_a_word_template_is_accepted_and_a_non_word_file_refused(app, demo):
    """A .dotx reference works like a .docx; anything else is refused with a readable reason."""
    source = io.BytesIO(_reference())
    template = io.BytesIO()
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(template, "w") as copy:
        for item in package.infolist():
            data = package.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            copy.writestr(item, data)
    document = _build(app, demo["id"], reference_docx=template.getvalue())
    assert document.styles["Heading 1"].font.name == "Comic Neue"
    with app.app_context():
        with pytest.raises(ReportRefused) as refused:
            build_report(demo["id"], language="en", reference_docx=b"%PDF-1.7 not a docx")
        assert refused.value.problems == [
            "The reference document is not a Word document (.docx or .dotx)."
        ]


def _add_synthesis(app, study_id: int, *, closed: bool = True) -> None:
    """A session-1 synthesis: a contested convergence, a divergence, a policy proposal."""
    with app.app_context():
        themes = {
            t.key: t
            for t in db.session.execute(db.select(Theme).filter_by(study_id=study_id)).scalars()
        }
        session = db.session.execute(
            db.select(GroupSession).filter_by(study_id=study_id, number=1)
        ).scalar_one()
        with db.session.no_autoflush:  # the demo may already have this synthesis
            synthesis = db.session.execute(
                db.select(Synthesis).filter_by(study_id=study_id, group_session_id=session.id)
            ).scalar_one_or_none() or Synthesis(study_id=study_id, group_session=session)
            convergence = Statement(synthesis=synthesis, kind=StatementKind.CONVERGENCE, position=1)
            convergence.themes.append(themes["dependency"])
            version = StatementVersion(
                statement=convergence, number=1, text="The worker has become the last resort."
            )
            divergence = Statement(synthesis=synthesis, kind=StatementKind.DIVERGENCE, position=2)
            StatementVersion(
                statement=divergence,
                number=1,
                text="Whether a PIN code may be typed for someone.",
                positions="OCMW workers: never; volunteers: when asked.",
            )
            privacy_coding = (
                db.session.execute(db.select(Coding).filter_by(theme_id=themes["privacy"].id))
                .scalars()
                .first()
            )
            db.session.add(
                StatementLink(
                    statement=divergence,
                    passage_id=privacy_coding.passage_id,
                    coding_id=privacy_coding.id,
                )
            )
            proposal = Statement(
                synthesis=synthesis,
                kind=StatementKind.PROPOSAL,
                level=ProposalLevel.POLICY,
                position=3,
            )
            proposal.themes.append(themes["outsourcing"])
            StatementVersion(statement=proposal, number=1, text="Keep a staffed counter open.")
            db.session.add_all([synthesis, convergence, divergence, proposal])
        db.session.flush()
        round_ = ValidationRound(
            study_id=study_id,
            synthesis=synthesis,
            expires_at=utcnow() + timedelta(days=7),
            closed_at=utcnow() if closed else None,
        )
        db.session.add(RoundStatement(round=round_, statement=convergence, version=version))
        lotte = db.session.execute(
            db.select(Participant).filter_by(study_id=study_id, pseudonym="Lotte")
        ).scalar_one()
        link = ValidationLink(round=round_, participant=lotte, nonce="a" * 64)
        db.session.add(
            StatementAnswer(
                link=link,
                statement=convergence,
                version_id=version.id,
                verdict=Verdict.DISAGREE,
                comment="Not in our OCMW: the counter still helps.",
            )
        )
        db.session.commit()


def test_statements_appear_in_the_synthesis_and_are_referred_to_by_theme(app, demo):
    """Statements are written in the synthesis chapter; theme chapters list their numbers."""
    _add_synthesis(app, demo["id"])
    document = _build(app, demo["id"])
    synthesis = "\n".join(_chapter(document, "Synthesis and validation"))
    assert re.search(r"\d\.\d+ Convergence: The worker has become the last resort\.", synthesis)
    assert "Disagreement: Not in our OCMW: the counter still helps." in synthesis
    assert "Positions: OCMW workers: never; volunteers: when asked." in synthesis
    assert "Not yet submitted for validation" in synthesis
    divergence = re.search(r"(\d\.\d+) Divergence: Whether a PIN code", synthesis).group(1)
    assert f"{divergence} Divergence" in _chapter(document, "Privacy")  # through a coding
    proposal = re.search(r"(\d\.\d+) Proposal: Keep a staffed counter open\.", synthesis)
    assert f"{proposal.group(1)} Proposal" in _chapter(document, "Outsourcing")
    policy = synthesis.rindex("Policy (macro level)", 0, proposal.start())
    assert "Practice (micro level)" not in synthesis[policy : proposal.start()]


def test_an_open_round_is_not_printed_as_the_groups_validation(app, demo):
    """While the round is open the report says so and how many answered, never "contested"."""
    _add_synthesis(app, demo["id"], closed=False)
    document = _build(app, demo["id"])
    synthesis = "\n".join(_chapter(document, "Synthesis and validation"))
    assert re.search(
        r"Validation round still open until [^:]+, so far: 0 of 1 agree, 1 disagreement\.",
        synthesis,
    )
    assert "Contested" not in synthesis and "Validated" not in synthesis


def test_agreement_figures_when_two_coders_coded_a_session(app, demo):
    """The demo's double-coded sessions give kappa and alpha per theme."""
    document = _build(app, demo["id"])
    agreement = _chapter(document, "Inter-coder agreement")
    assert "Cohen’s kappa" in agreement
    assert "Krippendorff’s alpha" in agreement
    assert "Session 1" in agreement


def test_study_without_codings_still_gives_a_report(app, make_user, make_study):
    """No sessions, no codings: methodology and empty chapters, not a crash."""
    study_id = make_study(make_user("owner@example.org"), title="Empty study", language="nl")
    progress: list[float] = []
    document = _build(app, study_id, language="en", progress=progress.append)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "This report covers 0 group sessions." in text
    assert "No passage was coded with this theme in the sessions covered." in text
    assert "Agreement is not reported" in text
    assert "Dependency" in _headings(document, "Heading 1")
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)


def test_a_chosen_session_subset_is_all_the_report_covers(app, demo):
    """With session_ids, counts, quotes and the title page cover those sessions only."""
    with app.app_context():
        session_2 = db.session.execute(
            db.select(GroupSession.id).filter_by(study_id=demo["id"], number=2)
        ).scalar_one()
    document = _build(app, demo["id"], session_ids=[session_2])
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Sessions covered: 2" in text
    assert "This report covers 1 group session." in text
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and all(q.endswith("session 2") for q in quotes)
