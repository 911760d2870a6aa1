"""Pages for looking at coded material: retrieval and search, matrices, agreement."""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    get_template_attribute,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from analysis import agreement_by_theme
from app.accounts.audit import record_event
from app.accounts.policy import allowed, in_study, study_action
from app.coding.matrices import cooccurrence, theme_matrix
from app.coding.results import Shared, passages_html, segments_html
from app.coding.retrieval import (
    SegmentFilters,
    attribute_values,
    found_passages,
    participant_attributes,
    search_terms,
    segment_rows,
)
from app.models import Coding, GroupSession, Passage, User
from app.models.phases import PHASES
from app.platform.cells import spreadsheet_cell
from app.platform.database import reading
from app.platform.extensions import db
from app.platform.forms import ValidationError, as_id, clean_date
from app.studies.codebook import descendant_ids, theme_by_id, theme_tree
from app.studies.consents import left_out_as_person
from app.studies.redaction import words_kept

bp = Blueprint("segments", __name__, url_prefix="/studies/<int:study_id>")


def _int_arg(name: str) -> int | None:
    return as_id(request.args.get(name, ""))


def _theme_ids(name: str) -> frozenset[int] | None:
    theme_id = _int_arg(name)
    if theme_id is None:
        return None
    if theme_by_id(g.study.id, theme_id) is None:
        abort(404)
    return frozenset(descendant_ids(g.study.id, theme_id))


# The query-string names of the retrieval filters (what downloads carry over).
FILTER_ARGS = ("theme", "with_theme", "session", "phase", "attribute", "coder", "from", "to", "q")


def filters_from_args() -> SegmentFilters:
    """Read the retrieval filters from the query string."""
    attribute = request.args.get("attribute", "")
    name, _sep, value = attribute.partition("=")
    return SegmentFilters(
        theme_ids=_theme_ids("theme"),
        with_theme_ids=_theme_ids("with_theme"),
        session_id=_int_arg("session"),
        phase=_int_arg("phase"),
        attribute=(name, value) if name and value else None,
        coder_id=_int_arg("coder"),
        date_from=clean_date(request.args.get("from"), "from"),
        date_to=clean_date(request.args.get("to"), "to"),
        terms=tuple(search_terms(request.args.get("q"))),
    )


def _coders(study_id: int) -> list:
    """The study's coders as (id, display_name) rows, by name."""
    return list(
        db.session.execute(
            db.select(User.id, User.display_name)
            .join(Coding, Coding.coder_id == User.id)
            .join(Passage)
            .join(GroupSession)
            .where(GroupSession.study_id == study_id)
            .distinct()
            .order_by(User.display_name, User.id)
        )
    )


def theme_heads(themes) -> dict[int, Markup]:
    """Return each theme's swatch and bold label (reader's language), built once a page."""
    swatch = get_template_attribute("_macros.html", "swatch")
    locale = str(get_locale())
    return {
        theme.id: Markup("{}<strong>{}</strong>").format(swatch(theme.colour), theme.label(locale))
        for theme in themes
    }


@bp.get("/segments")
@study_action("study.view")
def retrieval(study_id: int):
    """List coded segments by theme, session, phase, attribute, coder, date and search words."""
    try:
        filters = filters_from_args()
    except ValidationError as error:
        filters, date_error = SegmentFilters(), error
    else:
        date_error = None
    record_event(
        "segments.view",
        "study",
        study_id,
        user_id=current_user.id,
        study_id=study_id,
        details={"search": bool(filters.terms)},
    )
    if not reading():  # a GET writes its audit event apart; committing would expire g.study
        db.session.commit()
    results = segment_rows(study_id, filters)
    passages = found_passages(study_id, filters) if filters.terms else []
    tree = theme_tree(study_id)
    sessions = g.study.group_sessions
    attributes = participant_attributes(study_id)
    shared = Shared(
        heads=theme_heads(theme for theme, _depth in tree),
        session_names={s.id: _("Session %(number)d", number=s.number) for s in sessions},
        phase_names=[str(phase.name) for phase in PHASES],
        workspace={
            s.id: url_for("coding.workspace", study_id=study_id, session_id=s.id) for s in sessions
        },
        organisations={
            id_: values["organisation_type"]
            for id_, values in attributes.items()
            if values.get("organisation_type")
        },
        memo=_("Memo:"),
        open=_("Open in the coding view"),
    )
    can_export = allowed(g.membership.role, "export.download")
    return render_template(
        "segments/retrieval.html",
        study=g.study,
        filters=filters,
        results=results,
        passages=passages,
        segments_html=segments_html(results, shared),
        passages_html=passages_html(passages, shared),
        args=request.args,
        tree=tree,
        phases=PHASES,
        attributes=attribute_values(study_id, attributes),
        coders=_coders(study_id),
        error=date_error,
        can_export=can_export,
        export_args={k: v for k, v in request.args.items() if k in FILTER_ARGS},
        words_kept=words_kept(study_id)["exchange"] if can_export else {},
    ), (422 if date_error else 200)


