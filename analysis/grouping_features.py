"""Language-independent features of passages for groupings, and safe label terms.

Three blocks, each TF-IDF weighted (sublinear counts, smoothed idf, so a concept found
in every passage weighs little) and L2-normalised per passage before weighting:
- concepts of `concepts.toml` (the same ids in nl, fr and en);
- shared words: content lemmas found in passages of *every* language of the study
  ("itsme", "Smartschool", "app"); in a one-language study that is its whole
  vocabulary, in a mixed one only what reads the same across languages;
- theme evidence: the zero-shot score of each codebook theme, cubed (`THEME_POWER`), so
  a passage points at its strongest themes rather than at every theme its length
  touched (a long passage of report prose scores high on all four default themes, and
  unsharpened its theme profile looks like every other's); in a mixed study each
  theme's scores are scaled per language to a common mean (translations must score
  alike, and the lexicon is not equally generous in every language), and the block's
  length is the passage's top score (weak evidence differs between a passage and its
  translations; a passage without a clear theme is placed by its concepts).
Weights: concepts 1, words 0.25, themes 1 (measured on four registers, see BENCHMARKS).
Method formulas, facilitator labels and caller-excluded names never become features.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from analysis.codebook import ThemeSpec
from analysis.concepts import ConceptFinder
from analysis.features import CHATTER
from analysis.nlp import PreparedText, pipeline
from analysis.zeroshot import ZeroShot, score_from_points

CONCEPT_WEIGHT = 1.0
WORD_WEIGHT = 0.25
THEME_WEIGHT = 1.0
# Theme scores are raised to this power before the block is normalised, so that a
# passage points at its strongest themes, not at every theme its length touched.
THEME_POWER = 3.0
# A language counts as part of the study from this share of passages on; a shared
# word must occur in passages of each such language.
LANGUAGE_SHARE = 0.1
MIN_WORD_LENGTH = 3
# Pronouns and fillers that spaCy's stop words miss and that read as noise in a label
# ("kind, niemand", "bill, way"); they never become shared words.
_EVERYONE_WORDS = {
    "nl": "niemand iedereen allemaal allez manier oké okee",
    "fr": "quelqu'un façon",
    "en": "nobody everybody everyone someone somebody anyone anybody way thing okay",
}
_EVERYONE = {language: frozenset(words.split()) for language, words in _EVERYONE_WORDS.items()}
# Theme scores are scaled per language only for languages with this many passages.
ALIGN_MIN_PASSAGES = 10


@dataclass
class Features:
    """Per-passage features and what is needed to label groups of them."""

    matrix: sparse.csr_matrix  # weighted blocks side by side, rows L2-normalised
    concepts: sparse.csr_matrix  # concept presence (0/1), passages × concept ids
    concept_ids: list[str]
    words: sparse.csr_matrix  # shared-word presence (0/1)
    word_lemmas: list[str]
    surfaces: dict[str, Counter[str]]  # shared-word lemma → written forms
    themes: list[frozenset[str]]  # zero-shot themes with a score >= 0.5, per passage


def build_features(
    prepared: Sequence[PreparedText],
    codebook: Sequence[ThemeSpec],
    finder: ConceptFinder,
) -> Features:
    """Return the grouping features of prepared passages."""
    scans = [finder.scan(p) for p in prepared]
    masks = [mask for mask, _ in scans]
    found = [counts for _, counts in scans]
    concept_ids = sorted({key for counts in found for key in counts})
    concept_counts = _count_matrix(found, concept_ids)
    words, surfaces = _shared_words(prepared, masks, finder.excluded_words)
    word_ids = sorted({w for doc in words for w in doc})
    word_counts = _count_matrix([Counter(doc) for doc in words], word_ids)
    blocks = [CONCEPT_WEIGHT * _tfidf(concept_counts), WORD_WEIGHT * _tfidf(word_counts)]
    themes: list[frozenset[str]] = [frozenset()] * len(prepared)
    if codebook:
        scores, themes = _theme_scores(prepared, codebook)
        sharp = _align(scores**THEME_POWER, [p.language for p in prepared])
        theme_block = _normalise(sharp)
        if len(_study_languages(prepared)) > 1:
            # Across languages, weak evidence is unreliable (each language has its own
            # lexicon): the block's length is the passage's top score, so a passage with
            # no clear theme is placed by its concepts, not by its weak evidence.
            theme_block *= sharp.max(axis=1, keepdims=True) ** (1 / THEME_POWER)
        blocks.append(THEME_WEIGHT * sparse.csr_matrix(theme_block))
    from sklearn.preprocessing import normalize

    matrix = normalize(sparse.hstack(blocks, format="csr", dtype=np.float32))
    return Features(
        matrix=matrix,
        concepts=(concept_counts > 0).astype(np.float32).tocsr(),
        concept_ids=concept_ids,
        words=(word_counts > 0).astype(np.float32).tocsr(),
        word_lemmas=word_ids,
        surfaces=surfaces,
        themes=themes,
    )


def _count_matrix(counts: Sequence[Counter[str]], ids: list[str]) -> sparse.csr_matrix:
    column = {key: i for i, key in enumerate(ids)}
    rows, cols, values = [], [], []
    for row, found in enumerate(counts):
        for key, count in found.items():
            if key in column:
                rows.append(row)
                cols.append(column[key])
                values.append(count)
    shape = (len(counts), max(len(ids), 1))
    return sparse.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float32)


def _tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    from sklearn.feature_extraction.text import TfidfTransformer

    if counts.nnz == 0:
        return counts
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).astype(np.float32)


def _normalise(values: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)


def _align(scores: np.ndarray, languages: list[str]) -> np.ndarray:
    """Scale each theme's scores per language so that every language has the same mean."""
    aligned = scores.copy()
    overall = scores.mean(axis=0)
    by_language: dict[str, list[int]] = {}
    for row, language in enumerate(languages):
        by_language.setdefault(language, []).append(row)
    if len(by_language) < 2:
        return aligned
    for rows in by_language.values():
        if len(rows) < ALIGN_MIN_PASSAGES:
            continue
        mean = scores[rows].mean(axis=0)
        factor = np.divide(overall, mean, out=np.ones_like(mean), where=mean > 0)
        aligned[rows] = np.minimum(scores[rows] * factor, 1.0)
    return aligned


