"""Thematic groupings of passages, by meaning across languages, with readable labels.

Passages become language-independent features (`analysis.grouping_features`): the
cross-language concepts of `concepts.toml`, words written alike in every language of
the study, and the zero-shot evidence of each codebook theme; method formulas ("wat
roept dit bij je op", "qui veut commencer"), facilitator labels and the names in
`exclude_terms` never count. `TruncatedSVD` reduces the features to at most
`DIMENSIONS` dimensions, rows are re-normalised, and KMeans (fixed `random_state`,
`N_INIT` starts, so the grouping depends little on the seed) groups them. With
`k="auto"`, KMeans runs for every k from 3 to min(12, sqrt(n / 2)) on a fixed random
sample of at most `SAMPLE` passages and the k with the best silhouette (cosine) wins;
ties go to the smaller k.

A group's label is its most distinctive concepts (share of members that mention the
concept minus its share in the study, among concepts that at least `LABEL_MIN_SHARE`
of the members, and two members, mention), as concept labels in `label_language`, then shared words
in their commonest written form. Label terms are never stop words, fragments (a word
starting or ending with a hyphen or apostrophe), single letters, numbers, excluded
names or method words. Its representatives are the three members closest to the
centroid, closest first.

`theme_overlap` gives, per theme, the share of members that carry it: the
facilitators' codings where a member is coded (`coded`), otherwise a zero-shot score
of at least 0.5. **Candidate new theme rule**: a group is a candidate new theme when
its overlap with every theme is below `NEW_THEME_BELOW` (0.25), it has at least
`MIN_CANDIDATE_SIZE` (3) members, *and* its first label term is shared by at least
`COHERENT_SHARE` (half) of its members, so a residue of unrelated passages or a lone
passage is not offered as a theme.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from analysis.codebook import ThemeSpec
from analysis.concepts import ConceptFinder, load_concepts, speaker_labels
from analysis.errors import AnalysisError
from analysis.grouping_features import Features, build_features, is_label_word
from analysis.language import LANGUAGES
from analysis.nlp import PreparedText, pipeline
from analysis.scoring import Progress, prepare_items, report, threads_for

DIMENSIONS = 100
K_AUTO = range(3, 13)
SAMPLE = 1_000
NEW_THEME_BELOW = 0.25
COHERENT_SHARE = 0.5
LABEL_MIN_SHARE = 0.1
MIN_CANDIDATE_SIZE = 3
LABEL_TERMS = 3
TERMS = 8
REPRESENTATIVES = 3
RANDOM_STATE = 0
N_INIT = 10


@dataclass(frozen=True)
class Group:
    """A grouping of passages: label, terms, members and how it relates to the themes.

    `label` and `terms` are concept labels in the interface language, then words the
    study writes alike in every language. `theme_overlap[key]` is the share of members
    coded with the theme (or, uncoded, with a zero-shot score >= 0.5).
    `candidate_new_theme` is true when every overlap is below 0.25, the group has at
    least three members and at least half of them share the first label term.
    """

    label: str
    terms: list[str]
    members: list[Hashable]
    representatives: list[Hashable]
    theme_overlap: dict[str, float]
    best_theme: str | None
    candidate_new_theme: bool
    # The label in each language ("nl", "fr", "en"), so a bilingual team reads the same
    # group in the language of each reader's interface; `label` is the one asked for.
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "terms": self.terms,
            "members": self.members,
            "representatives": self.representatives,
            "theme_overlap": self.theme_overlap,
            "best_theme": self.best_theme,
            "candidate_new_theme": self.candidate_new_theme,
            "labels": self.labels,
        }


def cluster(
    items: Sequence[tuple[Hashable, str | PreparedText]],
    k: int | str = "auto",
    codebook: Sequence[ThemeSpec] = (),
    coded: Mapping[Hashable, Collection[str]] | None = None,
    progress: Progress | None = None,
    *,
    exclude_terms: Collection[str] = (),
    label_language: str | None = None,
) -> list[Group]:
    """Group passages by meaning; return groups by size (largest first), then label.

    `exclude_terms`: names that must never count or show (participants' pseudonyms,
    speaker names, facilitator labels); method formulas, and words written as speaker
    labels ("Sophie:" at the start of a line or sentence), are excluded anyway.
    `label_language`: "nl", "fr" or "en" for labels; by default the commonest language
    of the passages.
    """
    if not (k == "auto" or (isinstance(k, int) and not isinstance(k, bool) and k >= 1)):
        raise AnalysisError(f"k must be 'auto' or a positive integer, not {k!r}")
    if label_language is not None and label_language not in LANGUAGES:
        raise AnalysisError(f"label_language must be one of {LANGUAGES}, not {label_language!r}")
    if not items:
        return []
    prepared = prepare_items(items, "auto", report(progress, 0.0, 0.5))
    # Speaker labels found in the text are excluded even when the caller forgot them.
    finder = ConceptFinder([*exclude_terms, *speaker_labels(p.text for p in prepared)])
    features = build_features(prepared, codebook, finder)
    if progress is not None:
        progress(0.6)
    with threads_for(len(items)):
        points = _reduce(features.matrix)
        labels = _kmeans(points, k)
    if progress is not None:
        progress(0.85)
    themes = _member_themes(items, features, coded)
    keys = [theme.key for theme in codebook]
    keys += sorted({key for found in themes for key in found} - set(keys))
    language = label_language or _commonest_language(prepared)
    namer = _Namer(features, language, finder.excluded_words, prepared)
    others = {
        other: _Namer(features, other, finder.excluded_words, prepared)
        for other in LANGUAGES
        if other != language
    }
    groups = []
    for number in range(labels.max() + 1):
        rows = np.flatnonzero(labels == number)
        if len(rows):
            group = _group(rows, items, namer, points, themes, keys)
            translated = {
                other: ", ".join(other_namer.terms(rows)[0][:LABEL_TERMS]) or "—"
                for other, other_namer in others.items()
            }
            groups.append(replace(group, labels={language: group.label, **translated}))
    if progress is not None:
        progress(1.0)
    return sorted(groups, key=lambda group: (-len(group.members), group.label))


def _commonest_language(prepared: Sequence[PreparedText]) -> str:
    counts = Counter(p.language for p in prepared if p.language in LANGUAGES)
    if not counts:
        return "en"
    return min(counts, key=lambda language: (-counts[language], language))


def _reduce(matrix) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    dims = min(DIMENSIONS, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if dims < 2:
        return normalize(matrix.toarray())
    svd = TruncatedSVD(n_components=dims, random_state=RANDOM_STATE)
    return normalize(svd.fit_transform(matrix))


def _kmeans(points: np.ndarray, k: int | str) -> np.ndarray:
    from sklearn.cluster import KMeans

    n = len(points)
    if k == "auto":
        from threadpoolctl import threadpool_limits

        # The sample is small: one thread is faster than two (see NLP-NOTES).
        with threadpool_limits(limits=1):
            k = _auto_k(points)
    k = max(1, min(int(k), n, len(np.unique(points.round(6), axis=0))))
    if k == 1:
        return np.zeros(n, dtype=int)
    model = KMeans(n_clusters=k, n_init=N_INIT, random_state=RANDOM_STATE)
    labels = model.fit_predict(points)
    # Number groups by first member so that numbering never depends on KMeans' order.
    first = {label: i for i, label in reversed(list(enumerate(labels)))}
    renumber = {label: rank for rank, label in enumerate(sorted(first, key=first.get))}
    return np.array([renumber[label] for label in labels])


def _auto_k(points: np.ndarray) -> int:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(points)
    if n <= SAMPLE:
        sample = points
    else:
        rows = np.random.default_rng(RANDOM_STATE).choice(n, SAMPLE, replace=False)
        sample = points[np.sort(rows)]
    # Small studies get fewer groups: k at most sqrt(n / 2) (12 from 288 passages on).
    ceiling = max(K_AUTO[0], round(math.sqrt(n / 2)))
    candidates = [k for k in K_AUTO if k < len(sample) and k <= ceiling]
    if not candidates:
        return max(1, min(2, n))
    best_k, best_score = candidates[0], -2.0
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=2, random_state=RANDOM_STATE).fit_predict(sample)
        if len(set(labels.tolist())) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    return best_k


def _member_themes(items, features: Features, coded) -> list[frozenset[str]]:
    """Return per passage its coded themes, or else its zero-shot themes."""
    coded = coded or {}
    return [
        frozenset(coded[item_id]) if item_id in coded else found
        for (item_id, _), found in zip(items, features.themes, strict=True)
    ]


class _Namer:
    """Label terms of a group: distinctive concepts, then distinctive shared words."""

    def __init__(self, features: Features, language: str, excluded, prepared) -> None:
        self.features = features
        concepts = load_concepts()
        stop_words = set()
        for lang in {language, *(p.language for p in prepared if p.language in LANGUAGES)}:
            stop_words |= pipeline(lang).Defaults.stop_words
        self.concept_labels = [
            concepts[key].label(language)
            if _safe_label(concepts[key].label(language), excluded)
            else None
            for key in features.concept_ids
        ]
        self.word_labels = []
        for lemma in features.word_lemmas:
            forms = features.surfaces.get(lemma, Counter())
            form = min(forms.items(), key=lambda item: (-item[1], item[0]))[0] if forms else lemma
            ok = is_label_word(form, stop_words, excluded)
            self.word_labels.append(form if ok else None)
        self.concept_share = np.asarray(features.concepts.mean(axis=0)).ravel()
        self.word_share = np.asarray(features.words.mean(axis=0)).ravel()

    def terms(self, rows: np.ndarray) -> tuple[list[str], float]:
        """Return the group's label terms and the share of members with the first."""
        terms: list[str] = []
        first_share = 0.0
        whole = len(rows) == self.features.matrix.shape[0]
        for matrix, overall, names in (
            (self.features.concepts, self.concept_share, self.concept_labels),
            (self.features.words, self.word_share, self.word_labels),
        ):
            if matrix.nnz == 0:
                continue
            share = np.asarray(matrix[rows].mean(axis=0)).ravel()
            lift = share - overall
            # Mentioned by a tenth of the members at least, and by two when there are two.
            least = max(LABEL_MIN_SHARE, min(2, len(rows)) / len(rows))
            found = [
                (float(lift[i]), float(share[i]), names[i])
                for i in np.flatnonzero(share >= least - 1e-9)
                if names[i] is not None and (lift[i] > 0 or whole)
            ]
            for _, share_i, name in sorted(found, key=lambda t: (-t[0], -t[1], t[2])):
                if name not in terms and len(terms) < TERMS:
                    first_share = first_share or share_i
                    terms.append(name)
        return terms, first_share


