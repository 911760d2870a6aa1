"""Stored text gets U+FFFD for every character XML 1.0 cannot hold.

Since session 9 every input stores U+FFFE and U+FFFF as U+FFFD and no control character
(`analysis.normalise_text`, `platform.forms.clean_text`). Text stored before, or restored
from an older study archive (which took any character but NUL), can still hold them, and a
single one made the REFI-QDA codebook (.qdc) and project (.qdpx), the Word report and the
XLSX exports fail: XML 1.0 forbids them, and lxml, python-docx and openpyxl refuse the whole
string. This rewrites, in every column of user text (`TEXT_COLUMNS`, `JSON_COLUMNS`; derived
from the models, and tests/app/platform/test_text_migration.py fails when a text column is
neither listed nor in `NOT_USER_TEXT` with its reason), each of these code points as U+FFFD:
the C0 control characters but tab, line feed and carriage return, U+FFFE and U+FFFF
(`analysis.xml_safe`, frozen here; PostgreSQL never held NUL, SQLite may have).

One code point is replaced by one code point, so every offset counted over a text stays
valid: codings (Unicode code points, end exclusive), personal-data findings, and the quotes
and selections built from them point at the same words as before. A passage whose text
changed keeps its suggestions' decisions (their text hash is renewed) and loses its cached
lemmas (recomputed on the next run); the search index follows through its triggers.

A pseudonym whose rewritten form another participant of the study already has (two that
differed only by U+FFFE and U+FFFF) is left as it is: its key is unique per study, and the
exports replace the character when they write it (`xml_safe` at every XML writer).

Idempotent: a second run finds nothing to change. The downgrade changes nothing: the
replaced characters carried no meaning, and no export could write them.

Revision ID: 0016
Revises: 0015
"""

import hashlib
import re

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Frozen copy of analysis.text.xml_safe's set, but lone surrogates (no database stores them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same for PostgreSQL's regular expressions: it cannot hold NUL, nor take one in a pattern.
_PG_PATTERN = "[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"

TEXT_COLUMNS = {
    "user": ("display_name",),
    "api_token": ("name",),
    "study": ("title", "description"),
    "group_session": ("title", "place"),
    "participant": ("pseudonym", "pseudonym_key"),
    "consent": ("note",),
    "narrative": ("title", "summary"),
    "passage": ("speaker_label", "text"),
    "passage_revision": ("text", "speaker"),
    "theme": (
        "label_nl",
        "label_fr",
        "label_en",
        "definition_nl",
        "definition_fr",
        "definition_en",
    ),
    "coding": ("memo",),
    "incident_sheet": ("organisation", "procedure", "channel", "barriers", "narrative"),
    "known_name": ("name",),
    "pii_finding": ("text", "resolution"),
    "grouping": ("label", "note"),
    "statement": ("group_label",),
    "statement_version": ("text", "positions", "note"),
    "validation_round": ("title",),
    "statement_answer": ("comment",),
    "quote_decision": ("rephrasing",),
    "job": ("message", "error"),
    "import_draft": ("filename",),
}
# Strings inside JSON (keys too): seed terms, participant attributes, grouping terms and labels.
JSON_COLUMNS = {
    "theme": ("seed_terms",),
    "participant": ("attributes",),
    "grouping": ("terms", "labels"),
}
NOT_USER_TEXT = {
    "user.email": "an address clean_email checked (no control character); never exported",
    "user.password_hash": "a hash",
    "user.locale": "a language code",
    "user.session_token": "a token",
    "login_session.token_hash": "a hash",
    "api_token.token_hash": "a hash",
    "api_token.prefix": "a token prefix",
    "audit_event.action": "an action name",
    "audit_event.object_type": "a table name",
    "audit_event.details": "ids and counts only",
    "study.language": "a language code",
    "study.demo_key": "an identifier",
    "group_session.language": "a language code",
    "group_session.seating": "participant ids",
    "import_draft.batch": "an identifier",
    "job.kind": "a job kind",
    "job.params": "ids and options",
    "job.result": "ids and counts",
    "theme.key": "a slug (a-z, 0-9, _)",
    "theme.guid": "a UUID",
    "theme.colour": "#rrggbb",
    "grouping.members": "passage ids",
    "grouping.representatives": "passage ids",
    "grouping.theme_overlap": "theme ids and shares",
    "narrative.decided_by": "how the group chose",
    "passage.client_key": "an identifier",
    "pii_finding.object_type": "a table name",
    "pii_finding.kind": "a kind of finding",
    "pii_finding.status": "a status",
    "passage_analysis.text_hash": "a hash",
    "passage_analysis.language": "a language code",
    "passage_analysis.prepared": "cached lemmas: dropped for every passage rewritten here",
    "suggestion.regime": "a kind of suggestion",
    "suggestion.evidence": "codebook terms, shown on the page only; a new run replaces them",
    "suggestion.text_hash": "a hash: renewed here for every passage rewritten",
    "validation_link.nonce": "a token",
}


