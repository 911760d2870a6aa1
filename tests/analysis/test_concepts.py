"""Cross-language concepts: clean labels, the same concepts across translations, masking."""

from __future__ import annotations

import re

import pytest

from analysis import prepare
from analysis.concepts import ConceptFinder, load_concepts
from analysis.language import LANGUAGES
from analysis.nlp import pipeline
from tests.analysis.parallel_passages import PARALLEL


@pytest.fixture(scope="module")
def finder() -> ConceptFinder:
    return ConceptFinder(["Sophie", "Marie-Claire"])


def test_concept_labels_are_readable_in_every_language():
    """Every concept has a label per language with no stop word, fragment or comma."""
    concepts = load_concepts()
    assert len(concepts) >= 140
    for language in LANGUAGES:
        stop_words = pipeline(language).Defaults.stop_words
        for concept in concepts.values():
            label = concept.label(language)
            assert label and "," not in label, (concept.key, language)
            for word in re.split(r"\s+", label.lower()):
                assert word not in stop_words, (concept.key, language, word)
                assert len(word) >= 2 and word[0] not in "-'’" and word[-1] not in "-'’"


def test_every_concept_has_terms_in_every_language():
    """A concept with terms in one language only would split translations."""
    for concept in load_concepts().values():
        for language in LANGUAGES:
            assert concept.patterns[language], (concept.key, language)


def test_translations_share_most_concepts(finder):
    """The nl, fr and en versions of a passage mostly find the same concepts."""
    shared = total = 0
    for triples in PARALLEL.values():
        for triple in triples:
            found = [
                set(finder.find(prepare(text, language)))
                for text, language in zip(triple, LANGUAGES, strict=True)
            ]
            union = set.union(*found)
            shared += len(set.intersection(*found))
            total += len(union)
            assert set.intersection(*found), triple
    assert shared / total >= 0.6


@pytest.mark.parametrize(
    ("text", "language", "hidden"),
    [
        ("Sophie: wat roept dit bij je op? Het loket is dicht.", "nl", {"sophie", "roept"}),
        ("Animatrice : qui veut commencer ? Marie-Claire : le guichet.", "fr", {"commencer"}),
        ("Facilitator: who wants to start? Sophie: the counter.", "en", {"facilitator"}),
    ],
)
def test_method_formulas_and_names_are_masked(finder, text, language, hidden):
    """Turn-taking formulas, facilitator labels and excluded names are masked."""
    prepared = prepare(text, language)
    masked = {prepared.forms[i] for i in finder.masked(prepared)}
    assert hidden <= masked
    assert "counter" in finder.find(prepared)


def test_a_concept_inside_a_masked_span_does_not_count():
    """An excluded name that is also a concept word does not count as the concept."""
    prepared = prepare("Bank zegt dat de vergadering begint.", "nl")
    finder = ConceptFinder(["Bank"])
    assert "bank" in ConceptFinder().find(prepared)
    assert "bank" not in finder.find(prepared)
