"""The default codebook every new study starts with (analysis/default_codebook.toml)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from app.models import Study, Theme
from app.platform.extensions import db

DEFAULT_CODEBOOK = Path(__file__).resolve().parents[2] / "analysis" / "default_codebook.toml"
LANGS = ("nl", "fr", "en")


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
            seed_terms={lang: list(spec[f"seed_terms_{lang}"]) for lang in LANGS},
            **{
                f"{field}_{lang}": spec[f"{field}_{lang}"]
                for field in ("label", "definition")
                for lang in LANGS
            },
        )
        db.session.add(theme)
        themes.append(theme)
    return themes
