"""Generated input for the new importers and forms: answered, never a crash or a half-write.

Hypothesis damages valid REFI-QDA projects and study archives (bytes flipped,
cut short, members replaced) and sends generated values to the participants'
page and the incident form. Every case must end in the importer's own error
(or a clean import) and leave the database as it was.

A failure names the damage in a line (`Damage`: offsets and hex patches, or the
member replaced), never the archive's bytes; rerun it with the seed Hypothesis
prints (`pytest --hypothesis-seed=N`) or the `@reproduce_failure` blob. Damages
found this way are pinned below as plain tests (a flipped "version needed to
extract" made `zipfile` raise NotImplementedError: a 500 before the fix).
"""

from __future__ import annotations

import io
import struct
import traceback
import zipfile
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.platform.extensions import db
from app.platform.forms import ValidationError
from tests.conftest import login

FUZZ = settings(
    max_examples=30,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class Exported:
    """The demo study's ids and files; its repr leaves the bytes out.

    Hypothesis prints every argument of a failing test, fixtures included: the files'
    bytes (about 280 kB) made that report a HypothesisWarning (an error here) that hid
    the failure itself. A plain class: Hypothesis prints a dataclass field by field.
    """

    def __init__(self, *, owner: int, study: int, qdpx: bytes, archive: bytes) -> None:
        self.owner, self.study, self.qdpx, self.archive = owner, study, qdpx, archive

    def __repr__(self) -> str:
        return (
            f"Exported(study={self.study}, qdpx={len(self.qdpx):,} bytes, "
            f"archive={len(self.archive):,} bytes)"
        )


@pytest.fixture
def exported(app, make_user) -> Exported:
    """The demo study, and its .qdpx and archive as produced by the app."""
    from app.demo import load_demo
    from app.exchange.archive.export import export_study_archive
    from app.exchange.qdpx import export_qdpx

    owner = make_user("owner@example.org", admin=True)
    with app.app_context():
        study = load_demo(owner_id=owner)
        db.session.commit()
        return Exported(
            owner=owner,
            study=study.id,
            qdpx=export_qdpx(study, user_id=owner),
            archive=export_study_archive(study.id),
        )


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in db.metadata.tables.items()
        }


@dataclass(frozen=True)
class Damage:
    """Bytes patched at offsets (taken modulo the length), then the file cut short."""

    edits: tuple[tuple[int, bytes], ...]
    cut: int | None

    def apply(self, data: bytes) -> bytes:
        damaged = bytearray(data)
        for position, patch in self.edits:
            start = position % max(len(damaged), 1)
            damaged[start : start + len(patch)] = patch
        return bytes(damaged[: self.cut] if self.cut else damaged)

    def describe(self, data: bytes) -> str:
        """Say what was done to `data` in one short line, enough to redo it by hand."""
        edits = ", ".join(f"{p % max(len(data), 1)}:{patch.hex()}" for p, patch in self.edits)
        return f"{len(data)}-byte file, patched at [{edits}], cut at {self.cut}"


@dataclass(frozen=True)
class Replacement:
    """One member's content replaced (by index into the member list)."""

    index: int
    content: bytes

    def apply(self, data: bytes) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
        victim = names[self.index % len(names)]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name in names:
                target.writestr(name, self.content if name == victim else source.read(name))
        return out.getvalue()

    def describe(self, data: bytes) -> str:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        content = self.content[:16].hex() + ("…" if len(self.content) > 16 else "")
        victim = names[self.index % len(names)]
        return f"member {victim} replaced by {len(self.content)} bytes {content}"


def _import(app, importer, data: bytes, what: str) -> bool:
    """Import `data`; True if imported, False if refused; fail with `what` on anything else.

    The failure says in one line what was damaged and where the import broke, so the
    report (with Hypothesis's failing case and reproduce blob) stays a few lines long.
    """
    failure = None
    with app.app_context():
        try:
            importer(data)
        except ValidationError:
            db.session.rollback()
            return False
        except Exception as error:  # the bug this test exists to find
            db.session.rollback()
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
            failure = f"{what}: {type(error).__name__}: {str(error)[:200]} (raised at {where})"
        else:
            db.session.rollback()  # a clean import is fine; the test only counts damage
    if failure:
        raise AssertionError(failure)
    return True


EDITS = st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=8)), max_size=4)
CUT = st.none() | st.integers(min_value=0, max_value=400_000)


def _import_qdpx(app, owner, damage, original: bytes) -> bool:
    from app.exchange.qdpx import import_qdpx

    def importer(data):
        import_qdpx(data, filename="fuzz.qdpx", owner_id=owner, language="fr")

    return _import(app, importer, damage.apply(original), damage.describe(original))


