"""Helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)
