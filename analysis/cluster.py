"""Thematic groupings of passages, with readable labels and their relation to themes.

Passages become TF-IDF vectors over lemma unigrams and bigrams (stop words removed,
sublinear tf); `TruncatedSVD` reduces them to at most `DIMENSIONS` dimensions, rows are
re-normalised, and KMeans (fixed `random_state`) groups them. With `k="auto"`, KMeans
runs for every k from 3 to min(12, sqrt(n / 2)) on a fixed random sample of at most
`SAMPLE` passages and the k with the best silhouette (cosine) wins; ties go to the
smaller k. (Silhouette on sparse text keeps rising with k; the ceiling keeps a study
of 150 passages at 9 groups at most.)

A group's label is its three most distinctive terms (mean TF-IDF in the group minus
mean over all passages), each shown in the surface form the passages use most ("mot
de passe" rather than the lemma bigram "mot passe"). Its representatives are the three
members closest to the centroid, closest first. `theme_overlap` gives, per theme, the
share of members that carry it: the facilitators' codings where a member is coded
(`coded`), otherwise the zero-shot suggestion. A group whose best overlap is below
`NEW_THEME_BELOW` is a candidate new theme.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.codebook import ThemeSpec
from analysis.errors import AnalysisError
from analysis.features import CHATTER, identity, lemma_ngrams
from analysis.nlp import PreparedText
from analysis.scoring import Progress, prepare_items, report, threads_for
from analysis.zeroshot import ZeroShot, score_from_points

DIMENSIONS = 100
K_AUTO = range(3, 13)
SAMPLE = 2_000
NEW_THEME_BELOW = 0.3
LABEL_TERMS = 3
TERMS = 8
REPRESENTATIVES = 3
RANDOM_STATE = 0


@dataclass(frozen=True)
class Group:
    """A grouping of passages: label, terms, members and how it relates to the themes."""

    label: str
    terms: list[str]
    members: list[Hashable]
    representatives: list[Hashable]
    theme_overlap: dict[str, float]
    best_theme: str | None
    candidate_new_theme: bool

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "terms": self.terms,
            "members": self.members,
            "representatives": self.representatives,
            "theme_overlap": self.theme_overlap,
            "best_theme": self.best_theme,
            "candidate_new_theme": self.candidate_new_theme,
        }


def cluster(
    items: Sequence[tuple[Hashable, str | PreparedText]],
    k: int | str = "auto",
    codebook: Sequence[ThemeSpec] = (),
    coded: Mapping[Hashable, Collection[str]] | None = None,
    progress: Progress | None = None,
) -> list[Group]:
    """Group passages by vocabulary; return groups by size (largest first), then label."""
    if not (k == "auto" or (isinstance(k, int) and not isinstance(k, bool) and k >= 1)):
        raise AnalysisError(f"k must be 'auto' or a positive integer, not {k!r}")
    if not items:
        return []
    prepared = prepare_items(items, "auto", report(progress, 0.0, 0.5))
    docs = [lemma_ngrams(p, CHATTER.get(p.language, frozenset())) for p in prepared]
    with threads_for(len(items)):
        matrix, vocabulary = _tfidf(docs)
        points = _reduce(matrix)
        if progress is not None:
            progress(0.6)
        labels = _kmeans(points, k)
    if progress is not None:
        progress(0.85)
    themes = _member_themes(items, prepared, codebook, coded)
    keys = [theme.key for theme in codebook]
    keys += sorted({key for found in themes for key in found} - set(keys))
    groups = []
    for number in range(labels.max() + 1):
        rows = np.flatnonzero(labels == number)
        if len(rows):
            groups.append(_group(rows, items, prepared, matrix, vocabulary, points, themes, keys))
    if progress is not None:
        progress(1.0)
    return sorted(groups, key=lambda group: (-len(group.members), group.label))


def _tfidf(docs: list[list[str]]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Terms of a single passage cannot group anything; on tiny inputs keep them all.
    min_df = 2 if len(docs) >= 50 else 1
    vectorizer = TfidfVectorizer(
        analyzer=identity, sublinear_tf=True, min_df=min_df, dtype=np.float32
    )
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no terms at all (only stop words, or empty passages)
        vectorizer = TfidfVectorizer(analyzer=identity, dtype=np.float32)
        matrix = vectorizer.fit_transform([doc or ["∅"] for doc in docs])
    return matrix.tocsr(), vectorizer.get_feature_names_out()


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
        k = _auto_k(points)
    k = max(1, min(int(k), n, len(np.unique(points.round(6), axis=0))))
    if k == 1:
        return np.zeros(n, dtype=int)
    model = KMeans(n_clusters=k, n_init=3, random_state=RANDOM_STATE)
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


def _member_themes(items, prepared, codebook, coded) -> list[frozenset[str]]:
    """Return per passage its coded themes, or else its zero-shot suggestions."""
    coded = coded or {}
    zero_shot = ZeroShot(codebook) if codebook else None
    found = []
    for (item_id, _), passage in zip(items, prepared, strict=True):
        if item_id in coded:
            found.append(frozenset(coded[item_id]))
        elif zero_shot is not None:
            points = zero_shot.evidence_points(zero_shot.matches(passage))
            found.append(
                frozenset(key for key, value in points.items() if score_from_points(value) >= 0.5)
            )
        else:
            found.append(frozenset())
    return found


def _group(rows, items, prepared, matrix, vocabulary, points, themes, keys) -> Group:
    members = [items[i][0] for i in rows]
    # Distinctive terms: what the group uses more than the study does.
    weight = np.asarray(matrix[rows].mean(axis=0)).ravel() - np.asarray(matrix.mean(axis=0)).ravel()
    order = np.lexsort((np.arange(len(weight)), -weight))
    terms = _readable_terms(
        [vocabulary[i] for i in order[: TERMS * 3] if weight[i] > 0], [prepared[i] for i in rows]
    )
    centroid = points[rows].mean(axis=0)
    closeness = points[rows] @ centroid
    nearest = np.lexsort((rows, -closeness))[:REPRESENTATIVES]
    overlap = {key: round(sum(key in themes[i] for i in rows) / len(rows), 4) for key in keys}
    best = max(keys, key=lambda key: overlap[key]) if keys else None
    if best is not None and overlap[best] == 0:
        best = None
    return Group(
        label=", ".join(terms[:LABEL_TERMS]) or "—",
        terms=terms,
        members=members,
        representatives=[items[rows[i]][0] for i in nearest],
        theme_overlap=overlap,
        best_theme=best,
        candidate_new_theme=best is None or overlap[best] < NEW_THEME_BELOW,
    )


def _readable_terms(features: list[str], passages: list[PreparedText]) -> list[str]:
    """Turn lemma features into their commonest surface form; skip words already shown."""
    wanted = set(features)
    surfaces: dict[str, Counter[str]] = {feature: Counter() for feature in features}
    for passage in passages:
        previous = None
        bounds = set(passage.sentence_starts)
        for i, lemma in enumerate(passage.lemmas):
            if i in bounds:
                previous = None
            if passage.stop[i] or lemma in CHATTER.get(passage.language, ()):
                continue
            end = passage.ends[i]
            if lemma in wanted:
                surfaces[lemma][passage.text[passage.starts[i] : end].lower()] += 1
            if previous is not None and f"{previous[0]} {lemma}" in wanted:
                span = " ".join(passage.text[previous[1] : end].lower().split())
                surfaces[f"{previous[0]} {lemma}"][span] += 1
            previous = (lemma, passage.starts[i])
    terms: list[str] = []
    shown: dict[str, int] = {}  # word → position in terms
    for feature in features:
        words = feature.split()
        if all(word in shown for word in words) or not surfaces[feature]:
            continue
        form = min(surfaces[feature].items(), key=lambda item: (-item[1], item[0]))[0]
        # A phrase replaces the single word it contains ("assistante sociale").
        position = next((shown[w] for w in words if w in shown), None)
        if position is None:
            position = len(terms)
            terms.append(form)
        else:
            terms[position] = form
        shown.update(dict.fromkeys(words, position))
        if len(terms) == TERMS:
            break
    return terms