def _study_languages(prepared) -> list[str]:
    """Return the languages of at least `LANGUAGE_SHARE` of the passages."""
    counts = Counter(p.language for p in prepared)
    return sorted(lang for lang, n in counts.items() if n >= LANGUAGE_SHARE * len(prepared))


def _shared_words(prepared, masks, excluded: frozenset[str]):
    """Return per passage its shared content lemmas, and their written forms."""
    languages = _study_languages(prepared)
    stop_words = set()
    for language in languages:
        stop_words |= pipeline(language).Defaults.stop_words
        stop_words |= CHATTER.get(language, frozenset())
        stop_words |= _EVERYONE.get(language, frozenset())
    seen: dict[str, set[str]] = {}
    docs: list[list[str]] = []
    allowed: dict[str, bool] = {}  # word → may it be a feature (one check per word)
    for passage, mask in zip(prepared, masks, strict=True):
        doc = []
        for i, lemma in enumerate(passage.lemmas):
            if passage.stop[i] or i in mask:
                continue
            form = passage.forms[i]
            for word in (form, lemma):
                if word not in allowed:
                    allowed[word] = is_label_word(word, stop_words, excluded)
            if not (allowed[form] and allowed[lemma]):
                continue
            doc.append(lemma)
            seen.setdefault(lemma, set()).add(passage.language)
        docs.append(doc)
    everywhere = {lemma for lemma, found in seen.items() if found.issuperset(languages)}
    docs = [[lemma for lemma in doc if lemma in everywhere] for doc in docs]
    surfaces: dict[str, Counter[str]] = {}
    for passage, mask in zip(prepared, masks, strict=True):
        for i, lemma in enumerate(passage.lemmas):
            if lemma in everywhere and i not in mask:
                surfaces.setdefault(lemma, Counter())[passage.forms[i]] += 1
    return docs, surfaces


def is_label_word(word: str, stop_words, excluded: frozenset[str] = frozenset()) -> bool:
    """Whether a word may be a feature or label term: no stop word, fragment or name."""
    return (
        len(word) >= MIN_WORD_LENGTH
        and word[0].isalpha()
        and word[-1].isalpha()
        and not any(ch.isdigit() for ch in word)
        and word not in stop_words
        and word not in excluded
    )


def _theme_scores(prepared, codebook) -> tuple[np.ndarray, list[frozenset[str]]]:
    zero_shot = ZeroShot(codebook)
    keys = zero_shot.keys
    points = np.array(
        [
            [found[key] for key in keys]
            for found in (zero_shot.evidence_points(zero_shot.matches(p)) for p in prepared)
        ],
        dtype=np.float32,
    ).reshape(len(prepared), len(keys))
    scores = score_from_points(points)
    themes = [frozenset(k for k, s in zip(keys, row, strict=True) if s >= 0.5) for row in scores]
    return scores.astype(np.float32), themes
