"""Written-form patterns (`=`) match the written form only, never through a lemma."""

from __future__ import annotations

from analysis import prepare_many
from analysis.terms import TermIndex, compile_terms


def _found(pattern: str, text: str, language: str = "en") -> list[str]:
    index = TermIndex(compile_terms([("t", pattern, 1.0)], language))
    prepared = prepare_many([text], [language])[0]
    return [text[m.start : m.end] for m in index.find(prepared)]


def test_form_pattern_does_not_match_another_form_of_the_same_lemma():
    """ "=depend|depends on" finds "depends on", not "depending on" (according to)."""
    assert _found("=depend|depends on", "She depends on her son.") == ["depends on"]
    assert _found("=depend|depends on", "It varies depending on the office.") == []


def test_single_word_form_pattern_matches_only_its_forms():
    """ "=closed" finds "closed", not "closes" or "closing"."""
    assert _found("=closed", "The branch closed last year.") == ["closed"]
    assert _found("=closed", "The branch is closing; it closes soon.") == []
