"""Validation rules shared by forms, the CLI and imports.

Each rule is a pure function that returns the cleaned value or raises
ValidationError with a message a person can act on. Messages are lazy
strings so they are translated where they are shown.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from analysis import normalise_text
from analysis.text import NONCHARACTERS
from app.platform.config import LANGUAGES


class ValidationError(ValueError):
    """Input that cannot be stored; `field` names the form field at fault."""

    def __init__(self, message, field: str | None = None) -> None:
        # A plain str: lazy strings count as safe markup in Jinja, and messages can
        # contain user input (a pseudonym, a file name) that must be escaped.
        self.message = str(message)
        super().__init__(self.message)
        self.field = field


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12


# Lone UTF-16 surrogates: JSON can carry them ("\\ud800"), but no UTF-8 text can hold them,
# so the database, the Word writer and every file export would fail on them.
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = _l(
    "The text contains an invalid character (a lone UTF-16 surrogate); nothing was saved."
)


def refuse_surrogates(text: str, field: str | None = None) -> str:
    """Return `text`, or raise ValidationError if it holds a lone surrogate."""
    if _SURROGATE.search(text):
        raise ValidationError(SURROGATE_MESSAGE, field)
    return text


def has_lone_surrogate(value) -> bool:
    """Tell whether parsed JSON (any nesting, keys too) holds a string with a lone surrogate."""
    pending = [value]
    while pending:  # no recursion: nesting depth is the sender's choice
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def clean_text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
    """Normalise a one-line text (NFC, trimmed) and check its length."""
    text = unicodedata.normalize("NFC", refuse_surrogates((value or "").strip(), field))
    text = text.translate(NONCHARACTERS)  # U+FFFE/U+FFFF: U+FFFD, as in normalise_text
    if required and not text:
        raise ValidationError(_l("This field is required."), field)
    if len(text) > max_length:
        raise ValidationError(
            _l("Use at most %(max)d characters (this has %(n)d).", max=max_length, n=len(text)),
            field,
        )
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValidationError(_l("Remove the control characters from this field."), field)
    return text


def clean_long_text(value: str | None, field: str, *, max_length: int = 10_000) -> str:
    """Normalise a multi-line text (NFC, Unix line endings) and check its length."""
    text = normalise_text(refuse_surrogates(value or "", field))
    if len(text) > max_length:
        raise ValidationError(
            _l("Use at most %(max)d characters (this has %(n)d).", max=max_length, n=len(text)),
            field,
        )
    return text


def clean_email(value: str | None, field: str = "email") -> str:
    """Return the e-mail address in lower case, or raise."""
    email = clean_text(value, field, max_length=254).lower()
    if not _EMAIL.match(email):
        raise ValidationError(_l("Enter an e-mail address such as name@example.org."), field)
    return email


def clean_password(
    value: str | None, confirm: str | None, field: str = "password", user_inputs=()
) -> str:
    """Check a new password: long enough, not guessable, typed twice the same.

    Guessability is zxcvbn's estimate (common passwords, dictionary words,
    keyboard rows, dates, repeats, and the person's own name and address);
    scores below 3 are refused.
    """
    password = value or ""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            _l("Choose a password of at least %(n)d characters.", n=MIN_PASSWORD), field
        )
    if len(password) > 1024:
        raise ValidationError(_l("Choose a password of at most 1024 characters."), field)
    if zxcvbn(password[:100], user_inputs=[str(v) for v in user_inputs if v])["score"] < 3:
        raise ValidationError(
            _l("This password is too easy to guess. Use a few unrelated words, for example."),
            field,
        )
    if password != (confirm or ""):
        raise ValidationError(_l("The two passwords are not the same."), "confirm")
    return password


def clean_language(value: str | None, field: str = "language") -> str:
    """Return a supported language code (nl, fr, en), or raise."""
    if value not in LANGUAGES:
        raise ValidationError(_l("Choose Dutch, French or English."), field)
    return value


def clean_date(value: str | None, field: str, *, required: bool = False) -> date | None:
    """Parse an ISO date (YYYY-MM-DD) as sent by an HTML date input."""
    if not value:
        if required:
            raise ValidationError(_l("This field is required."), field)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_l("Enter a date as YYYY-MM-DD."), field) from None


def clean_positive_int(value: str | None, field: str, *, maximum: int = 10_000) -> int:
    """Parse a whole number from 1 to `maximum`."""
    try:
        number = int(value or "")
    except ValueError:
        raise ValidationError(_l("Enter a whole number."), field) from None
    if not 1 <= number <= maximum:
        raise ValidationError(_l("Enter a number from 1 to %(max)d.", max=maximum), field)
    return number


MAX_ID = 2**31 - 1  # the database's integer range


def as_id(value) -> int | None:
    """Return a positive database id from a string or int, or None (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


def as_number(value, default: int = 0, maximum: int = MAX_ID) -> int:
    """Return a whole number 0..maximum from form or JSON input, else `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= maximum else default
    text = str(value or "")
    if text.isascii() and text.isdigit() and int(text) <= maximum:
        return int(text)
    return default


def pseudonym_key(pseudonym: str) -> str:
    """Return the form of a pseudonym used to detect duplicates."""
    return unicodedata.normalize("NFC", pseudonym).casefold()
