"""The Word report's synthesis and incident chapters and its locale, read as a reader would."""

from __future__ import annotations

import io
import re
import zipfile

from app.models import (
    IncidentSheet,
    Participant,
    PiiFinding,
    RoundStatement,
    Statement,
    StatementAnswer,
    StatementLink,
    Synthesis,
    ValidationLink,
    ValidationRound,
    Verdict,
)
from app.platform.extensions import db
from tests.app.exchange.test_report_docx import (
    _add_synthesis,
    _blocks,
    _build,
    _chapter,
    _headings,
    _raw,
    demo,  # noqa: F401 (fixture)
)


def _texts(document) -> list[str]:
    return [text for _style, text in _blocks(document)]


def _answer_more(app, study_id: int) -> None:
    """Three more members get the round of `_add_synthesis`: two answer, one does not."""
    with app.app_context():
        round_ = db.session.execute(  # the newest round: the one `_add_synthesis` opened
            db.select(ValidationRound)
            .filter_by(study_id=study_id)
            .order_by(ValidationRound.id.desc())
            .limit(1)
        ).scalar_one()
        item = db.session.execute(
            db.select(RoundStatement).filter_by(round_id=round_.id)
        ).scalar_one()
        people = {
            p.pseudonym: p
            for p in db.session.execute(db.select(Participant).filter_by(study_id=study_id))
            .scalars()
            .all()
        }
        for pseudonym, verdict in (
            ("Sanne", Verdict.AGREE),
            ("Koen", Verdict.NUANCE),
            ("Bram", None),
        ):
            link = ValidationLink(round=round_, participant=people[pseudonym], nonce=pseudonym * 8)
            db.session.add(link)
            if verdict:
                db.session.add(
                    StatementAnswer(
                        link=link,
                        statement_id=item.statement_id,
                        version_id=item.version_id,
                        verdict=verdict,
                        comment="Only in large centres." if verdict == Verdict.NUANCE else "",
                    )
                )
        db.session.commit()


def test_each_statement_appears_once_with_its_answers_and_open_round(app, demo):  # noqa: F811
    """A statement linked to two themes is written once, with counts and the round said open."""
    _add_synthesis(app, demo["id"], closed=False)
    _answer_more(app, demo["id"])
    document = _build(app, demo["id"])
    texts = _texts(document)
    full = "\n".join(texts)
    assert full.count("The worker has become the last resort.") == 1
    assert full.count("Whether a PIN code may be typed for someone.") == 1
    synthesis = "\n".join(_chapter(document, "Synthesis and validation"))
    match = re.search(r"(1\.\d+) Convergence: The worker has become the last resort\.", synthesis)
    assert match, synthesis[:500]
    assert re.search(
        r"Validation round still open until [^:]+, so far: "
        r"1 of 4 agree, 1 nuance, 1 disagreement, 1 did not answer\.",
        synthesis,
    )
    assert "Disagreement: Not in our OCMW: the counter still helps." in synthesis
    assert "Nuance: Only in large centres." in synthesis
    # The theme chapter refers to the statement by its number, without its text.
    dependency = _chapter(document, "Dependency")
    assert f"{match.group(1)} Convergence" in dependency
    assert "Not yet submitted for validation" in synthesis


def test_closed_round_states_the_outcome_with_counts(app, demo):  # noqa: F811
    """Once the round is closed, the state comes first, the counts after it."""
    _add_synthesis(app, demo["id"])
    _answer_more(app, demo["id"])
    with app.app_context():
        round_ = db.session.execute(
            db.select(ValidationRound)
            .filter_by(study_id=demo["id"])
            .order_by(ValidationRound.id.desc())
            .limit(1)
        ).scalar_one()
        round_.closed_at = round_.opened_at
        db.session.commit()
    synthesis = "\n".join(_chapter(_build(app, demo["id"]), "Synthesis and validation"))
    assert (
        "Contested: at least one participant disagrees "
        "(1 of 4 agree, 1 nuance, 1 disagreement, 1 did not answer)."
    ) in synthesis
    assert not re.search(r"still open .*: 1 of 4 agree", synthesis)


def test_every_statement_kind_in_mag_order_with_every_quotable_link(app, demo):  # noqa: F811
    """All demo statements (summaries, interpretations, evaluations too) in the method's order."""
    with app.app_context():
        statements = (
            db.session.execute(db.select(Statement).where(Statement.archived_at.is_(None)))
            .scalars()
            .all()
        )
        expected = len([s for s in statements if s.versions])
        kinds = {s.kind.value for s in statements}
        links = db.session.execute(db.select(db.func.count(StatementLink.id))).scalar_one()
        transversal = db.session.execute(
            db.select(Synthesis).filter_by(study_id=demo["id"], group_session_id=None)
        ).scalar_one_or_none()
    assert {"summary", "interpretation", "evaluation"} <= kinds
    document = _build(app, demo["id"])
    blocks = list(_blocks(document))
    start = blocks.index(("Heading 1", "Synthesis and validation"))
    end = blocks.index(("Heading 1", "Incident sheets"))
    chapter = blocks[start:end]
    numbered = [
        text for style, text in chapter if style == "Normal" and re.match(r"(\d+|T)\.\d+ ", text)
    ]
    assert len(numbered) == expected
    order = ["Summary of the story", "Interpretation", "Convergence", "Divergence", "Tension"]
    order += ["Hypothesis", "Proposal", "Evaluation"]
    session_1 = [t.split(":")[0].split(" ", 1)[1] for t in numbered if t.startswith("1.")]
    ranks = [order.index(kind) for kind in session_1]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(order)
    phases = [text for style, text in chapter if style == "Heading 3"]
    assert phases[:3] == [
        "3. Narrative",
        "5 and 7. Interpretations",
        "8. Analysis: convergences and divergences",
    ]
    assert "11. Evaluation" in phases
    assert ("Heading 4", "Policy (macro level)") in chapter
    if transversal is not None:
        assert ("Heading 2", "Transversal analysis") in chapter
    quotes = [text for style, text in chapter if style == "Quote"]
    assert len(quotes) >= links * 0.6  # unquotable and duplicate links are left out
    assert "Proposals by level" not in _headings(document, "Heading 1")