MATRICES = ("session", "phase", "attribute", "cooccurrence")


def _matrix(study_id: int, kind: str, attribute: str) -> dict:
    if kind == "cooccurrence":
        data = cooccurrence(study_id)
        data["columns"] = [(t.id, t.label(str(g.locale))) for t in data["themes"]]
        return data
    return theme_matrix(study_id, kind, attribute)


@bp.get("/matrices")
@study_action("study.view")
def matrices(study_id: int):
    """Show theme × session, × phase, × attribute and co-occurrence counts."""
    g.locale = get_locale()
    attribute = request.args.get("attribute", "organisation_type")
    attributes = attribute_values(study_id)
    tables = {kind: _matrix(study_id, kind, attribute) for kind in MATRICES}
    return render_template(
        "segments/matrices.html",
        study=g.study,
        tables=tables,
        attribute=attribute,
        attributes=attributes,
    )


@bp.get("/matrices/<any(session, phase, attribute, cooccurrence):kind>.csv")
@study_action("study.view")
def matrix_csv(study_id: int, kind: str):
    """Download one matrix as CSV (theme labels in the interface language).

    A file may leave the team: who withdrew from the study (or was erased) has no attribute
    value in it, as in the matrices workbook, though the page shows every value.
    """
    g.locale = get_locale()
    attribute = request.args.get("attribute", "organisation_type")
    if kind == "attribute":
        data = theme_matrix(study_id, kind, attribute, left_out=left_out_as_person)
    else:
        data = _matrix(study_id, kind, attribute)
    out = io.StringIO()
    writer = csv.writer(out)
    if kind == "session":
        headings = [_("Session %(number)d", number=label) for _key, label in data["columns"]]
    else:
        headings = [str(label) for _key, label in data["columns"]]
    writer.writerow([_("Theme"), *[spreadsheet_cell(h) for h in headings]])
    for theme in data["themes"]:
        writer.writerow(
            [
                spreadsheet_cell(theme.label(str(g.locale))),
                *[data["counts"].get((theme.id, key), 0) for key, _l in data["columns"]],
            ]
        )
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="study-{study_id}-{kind}.csv"'},
    )


@bp.get("/sessions/<int:session_id>/agreement")
@study_action("study.view")
def agreement(study_id: int, session_id: int):
    """Show inter-coder agreement per theme for a session, with the disagreements."""
    group_session = in_study(GroupSession, session_id)
    passages = (
        db.session.execute(
            db.select(Passage)
            .filter_by(group_session_id=session_id)
            .options(
                selectinload(Passage.codings).selectinload(Coding.theme),
                selectinload(Passage.participant),
            )
            .order_by(Passage.phase, Passage.position, Passage.id)
        )
        .scalars()
        .all()
    )
    coders_here = sorted(
        {c.coder for p in passages for c in p.codings if c.coder}, key=lambda u: u.display_name
    )
    chosen = {as_id(v) for v in request.args.getlist("coder")} - {None}
    coders = [u for u in coders_here if not chosen or u.id in chosen]
    themes = [theme for theme, _depth in theme_tree(study_id)]
    results = []
    if len(coders) >= 2:
        assignments = {
            u.id: {p.id: {c.theme.key for c in p.codings if c.coder_id == u.id} for p in passages}
            for u in coders
        }
        results = agreement_by_theme(assignments, [p.id for p in passages], [t.key for t in themes])
    return render_template(
        "segments/agreement.html",
        study=g.study,
        group_session=group_session,
        coders_here=coders_here,
        coders=coders,
        results=results,
        themes={t.key: t for t in themes},
        passages={p.id: p for p in passages},
    )
