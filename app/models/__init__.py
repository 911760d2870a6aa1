"""The domain model; import models from here."""

from app.models.accounts import User
from app.models.audit import AuditEvent
from app.models.coding import Coding, CodingOrigin, Theme
from app.models.imports import ImportDraft
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
from app.models.tokens import ApiToken
from app.models.transcripts import Passage, PassageRevision, SpeakerKind

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Coding",
    "CodingOrigin",
    "Consent",
    "ConsentScope",
    "GroupSession",
    "ImportDraft",
    "KnownName",
    "Membership",
    "Narrative",
    "Participant",
    "Passage",
    "PassageRevision",
    "PiiFinding",
    "Role",
    "SessionStatus",
    "SpeakerKind",
    "Study",
    "Theme",
    "User",
]