def test_incident_chapter_counts_charts_and_quotes_only_clean_narratives(app, demo):  # noqa: F811
    """Counts by organisation, channel, consequence and theme; a flagged narrative is not quoted."""
    with app.app_context():
        sheets = (
            db.session.execute(db.select(IncidentSheet).filter_by(study_id=demo["id"]))
            .scalars()
            .all()
        )
        flagged = sheets[0]
        flagged_words = flagged.narrative[:40]
        db.session.add(
            PiiFinding(
                study_id=demo["id"],
                object_type="incident",
                object_id=flagged.id,
                kind="person",
                start_offset=0,
                end_offset=4,
                text="Jean",
            )
        )
        db.session.commit()
        total = len(sheets)
    document = _build(app, demo["id"], override_pii=True)
    chapter = _chapter(document, "Incident sheets")
    text = "\n".join(chapter)
    assert f"Social workers recorded {total} incident sheets" in text
    for heading in ("By organisation", "By channel imposed", "By consequence for the person"):
        assert heading in chapter
    assert "By theme" in chapter and "Dependency" in chapter
    assert "CPAS/OCMW" in chapter and "gave up" in chapter
    assert flagged_words not in text
    assert "1 narrative is not quoted: its sheet has an open personal-data finding." in text
    assert re.search(r"\n— [^,]+, [^;]+; consequence: ", text)
    alts = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert any(alt.startswith("Bar charts of the incident sheets.") for alt in alts)


def test_a_session_subset_leaves_incidents_to_the_whole_study_report(app, demo):  # noqa: F811
    """Sheets belong to the study: a report of chosen sessions says so and counts none."""
    with app.app_context():
        from app.models import GroupSession

        session_1 = db.session.execute(
            db.select(GroupSession.id).filter_by(study_id=demo["id"], number=1)
        ).scalar_one()
    chapter = _chapter(_build(app, demo["id"], session_ids=[session_1]), "Incident sheets")
    assert chapter[0].startswith("Incident sheets belong to the whole study")


def test_french_report_uses_guillemets_decimal_commas_and_french_order(app, demo):  # noqa: F811
    """fr: « … » with “ … ” inside, 0,xx kappas, labels sorted as a French reader expects."""
    document = _build(app, demo["id"], language="fr")
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and all(q.startswith("«\u202f") for q in quotes)
    assert all("\u202f»\n—" in q for q in quotes)
    assert not any('"' in q.split("\n")[0] for q in quotes)
    agreement = _chapter(document, "Accord inter-codeurs")
    decimals = [t for t in agreement if re.fullmatch(r"-?\d+[.,]\d\d", t)]
    assert decimals and all("," in t for t in decimals)
    assert any(re.fullmatch(r"\d+\s%", t) for t in agreement)  # babel: a no-break space
    assert "Synthèse et validation" in _headings(document, "Heading 1")


def test_dutch_report_uses_flemish_quotation_marks_and_decimal_commas(app, demo):  # noqa: F811
    """nl: „ … ” outside, ‘ … ’ inside, 0,xx kappas."""
    document = _build(app, demo["id"], language="nl")
    quotes = [p.text.rsplit("\n— ", 1)[0] for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and all(q.startswith("„") and q.endswith("”") for q in quotes)
    assert any("‘" in q for q in quotes)  # a quote inside a quote
    agreement = _chapter(document, "Overeenstemming tussen codeerders")
    decimals = [t for t in agreement if re.fullmatch(r"-?\d+[.,]\d\d", t)]
    assert decimals and all("," in t for t in decimals)


def test_phase_sub_headings_are_headings_and_no_thumbnail_is_packed(app, demo):  # noqa: F811
    """Quote phases are Heading 3 (navigation pane); the package holds no blank thumbnail."""
    document = _build(app, demo["id"])
    dependency = list(_blocks(document))
    start = dependency.index(("Heading 1", "Dependency"))
    quotes_at = dependency.index(("Heading 2", "Quotes"), start)
    assert dependency[quotes_at + 1] == ("Heading 3", "3. Narrative")
    with zipfile.ZipFile(io.BytesIO(_raw(document))) as package:
        assert not [name for name in package.namelist() if "thumbnail" in name]
        assert b"thumbnail" not in package.read("_rels/.rels")


def test_french_statements_put_a_no_break_space_before_the_colon(app, demo):  # noqa: F811
    """fr: "1.6 Convergence : …" with a no-break space, as French typography wants."""
    synthesis = _chapter(_build(app, demo["id"], language="fr"), "Synthèse et validation")
    numbered = [t for t in synthesis if re.match(r"\d\.\d+ ", t)]
    assert numbered and all(re.match(r"\d\.\d+ [^:]+\u00a0: ", t) for t in numbered)