def _safe(value):
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def _safe_json(value):
    if isinstance(value, list):
        return [_safe_json(item) for item in value]
    if isinstance(value, dict):
        return {_safe(key): _safe_json(item) for key, item in value.items()}
    return _safe(value)


def _table(name: str, columns, kind) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, kind) for c in columns))


def _changed_text(bind, name: str, columns) -> list[tuple]:
    """Return (id, old values, new values) of every row of `name` to rewrite."""
    table = _table(name, columns, sa.Text)
    query = sa.select(table).order_by(table.c.id)
    if bind.dialect.name == "postgresql":  # the server finds the few rows; SQLite reads all
        pattern = sa.literal(_PG_PATTERN, sa.Text)
        query = query.where(sa.or_(*(table.c[c].op("~")(pattern) for c in columns)))
    changed = []
    for row in bind.execute(query):  # collected first, written after the read is done
        old = {c: row._mapping[c] for c in columns}
        new = {c: _safe(v) for c, v in old.items()}
        if new != old:
            changed.append((row.id, old, new))
    return changed


def _rewrite_text(bind, name: str, columns) -> list[tuple]:
    table = _table(name, columns, sa.Text)
    changed = _changed_text(bind, name, columns)
    if name == "participant":
        changed = _without_taken_pseudonyms(bind, changed)
    for row_id, _old, new in changed:
        bind.execute(sa.update(table).where(table.c.id == row_id).values(**new))
    return changed


def _without_taken_pseudonyms(bind, changed: list[tuple]) -> list[tuple]:
    """Leave out a rewrite that would give a participant another one's pseudonym key."""
    table = sa.table(
        "participant", sa.column("id"), sa.column("study_id"), sa.column("pseudonym_key")
    )
    rows = bind.execute(sa.select(table)).all()
    study = {row.id: row.study_id for row in rows}
    taken = {(row.study_id, row.pseudonym_key) for row in rows}
    kept = []
    for row_id, old, new in changed:
        key = (study[row_id], new["pseudonym_key"])
        if new["pseudonym_key"] != old["pseudonym_key"] and key in taken:
            continue
        taken.discard((study[row_id], old["pseudonym_key"]))
        taken.add(key)
        kept.append((row_id, old, new))
    return kept


def _rewrite_json(bind, name: str, columns) -> None:
    table = _table(name, columns, sa.JSON)
    changed = []
    for row in bind.execute(sa.select(table).order_by(table.c.id)):
        old = {c: row._mapping[c] for c in columns}
        new = {c: _safe_json(v) for c, v in old.items()}
        if new != old:
            changed.append((row.id, new))
    for row_id, new in changed:
        bind.execute(sa.update(table).where(table.c.id == row_id).values(**new))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _follow_passages(bind, changed: list[tuple]) -> None:
    """Renew suggestion hashes of the rewritten texts and drop their cached lemmas."""
    suggestion = sa.table("suggestion", sa.column("passage_id"), sa.column("text_hash", sa.String))
    analysis = sa.table("passage_analysis", sa.column("passage_id"))
    for passage_id, old, new in changed:
        if old["text"] == new["text"]:
            continue
        bind.execute(
            sa.update(suggestion)
            .where(
                suggestion.c.passage_id == passage_id,
                suggestion.c.text_hash == _hash(old["text"]),
            )
            .values(text_hash=_hash(new["text"]))
        )
        bind.execute(sa.delete(analysis).where(analysis.c.passage_id == passage_id))


def upgrade():
    bind = op.get_bind()
    for name, columns in TEXT_COLUMNS.items():
        changed = _rewrite_text(bind, name, columns)
        if name == "passage":
            _follow_passages(bind, changed)
    for name, columns in JSON_COLUMNS.items():
        _rewrite_json(bind, name, columns)


def downgrade():
    pass
