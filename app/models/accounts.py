"""User accounts."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import IDS_NEVER_REUSED, utcnow
from app.platform.extensions import db


def new_session_token() -> str:
    """Return a fresh random token that identifies a user's login sessions."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person with an account: a facilitator, researcher, observer or admin.

    `password_hash` is empty for invited users who have not chosen a password
    yet and for the demo study's coders, so neither can log in.
    `session_token` is part of every login cookie; rotating it (logout
    everywhere, password change, disabling) revokes all existing cookies.
    """

    __tablename__ = "user"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))

    memberships = relationship(
        "Membership",
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="Membership.user_id",
    )

    def get_id(self) -> str:
        """Identify the login by user id and session token (revocable cookies)."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        """Only enabled accounts with a password may be logged in."""
        return self.is_enabled and bool(self.password_hash)


class LoginSession(db.Model):
    """One browser's login: logging out ends it on the server, whatever the cookie says.

    The cookie carries the random token; only its SHA-256 is stored. A login is valid
    while its row exists, is not ended, and the user's `session_token` still matches.
    """

    __tablename__ = "login_session"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
