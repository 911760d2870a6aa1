"""Themes as the analysis sees them: key, labels, definitions and seed terms per language.

`default_codebook()` reads `default_codebook.toml` (beside this module; the web app
seeds new studies from the same file). `codebook_from_json(path)` reads the file the
command line takes with `--codebook`: a JSON list of objects

    [{"key": "privacy",
      "labels": {"nl": "Privacy", "fr": "Vie privée", "en": "Privacy"},
      "definitions": {"en": "Personal data and private life: ..."},
      "seed_terms": {"nl": ["wachtwoord", "pincode"], "fr": ["mot de passe"], "en": []},
      "parent": null}]

`key` is required (a letter, then letters, digits or "_"); every other field is
optional. Seed terms are words or phrases, matched on lemmas ("mots de passe" also
finds "mot de passe"); see `analysis.lexicon` for the pattern syntax.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError
from analysis.language import LANGUAGES

DEFAULT_CODEBOOK_PATH = Path(__file__).with_name("default_codebook.toml")
DEFAULT_KEYS = ("dependency", "privacy", "outsourcing", "role_confusion")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")


@dataclass(frozen=True)
class ThemeSpec:
    """A theme of the codebook; dicts are keyed by language ("nl", "fr", "en")."""

    key: str
    labels: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    seed_terms: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None
    # The default theme whose built-in lexicon and shipped prior this theme uses. None:
    # the theme's own key decides (a default key gets them). The app passes themes under
    # neutral keys (`t<id>`) and names the default theme here, so its study's default
    # themes are read with the lexicon the benchmarks measure.
    lexicon: str | None = None

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def lexicon_key(self) -> str:
        """Return the key the built-in lexicon and the prior know this theme by."""
        return self.lexicon or self.key

    def label(self, language: str = "en") -> str:
        """Return the label in `language`, else any label, else the key."""
        return self.labels.get(language) or next(iter(self.labels.values()), "") or self.key


def default_codebook() -> list[ThemeSpec]:
    """Return the four default themes: dependency, privacy, outsourcing, role_confusion."""
    with DEFAULT_CODEBOOK_PATH.open("rb") as handle:
        entries = tomllib.load(handle)["themes"]
    return [
        ThemeSpec(
            key=entry["key"],
            labels={lang: entry[f"label_{lang}"] for lang in LANGUAGES},
            definitions={lang: entry[f"definition_{lang}"] for lang in LANGUAGES},
            seed_terms={lang: list(entry[f"seed_terms_{lang}"]) for lang in LANGUAGES},
        )
        for entry in entries
    ]


def _language_map(value: Any, name: str, key: str, *, lists: bool) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AnalysisError(f"theme {key!r}: {name} must be an object keyed by language")
    result = {}
    for language, item in value.items():
        if lists:
            if not isinstance(item, list) or not all(isinstance(t, str) for t in item):
                raise AnalysisError(f"theme {key!r}: {name}.{language} must be a list of strings")
            result[str(language)] = [t.strip() for t in item if t.strip()]
        else:
            if not isinstance(item, str):
                raise AnalysisError(f"theme {key!r}: {name}.{language} must be a string")
            result[str(language)] = item
    return result


def theme_from_dict(entry: Any, position: int = 0) -> ThemeSpec:
    """Build a ThemeSpec from one JSON object of a codebook file."""
    if not isinstance(entry, dict):
        raise AnalysisError(f"theme {position + 1}: expected an object")
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise AnalysisError(f"theme {position + 1}: 'key' must be a letter then [A-Za-z0-9_]")
    parent = entry.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise AnalysisError(f"theme {key!r}: 'parent' must be a key or null")
    return ThemeSpec(
        key=key,
        labels=_language_map(entry.get("labels"), "labels", key, lists=False),
        definitions=_language_map(entry.get("definitions"), "definitions", key, lists=False),
        seed_terms=_language_map(entry.get("seed_terms"), "seed_terms", key, lists=True),
        parent=parent,
    )


def codebook_from_json(path: str | Path) -> list[ThemeSpec]:
    """Read a codebook file (a JSON list of theme objects); raise AnalysisError if malformed."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as e:
        raise AnalysisError(f"codebook is not valid JSON (line {e.lineno}: {e.msg})") from e
    if not isinstance(data, list) or not data:
        raise AnalysisError("codebook must be a non-empty JSON list of themes")
    themes = [theme_from_dict(entry, position) for position, entry in enumerate(data)]
    keys = [theme.key for theme in themes]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise AnalysisError(f"codebook repeats theme keys: {', '.join(duplicates)}")
    return themes
