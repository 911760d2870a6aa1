"""The study codebook: seeding a new study with the default themes."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from app.extensions import db
from app.models import Study, Theme

DEFAULT_CODEBOOK = Path(__file__).with_name("default_codebook.toml")


@cache
def default_themes() -> tuple[dict, ...]:
    """Return the default codebook (dependency, privacy, outsourcing, role confusion)."""
    with DEFAULT_CODEBOOK.open("rb") as handle:
        return tuple(tomllib.load(handle)["themes"])


def seed_default_codebook(study: Study) -> list[Theme]:
    """Add the default themes to a new study's codebook."""
    themes = []
    for position, spec in enumerate(default_themes()):
        theme = Theme(
            study=study,
            key=spec["key"],
            position=position,
            colour=spec["colour"],
            seed_terms={lang: list(spec[f"seed_terms_{lang}"]) for lang in ("nl", "fr", "en")},
            **{
                f"{field}_{lang}": spec[f"{field}_{lang}"]
                for field in ("label", "definition")
                for lang in ("nl", "fr", "en")
            },
        )
        db.session.add(theme)
        themes.append(theme)
    return themes