def _import_archive(app, owner, damage, original: bytes) -> bool:
    from app.exchange.archive.restore import import_study_archive

    def importer(data):
        import_study_archive(data, owner_id=owner)

    return _import(app, importer, damage.apply(original), damage.describe(original))


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_damaged_qdpx_files_are_refused_cleanly(app, exported, edits, cut):
    """A .qdpx with bytes flipped or cut short is refused (or imported whole), never a crash."""
    before = _row_counts(app)
    damage = Damage(tuple(edits), cut)
    _import_qdpx(app, exported.owner, damage, exported.qdpx)
    assert _row_counts(app) == before, damage.describe(exported.qdpx)


@FUZZ
@given(index=st.integers(min_value=0, max_value=50), content=st.binary(max_size=3000))
def test_qdpx_members_replaced_by_junk_are_refused_cleanly(app, exported, index, content):
    """A .qdpx with one member replaced by junk is refused or imported, never a crash."""
    before = _row_counts(app)
    damage = Replacement(index, content)
    _import_qdpx(app, exported.owner, damage, exported.qdpx)
    assert _row_counts(app) == before, damage.describe(exported.qdpx)


@FUZZ
@given(edits=EDITS, cut=CUT)
def test_damaged_study_archives_are_refused_cleanly(app, exported, edits, cut):
    """A study archive with bytes flipped or cut short is refused, never a crash."""
    before = _row_counts(app)
    damage = Damage(tuple(edits), cut)
    _import_archive(app, exported.owner, damage, exported.archive)
    assert _row_counts(app) == before, damage.describe(exported.archive)


@FUZZ
@given(index=st.integers(min_value=0, max_value=50), content=st.binary(max_size=3000))
def test_archive_members_replaced_by_junk_are_refused_cleanly(app, exported, index, content):
    """Any changed member of a study archive is refused (checksums), never a crash."""
    before = _row_counts(app)
    source = zipfile.ZipFile(io.BytesIO(exported.archive))
    names = source.namelist()
    unchanged = source.read(names[index % len(names)]) == content  # e.g. an empty table
    damage = Replacement(index, content)
    imported = _import_archive(app, exported.owner, damage, exported.archive)
    # every member is checksummed: any change is refused
    assert imported == unchanged, damage.describe(exported.archive)
    assert _row_counts(app) == before, damage.describe(exported.archive)


def _needs_zip_version(data: bytes, version: int) -> bytes:
    """Set the "version needed to extract" of the first central directory entry."""
    at = data.index(b"PK\x01\x02")
    return data[: at + 6] + struct.pack("<H", version) + data[at + 8 :]


@pytest.mark.parametrize("version", [112, 183, 241])
def test_a_qdpx_needing_an_unknown_zip_version_is_refused_with_a_clear_error(
    app, client, exported, version
):
    """Found by the fuzz test: a flipped version byte was a 500; now a 422 naming the file."""
    login(client, "owner@example.org")
    before = _row_counts(app)
    damaged = _needs_zip_version(exported.qdpx, version)
    response = client.post(
        "/import/",
        data={"file": (io.BytesIO(damaged), "project.qdpx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "project.qdpx: this is not a REFI-QDA project (.qdpx)" in response.text
    assert "Export the project again as .qdpx." in response.text
    assert _row_counts(app) == before


def test_a_study_archive_needing_an_unknown_zip_version_is_refused(app, exported):
    """The same damage in a study archive is the archive's own refusal, not a crash."""
    from app.exchange.archive.restore import import_study_archive

    damaged = _needs_zip_version(exported.archive, 183)
    with app.app_context(), pytest.raises(ValidationError, match="not a readable study archive"):
        import_study_archive(damaged, owner_id=exported.owner)


FORM_VALUES = st.text(max_size=60) | st.sampled_from(["agree", "nuance", "disagree", "withdraw"])


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), FORM_VALUES, max_size=4))
def test_the_participant_page_answers_generated_forms(app, exported, values):
    from app.models import ValidationLink
    from app.synthesis.links import link_token

    with app.app_context():
        link = db.session.execute(db.select(ValidationLink)).scalars().first()
        token = link_token(link)
        items = [item.statement_id for item in link.round.items]
        revision = str(link.answers_version)  # as the page drawn now sends it
    keys = {
        "a": f"verdict-{items[0]}",
        "b": f"comment-{items[0]}",
        "c": f"verdict-{items[-1]}",
        "d": "quote-1",
    }
    form = {keys[k]: v for k, v in values.items()} | {"revision": revision}
    response = app.test_client().post(f"/v/{token}", data=form)
    assert response.status_code in {303, 422}


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from(
            ["organisation", "channel", "worker_action", "consequence", "minutes_spent", "themes"]
        ),
        st.text(max_size=40),
        max_size=6,
    )
)
def test_the_incident_form_answers_generated_forms(app, client, exported, values):
    login(client, "owner@example.org")
    before = _row_counts(app)["incident_sheet"]
    response = client.post(f"/studies/{exported.study}/incidents/", data=values)
    assert response.status_code in {303, 422}
    if response.status_code == 422:
        assert _row_counts(app)["incident_sheet"] == before
