"""A shipped prior for the default themes: a word model learned from labelled passages.

The lexicon (`analysis.zeroshot`) finds a theme's words; what it misses are passages
that take a theme's angle in words it does not list (a spoken turn about "the bank
said to come to us" has no outsourcing term). This model reads the words of whole
passages: one logistic regression per default theme over TF-IDF lemma unigrams and
bigrams (`analysis.features.lemma_ngrams`), trained on the labelled dev sets of
`bench/data` in nl, fr and en together (the report sets are translations, so a
theme's words are learned in the three languages) by `bench/train_prior.py`, and
shipped as `prior_model.json` (no download, no network).

Where the model is surer than the lexicon, the score moves `WEIGHT` of the way up to
the model's probability (`raise_points`). Measured leave-one-set-out on the eleven dev
sets (`bench/analysis_prior.py`; BENCHMARKS.md, "Session 9"), a model that could also
lower scores at any length cut false positives on report prose but dropped true
single-term suggestions of short spoken passages (themes_dev −0.08). So it lowers only
long passages (`lower_points`: over `LOWER_FROM` words, at most `LOWER` of the way),
where report prose names the field's words without a theme's angle (session 12).

It applies only to the themes it was trained on, and only while their key is the
default one (the lexicon's rule: `analysis.lexicon.has_lexicon`); a study's own
themes are untouched. Every point it adds is explainable: `contributions` returns the
words of the passage that raised a theme most, with their offsets, listed as evidence
like the lexicon's terms.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.features import CHATTER
from analysis.nlp import PreparedText
from analysis.spoken import fluent_words
from analysis.zeroshot import SUGGEST_AT

MODEL_PATH = Path(__file__).with_name("prior_model.json")
FORMAT = 1
# Chosen leave-one-set-out over the eleven dev sets (BENCHMARKS.md, "Session 9"): C 10
# against 1 and 3; WEIGHT the highest mean macro-F1 of 0.35 / 0.5 / 0.65 / 0.8 / 1 among
# those that lose no more than 0.02 on any set (0.8 loses 0.04 on spoken_dev6).
WEIGHT = 0.65
FULL_WORDS = 40  # passage length (words) from which the model weighs WEIGHT in full
C = 10.0
MIN_DF = 2
EVIDENCE_TOP = 3  # words of the model listed as evidence per theme
EVIDENCE_MIN = 0.15  # a word's share of the logit before it explains anything
# The model may lower a long passage's score (`lower_points`). Chosen in session 10 from
# 0.5 / 60 and 0.3 / 80 (the one that lost least on any set) and read once on a report
# set by another writer that the model never saw (BENCHMARKS.md, "Session 12").
LOWER = 0.3  # share of the way down towards the model, in full from LOWER_FROM + LOWER_SPAN
LOWER_FROM = 80  # words (`passage_length`): a passage this long or shorter is never lowered
LOWER_SPAN = 40


def ngram_spans(prepared: PreparedText) -> list[tuple[str, int, int, int, int]]:
    """Return (feature, start, end, first word, last word) for each feature of a passage.

    The features of `analysis.features.lemma_ngrams` (content lemmas and bigrams of
    consecutive content lemmas within a sentence), read over the fluent words only: a
    spoken turn's fillers and repeats (`analysis.spoken`) change nothing, as in the
    lexicon's points. The span runs from the feature's first word to its last, so a
    bigram over a dropped stop word ("carte d'identité") shows the words as written.
    Kept on the PreparedText (the probabilities and the explanations both read it);
    callers must not change the list.
    """
    cached = prepared.__dict__.get("_ngram_spans")
    if cached is not None:
        return cached
    spans = _ngram_spans(prepared)
    object.__setattr__(prepared, "_ngram_spans", spans)
    return spans


def _ngram_spans(prepared: PreparedText) -> list[tuple[str, int, int, int, int]]:
    spans: list[tuple[str, int, int, int, int]] = []
    bounds = set(prepared.sentence_starts)
    fluent = set(fluent_words(prepared))
    previous: int | None = None
    for i, (lemma, stop) in enumerate(zip(prepared.lemmas, prepared.stop, strict=True)):
        if i in bounds:
            previous = None
        if stop or i not in fluent:
            continue
        spans.append((lemma, prepared.starts[i], prepared.ends[i], i, i))
        if previous is not None:
            bigram = f"{prepared.lemmas[previous]} {lemma}"
            spans.append((bigram, prepared.starts[previous], prepared.ends[i], previous, i))
        previous = i
    return spans


def features(prepared: PreparedText) -> list[str]:
    """Return the model's features of a passage (what `train` is given)."""
    return [span[0] for span in ngram_spans(prepared)]


