"""Reports that leave the tool: the Word thematic synthesis of a study.

`build_report` is the one entry point for routes, CLI and jobs: it refuses while
personal-data findings are open (unless overridden, which is audit-logged),
collects plain data (`collect`), and writes the .docx (`docx_report`). It adds
audit events but never commits: the caller owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from flask_babel import force_locale, gettext

from app.accounts.audit import record
from app.exchange.reports.collect import open_findings, report_data, selected_sessions
from app.exchange.reports.docx_report import render
from app.exchange.reports.word import BadReference
from app.models import Study
from app.platform.extensions import db

__all__ = ["ReportRefused", "build_report", "pii_problems"]

LANGUAGES = ("nl", "fr", "en")


class ReportRefused(Exception):
    """The report may not be produced yet; `problems` says why, one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def pii_problems(study_id: int, session_ids: Sequence[int] | None) -> list[str]:
    """Return what blocks a report of these sessions (all if None): open findings, by place."""
    sessions = selected_sessions(study_id, session_ids)
    whole_study = session_ids is None or {s.id for s in sessions} == {
        s.id for s in selected_sessions(study_id, None)
    }
    return [_problem(finding) for finding in open_findings(study_id, sessions, whole_study)]


def build_report(
    study_id: int,
    *,
    language: str,
    session_ids: Sequence[int] | None = None,
    reference_docx: bytes | None = None,
    override_pii: bool = False,
    user_id: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> bytes:
    """Return the Word thematic synthesis of a study (or of chosen sessions) as .docx bytes.

    Raises ReportRefused while the sessions carry open personal-data findings,
    unless `override_pii`. Records "export.docx" (and "report.pii_override")
    audit events in the current unit of work; the caller commits.
    """
    if language not in LANGUAGES:
        raise ValueError(f"Report language must be one of {LANGUAGES}, not {language!r}.")
    study = db.session.get(Study, study_id)
    if study is None:
        raise LookupError(f"No study {study_id}.")
    sessions = selected_sessions(study_id, session_ids)
    whole_study = session_ids is None or {s.id for s in sessions} == {
        s.id for s in selected_sessions(study_id, None)
    }
    findings = open_findings(study_id, sessions, whole_study)
    details = {"sessions": [s.number for s in sessions], "language": language}
    if findings and not override_pii:
        raise ReportRefused([_problem(finding) for finding in findings])
    if findings:
        record(
            "report.pii_override",
            study,
            user_id=user_id,
            study_id=study_id,
            details={**details, "open_findings": len(findings)},
        )
    if progress:
        progress(0.0)
    data = report_data(study, sessions, whole_study)
    if progress:
        progress(0.3)
    try:
        with force_locale(language):
            content = render(
                data,
                language=language,
                generated_on=date.today(),
                reference_docx=reference_docx,
                progress=progress,
            )
    except BadReference as error:
        message = gettext("The reference document is not a Word document (.docx or .dotx).")
        raise ReportRefused([message]) from error
    record(
        "export.docx",
        study,
        user_id=user_id,
        study_id=study_id,
        details={**details, "pii_override": bool(findings)},
    )
    if progress:
        progress(1.0)
    return content


def _problem(finding: dict) -> str:
    """Describe an open finding by where it is and what kind, never by its text."""
    kinds = {
        "national_number": gettext("national register number"),
        "bis_number": gettext("BIS number"),
        "iban": gettext("bank account"),
        "phone": gettext("phone number"),
        "email": gettext("e-mail address"),
        "address": gettext("address"),
        "person": gettext("name"),
    }
    kind = kinds.get(finding["kind"], finding["kind"])
    if finding["session"] is None:
        return gettext("study: %(kind)s finding", kind=kind)
    if finding["phase"] is None:
        return gettext("session %(number)d: %(kind)s finding", number=finding["session"], kind=kind)
    return gettext(
        "session %(number)d, phase %(phase)d: %(kind)s finding",
        number=finding["session"],
        phase=finding["phase"],
        kind=kind,
    )
