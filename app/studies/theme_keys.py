"""Stable theme keys made from names: what the codebook, suggestions and imports share."""

from __future__ import annotations

import re
import unicodedata

MAX_KEY = 60  # Theme.key is String(60)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o"})


def slugify(name: str) -> str:
    """Return a key for a name: ASCII, lower-case, underscores ("Vie privée" -> "vie_privee")."""
    folded = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    ascii_name = folded.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")
    return slug[:MAX_KEY].rstrip("_") or "theme"


def unique_key(base: str, taken: set[str]) -> str:
    """Return `base`, or `base_2`, `base_3`... if taken; record the result in `taken`."""
    key, number = base, 2
    while key in taken:
        suffix = f"_{number}"
        key = base[: MAX_KEY - len(suffix)].rstrip("_") + suffix
        number += 1
    taken.add(key)
    return key