class PriorModel:
    """The shipped model: vocabulary, idf and per-theme coefficients."""

    def __init__(self, data: dict) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"prior model format {data.get('format')!r}, expected {FORMAT}")
        self.features: dict[str, int] = {word: i for i, word in enumerate(data["features"])}
        self.idf = np.asarray(data["idf"], dtype=np.float64)
        self.keys: list[str] = list(data["themes"])
        self.coef = np.asarray([data["coef"][key] for key in self.keys], dtype=np.float64)
        self.intercept = np.asarray([data["intercept"][key] for key in self.keys])
        self.weight = float(data.get("weight", WEIGHT))
        self.trained_on: dict[str, str] = dict(data.get("trained_on", {}))

    def _vector(self, prepared: PreparedText) -> tuple[np.ndarray, np.ndarray]:
        """Return the column indices and TF-IDF values (l2-normalised) of a passage."""
        counts = Counter(
            self.features[feature] for feature in features(prepared) if feature in self.features
        )
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log([counts[c] for c in columns])) * self.idf[columns]
        return columns, values / np.linalg.norm(values)

    def probabilities(self, prepared: Sequence[PreparedText]) -> np.ndarray:
        """Return P(theme) per passage (passages × `keys`), in one sparse product."""
        from scipy import sparse

        indptr, indices, counts = [0], [], []
        for passage in prepared:
            found = Counter(
                self.features[feature] for feature in features(passage) if feature in self.features
            )
            indices.extend(found)
            counts.extend(found.values())
            indptr.append(len(indices))
        columns = np.asarray(indices, dtype=np.int64)
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[columns]
        matrix = sparse.csr_matrix(
            (values, columns, indptr), shape=(len(prepared), len(self.features))
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix
        logits = np.asarray(matrix @ self.coef.T) + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def contributions(
        self,
        prepared: PreparedText,
        keys: Sequence[str],
        blocked: dict[str, set[int]] | None = None,
    ) -> dict[str, list[tuple[int, int]]]:
        """Return per theme of `keys` the spans of the words that raise it most (up to 3).

        Only words a reader can weigh (letters, not stop words or chatter such as
        "allemaal", "euh"); the strongest always, the next ones when they carry at least
        `EVIDENCE_MIN` of the positive part of the theme's logit; each feature once, at
        its first place in the passage. `blocked` holds per theme the words the lexicon
        reads in another sense here (`ZeroShot.other_senses`): never shown for it.
        """
        columns, values = self._vector(prepared)
        out: dict[str, list[tuple[int, int]]] = {key: [] for key in keys}
        if not len(columns):
            return out
        chatter = CHATTER.get(prepared.language, frozenset())
        readable = [
            span
            for span in ngram_spans(prepared)
            if span[0] in self.features and _readable(span[0], chatter)
        ]
        for key in keys:
            if key not in self.keys:
                continue
            other = (blocked or {}).get(key, set())
            first: dict[int, tuple[int, int]] = {}
            for feature, start, end, first_word, last_word in readable:
                column = self.features[feature]
                if column not in first and other.isdisjoint(range(first_word, last_word + 1)):
                    first[column] = (start, end)
            weight = self.coef[self.keys.index(key), columns] * values
            total = weight[weight > 0].sum()
            order = sorted(
                (i for i in range(len(columns)) if int(columns[i]) in first and weight[i] > 0),
                key=lambda i: (-weight[i], first[int(columns[i])]),
            )
            kept = order[:1] + [i for i in order[1:] if weight[i] >= EVIDENCE_MIN * total]
            out[key] = [first[int(columns[i])] for i in kept[:EVIDENCE_TOP]]
        return out


def _readable(feature: str, chatter: frozenset[str]) -> bool:
    """Whether a feature explains anything to a reader: words of letters, not chatter."""
    return all(
        len(word) > 2 and word.replace("-", "").isalpha() and word not in chatter
        for word in feature.split(" ")
    )


def raise_points(
    points: np.ndarray, probabilities: np.ndarray, words: np.ndarray, weight: float
) -> np.ndarray:
    """Raise lexicon points towards the model where the model says yes; return points.

    The lexicon's score is `1 - 2 ** (-points / SUGGEST_AT)`. Where the model's
    probability is at least 0.5 (the model alone would suggest the theme) and higher
    than the lexicon's score, the score moves up towards it: `weight` of the way for a
    passage of `FULL_WORDS` words or more (`words`: `passage_length`), less for a
    shorter one, whose few words tell a word model little ("the CPAS counters open on
    Monday" is not outsourcing). The result is turned back into points with the inverse
    (a score of 0.5 is SUGGEST_AT points). Anywhere else nothing changes, so scores of
    passages the model does not suggest stay the lexicon's, alike in every language.
    """
    lexicon = 1.0 - np.power(2.0, -points / SUGGEST_AT)
    share = weight * np.minimum(1.0, np.asarray(words, dtype=np.float64) / FULL_WORDS)
    gain = np.where(probabilities >= 0.5, np.maximum(probabilities - lexicon, 0.0), 0.0)
    score = lexicon + share * gain
    return -SUGGEST_AT * np.log2(np.maximum(1.0 - score, 1e-12))


def lower_points(points: np.ndarray, probabilities: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Lower a long passage's points towards the model where the model says no; return points.

    Report prose names the field's words (digitalisation, counters, platforms, social
    workers) without taking a theme's angle, and over a long passage those words add up
    to the lexicon's cut; the word model, which reads the whole passage, says no. Where
    its probability is under 0.5 and under the lexicon's score, the score moves down
    towards it: nothing for a passage of `LOWER_FROM` words or fewer, growing to
    `LOWER` of the way at `LOWER_FROM + LOWER_SPAN`. Short passages and spoken turns
    keep every lexicon score: there a single strong term is usually right, and every
    pull-down measured over all lengths took such themes away (BENCHMARKS.md,
    "Session 9"). Disjoint from `raise_points` (probability at least 0.5).
    """
    lexicon = 1.0 - np.power(2.0, -points / SUGGEST_AT)
    length = np.asarray(words, dtype=np.float64)
    share = LOWER * np.clip((length - LOWER_FROM) / LOWER_SPAN, 0.0, 1.0)
    loss = np.where(probabilities < 0.5, np.maximum(lexicon - probabilities, 0.0), 0.0)
    score = lexicon - share * loss
    return -SUGGEST_AT * np.log2(np.maximum(1.0 - score, 1e-12))


@functools.cache
def shipped() -> PriorModel | None:
    """Return the model shipped with the package, or None when the file is absent."""
    if not MODEL_PATH.exists():
        return None
    return PriorModel(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def train(
    documents: Sequence[Sequence[str]],
    labels: Sequence[frozenset[str]],
    groups: Sequence[str],
    keys: Sequence[str],
) -> dict:
    """Fit the model on feature lists (`features`); return it as a JSON-safe dict.

    `groups` names the labelled file of each passage: every file weighs the same in
    total, so a large set of one register does not decide for the others; classes are
    balanced per theme (themes are rare, and a missed theme costs as much as a false one).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from analysis.features import identity

    vectorizer = TfidfVectorizer(
        analyzer=identity, min_df=MIN_DF, sublinear_tf=True, dtype=np.float64
    )
    matrix = vectorizer.fit_transform(list(documents))
    sizes = Counter(groups)
    weights = np.array([1.0 / sizes[group] for group in groups])
    weights /= weights.mean()
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    model: dict = {
        "format": FORMAT,
        "weight": WEIGHT,
        "C": C,
        "min_df": MIN_DF,
        "themes": list(keys),
        "features": vocabulary,
        "idf": [round(float(v), 6) for v in vectorizer.idf_],
        "coef": {},
        "intercept": {},
    }
    for key in keys:
        target = np.array([key in label for label in labels], dtype=int)
        regression = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
        regression.fit(matrix, target, sample_weight=weights)
        model["coef"][key] = [round(float(v), 6) for v in regression.coef_[0]]
        model["intercept"][key] = round(float(regression.intercept_[0]), 6)
    return model
