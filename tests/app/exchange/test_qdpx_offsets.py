"""Positions in a .qdpx follow the text the export writes: an erased participant's label
shortened to the marker moves every coding and statement link behind it, in the file and
after a re-import."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from app.coding.codings import code_passage
from app.exchange.qdpx import export_qdpx, import_qdpx
from app.exchange.qdpx.layout import parse_passage_field, read_block
from app.exchange.qdpx.study_block import NAME
from app.models import (
    Consent,
    ConsentScope,
    GroupSession,
    Participant,
    Passage,
    SpeakerKind,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Study,
    Synthesis,
)
from app.platform.extensions import db
from app.studies.participants import erase_participant
from app.synthesis.quotations import ERASED_LABEL, WITHHELD_TEXT, Redactor

NS = {"q": "urn:QDA-XML:project:1.0"}


def _study(app, owner: int, make_study) -> tuple[int, str]:
    """A passage naming an erased participant twice, coded after, across and inside the label."""
    study_id = make_study(owner, "Accueil")
    with app.app_context():
        study = db.session.get(Study, study_id)
        amina = Participant(study=study, pseudonym="Amina", pseudonym_key="amina", attributes={})
        amina.consents.append(
            Consent(scope=ConsentScope.QUOTATION, granted=True, given_on=date(2026, 1, 1))
        )
        zoe = Participant(study=study, pseudonym="Zoé", pseudonym_key="zoé", attributes={})
        session = GroupSession(study=study, number=1, title="Guichet", language="fr")
        db.session.add_all([amina, zoe, session])
        db.session.flush()
        erase_participant(zoe, user_id=owner, real_names=[])
        label = f"erased-{zoe.id}"
        text = f"{label} est venue hier avec son dossier complet. Puis {label} est repartie."
        passage = Passage(
            group_session=session,
            phase=3,
            position=1,
            speaker_kind=SpeakerKind.PARTICIPANT,
            participant=amina,
            text=text,
        )
        db.session.add(passage)
        db.session.flush()

        def code(words: str, theme: str, start: int = 0):
            at = text.index(words, start)
            return code_passage(study_id, passage.id, at, at + len(words), theme, coder_id=owner)

        complete = code("dossier complet", "dependency")
        code("est repartie", "privacy")
        code(label[3:] + " est venue", "role_confusion")  # starts inside the label
        inside = code(label[:6], "dependency")  # words entirely in the label
        synthesis = Synthesis(study=study, group_session=session)
        statement = Statement(
            synthesis=synthesis,
            kind=StatementKind.CONVERGENCE,
            versions=[StatementVersion(number=1, text="Le dossier ne suffit pas.")],
            links=[
                StatementLink(passage=passage, coding=complete),
                StatementLink(passage=passage, coding=inside),
            ],
        )
        db.session.add_all([synthesis, statement])
        db.session.commit()
    return study_id, label


@pytest.fixture
def owner_id(make_user):
    return make_user("owner@example.org", password=None)


def _files(data: bytes) -> tuple[etree._Element, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return etree.fromstring(archive.read("project.qde")), archive


def _read(archive: zipfile.ZipFile, element: etree._Element) -> str:
    return archive.read(
        "sources/" + element.get("plainTextPath").removeprefix("internal://")
    ).decode()


def test_selections_and_links_point_at_the_coded_words_after_a_label_is_shortened(
    app, owner_id, make_study
):
    study_id, label = _study(app, owner_id, make_study)
    with app.app_context():
        data = export_qdpx(db.session.get(Study, study_id), user_id=owner_id)
    root, archive = _files(data)
    (source,) = root.iterfind(".//q:TextSource", NS)
    body = _read(archive, source)
    assert label not in body
    assert f"Amina: {WITHHELD_TEXT} est venue hier avec son dossier complet." in body
    coded = sorted(
        body[int(s.get("startPosition")) : int(s.get("endPosition"))]
        for s in source.iterfind("q:PlainTextSelection", NS)
    )
    # Words after a label stay those words; a span starting in the label covers the marker;
    # a span entirely inside the label is left out, as codings of withdrawn words are.
    assert coded == sorted(["dossier complet", "est repartie", f"{WITHHELD_TEXT} est venue"])
    # The study-data note's links carry passage-local offsets into the same text.
    _visible, fields = read_block(source.find("q:Description", NS).text)
    (turn,) = [parse_passage_field(v) for name, v in fields if name == "passage"]
    passage_text = body[turn.start : turn.end]
    (note,) = [n for n in root.iterfind(".//q:Note", NS) if n.get("name") == NAME]
    links = [
        line.split("=", 1)[1].split()
        for line in _read(archive, note).split("\n")
        if line.startswith("[magwb] link=")
    ]
    assert [passage_text[int(w[2]) : int(w[3])] for w in links if len(w) == 5] == [
        "dossier complet"
    ]
    assert [len(w) for w in links] == [5, 2]  # the left-out coding's link keeps its passage


def test_reimport_keeps_each_coding_and_link_on_its_words(app, owner_id, make_study):
    study_id, _label = _study(app, owner_id, make_study)
    with app.app_context():
        data = export_qdpx(db.session.get(Study, study_id), user_id=owner_id)
        result = import_qdpx(data, filename="accueil.qdpx", owner_id=owner_id, language="fr")
        db.session.commit()
        passages = [p for s in result.study.group_sessions for p in s.passages]
        (passage,) = passages
        assert sorted(c.quote for c in passage.codings) == sorted(
            ["dossier complet", "est repartie", f"{WITHHELD_TEXT} est venue"]
        )
        statement = db.session.execute(
            db.select(Statement).join(Synthesis).filter(Synthesis.study_id == result.study.id)
        ).scalar_one()
        assert sorted(link.quote for link in statement.links) == sorted(
            ["dossier complet", passage.text]
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["erased-7", "erased-12", " ", "a", "é", "\n", "-", "x1"]), max_size=12
    ),
    st.data(),
)
def test_a_moved_span_is_the_scrubbed_copy_of_its_words(pieces, data):
    """A span moved onto the scrubbed text reads as its words with each label as the marker."""
    text = "".join(pieces)
    edit = Redactor().edit(text)
    assert edit.text == ERASED_LABEL.sub(WITHHELD_TEXT, text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    moved = edit.span(start, end)
    inside = any(a <= start and end <= b for a, b in edit.spans)
    assert (moved is None) == inside
    if moved is not None and not any(a < o < b for a, b in edit.spans for o in (start, end)):
        starts = {a: b for a, b in edit.spans}
        expected, at = [], start
        while at < end:  # the words, each scrubbed label (as in the whole text) as the marker
            expected.append(WITHHELD_TEXT if at in starts else text[at])
            at = starts.get(at, at + 1)
        assert edit.text[moved[0] : moved[1]] == "".join(expected)
