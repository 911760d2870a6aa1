"""The domain model; import models from here."""

from app.models.accounts import User
from app.models.audit import AuditEvent
from app.models.coding import Coding, CodingOrigin, Theme
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
from app.models.transcripts import Passage, SpeakerKind

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Coding",
    "CodingOrigin",
    "Consent",
    "ConsentScope",
    "GroupSession",
    "Membership",
    "Narrative",
    "Participant",
    "Passage",
    "Role",
    "SessionStatus",
    "SpeakerKind",
    "Study",
    "Theme",
    "User",
]