def _safe_label(label: str, excluded) -> bool:
    return not any(word.lower() in excluded for word in label.replace(",", " ").split())


def _group(rows, items, namer: _Namer, points, themes, keys) -> Group:
    members = [items[i][0] for i in rows]
    terms, first_share = namer.terms(rows)
    centroid = points[rows].mean(axis=0)
    # Element-wise, not `@`: OpenBLAS's float32 matrix-vector kernel can raise a spurious
    # "invalid value" flag on some CPUs (numpy issue 28967), which tests turn into an error.
    closeness = (points[rows] * centroid).sum(axis=1)
    nearest = np.lexsort((rows, -closeness))[:REPRESENTATIVES]
    overlap = {key: round(sum(key in themes[i] for i in rows) / len(rows), 4) for key in keys}
    best = max(keys, key=lambda key: overlap[key]) if keys else None
    if best is not None and overlap[best] == 0:
        best = None
    low = best is None or overlap[best] < NEW_THEME_BELOW
    return Group(
        label=", ".join(terms[:LABEL_TERMS]) or "—",
        terms=terms,
        members=members,
        representatives=[items[rows[i]][0] for i in nearest],
        theme_overlap=overlap,
        best_theme=best,
        candidate_new_theme=(
            low
            and len(rows) >= MIN_CANDIDATE_SIZE
            and bool(terms)
            and first_share >= COHERENT_SHARE
        ),
    )
