"""The domain model; import models from here."""

from app.models.accounts import LoginSession, User
from app.models.analysis import (
    Grouping,
    GroupingStatus,
    PassageAnalysis,
    Suggestion,
    SuggestionStatus,
)
from app.models.audit import AuditEvent
from app.models.coding import Coding, CodingOrigin, Theme
from app.models.imports import ImportDraft
from app.models.incidents import Consequence, IncidentSheet, WorkerAction
from app.models.jobs import Job, JobStatus
from app.models.privacy import KnownName, PiiFinding
from app.models.studies import (
    Consent,
    ConsentScope,
    GroupSession,
    Membership,
    Narrative,
    Participant,
    Role,
    SessionStatus,
    Study,
)
from app.models.synthesis import (
    ProposalLevel,
    Statement,
    StatementKind,
    StatementLink,
    StatementVersion,
    Synthesis,
)
from app.models.tokens import ApiToken
from app.models.transcripts import Passage, PassageRevision, SpeakerKind
from app.models.validation import (
    QuoteChoice,
    QuoteDecision,
    RoundStatement,
    StatementAnswer,
    ValidationLink,
    ValidationRound,
    Verdict,
)

__all__ = [
    "Consequence",
    "IncidentSheet",
    "WorkerAction",
    "Grouping",
    "GroupingStatus",
    "PassageAnalysis",
    "Suggestion",
    "SuggestionStatus",
    "ApiToken",
    "AuditEvent",
    "Coding",
    "CodingOrigin",
    "Consent",
    "ConsentScope",
    "GroupSession",
    "ImportDraft",
    "Job",
    "JobStatus",
    "KnownName",
    "Membership",
    "Narrative",
    "Participant",
    "Passage",
    "PassageRevision",
    "PiiFinding",
    "ProposalLevel",
    "QuoteChoice",
    "QuoteDecision",
    "Role",
    "RoundStatement",
    "SessionStatus",
    "SpeakerKind",
    "Statement",
    "StatementAnswer",
    "StatementKind",
    "StatementLink",
    "StatementVersion",
    "Study",
    "Synthesis",
    "Theme",
    "User",
    "ValidationLink",
    "ValidationRound",
    "Verdict",
    "LoginSession",
]
