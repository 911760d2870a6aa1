"""Theme suggestions for passages: zero-shot from the codebook, learned from codings.

One model, two regimes per theme:
- zero-shot: the codebook's terms (see `analysis.zeroshot`), read in their sense
  (`analysis.terms`: ambiguous words need theme context, nouns a determiner), turned
  into suggestion points: context words count at most as much as the theme's own
  evidence, long passages need more evidence, themes compete within a passage;
  suggested when the score reaches `THRESHOLD` (about 2 points);
- calibration: from `CALIBRATE_FROM` (20) coded passages, in any language (the
  points are language independent) with rejections as negatives, each theme that is
  not learned yet (a rare theme) gets the multiplier of its points that best separates
  its codings, shrunk towards 1; a learned theme's model is its calibration;
- learned, once the study has at least `MIN_POSITIVES` examples coded with the theme and
  `MIN_NEGATIVES` examples without it: a logistic regression (balanced classes) over
  lemma unigrams and bigrams (TF-IDF) plus every theme's calibrated points, trained on
  the codings of every language; for a default theme it starts from the shipped prior
  (`analysis.prior`: the prior's logit is a fixed offset, so the codings teach what
  the study adds to it). Blended with the zero-shot score:
  `w * learned + (1 - w) * zero_shot` where `w = n / (n + BLEND_HALF)` and n is the
  smaller of the positive and negative counts.

Every example not coded with a theme is a negative for it; a suggestion the
facilitator rejected is a negative of weight `REJECTED_WEIGHT`. In both regimes a
passage very close to a coded example moves towards it: up for a positive, down for
a rejection, by `similarity ** 3` of the way (so only near-duplicates count).
Suggested themes also get "similar" evidence: the (up to) three coded passages with
that theme most like this one (TF-IDF cosine). Term evidence names each word once per
theme and never a stop word.

The constants live in `analysis.scoring`: MIN_POSITIVES = MIN_NEGATIVES = 5,
REJECTED_WEIGHT = 2, BLEND_HALF = 40, C = 16. The output is deterministic: fixed
solver, sorted ties, no dependence on set or hash order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from analysis.codebook import ThemeSpec
from analysis.collector import collector_paused
from analysis.errors import AnalysisError
from analysis.lexicon import has_lexicon
from analysis.nlp import PreparedText
from analysis.prior import PriorModel, lower_points, raise_points, shipped
from analysis.scoring import (
    LearnedThemes,
    Progress,
    calibrate,
    prepare_items,
    report,
)
from analysis.zeroshot import SUGGEST_AT, ZeroShot, passage_length, score_from_points

log = logging.getLogger(__name__)

THRESHOLD = 0.5


@dataclass(frozen=True)
class Evidence:
    """Why a theme is suggested: a term of this passage, or a similar coded passage.

    For kind "term", `text[start:end] == evidence.text` over the passage (code points,
    end exclusive); for kind "similar", `example_id` and its cosine `score`.
    """

    kind: str
    text: str = ""
    start: int | None = None
    end: int | None = None
    example_id: Hashable | None = None
    score: float | None = None

    def to_dict(self) -> dict:
        """Return the JSON form: kind/text/start/end or kind/id/score."""
        if self.kind == "term":
            return {"kind": "term", "text": self.text, "start": self.start, "end": self.end}
        return {"kind": "similar", "id": self.example_id, "score": self.score}


@dataclass(frozen=True)
class ThemeScore:
    """A theme's score for one passage, whether it is suggested, and the evidence."""

    key: str
    score: float
    suggested: bool
    regime: str  # "zero-shot" or "learned"
    evidence: list[Evidence]

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "score": self.score,
            "suggested": self.suggested,
            "regime": self.regime,
            "evidence": [item.to_dict() for item in self.evidence],
        }


@dataclass(frozen=True)
class PassageSuggestions:
    """The scores of every theme of the codebook for one passage, in codebook order."""

    id: Hashable
    language: str
    themes: list[ThemeScore]

    def suggested(self) -> list[str]:
        """Return the keys of the suggested themes."""
        return [theme.key for theme in self.themes if theme.suggested]

    def to_dict(self) -> dict:
        return {"id": self.id, "themes": [theme.to_dict() for theme in self.themes]}


@dataclass(frozen=True)
class Example:
    """A passage a facilitator coded: its themes, and the suggestions they rejected."""

    id: Hashable
    text: str | PreparedText
    labels: frozenset[str]
    rejected: frozenset[str] = frozenset()


class _Points(NamedTuple):
    """Suggestion points of passages × themes, and what the shipped prior did to them.

    `points`: the lexicon's, raised and lowered by the prior; `raised`: where the raise
    crossed the cut (the prior's words then explain the suggestion); `offsets`: the
    prior's logits, NaN for a theme without it (where the learned regime starts from,
    `LearnedThemes.fit`).
    """

    points: np.ndarray
    raised: np.ndarray
    offsets: np.ndarray


class ThemeSuggester:
    """Suggest themes of a codebook for passages, learning from coded examples."""

    def __init__(
        self,
        codebook: Sequence[ThemeSpec],
        examples: Sequence[Example] = (),
        *,
        threshold: float = THRESHOLD,
    ) -> None:
        if not codebook:
            raise AnalysisError("the codebook has no themes")
        keys = [theme.key for theme in codebook]
        if len(set(keys)) != len(keys):
            raise AnalysisError("the codebook repeats a theme key")
        self.codebook = list(codebook)
        self.examples = list(examples)
        self.threshold = threshold

    @property
    def keys(self) -> list[str]:
        return [theme.key for theme in self.codebook]

    def fit(self, progress: Progress | None = None) -> ThemeSuggester:
        """Compile the codebook and learn from the examples; return self."""
        self.zero_shot_ = ZeroShot(self.codebook)
        self.prior_ = _prior_for(self.codebook)
        prepared = prepare_items(
            [(example.id, example.text) for example in self.examples],
            "auto",
            report(progress, 0.0, 0.6),
        )
        matches = [self.zero_shot_.matches(p) for p in prepared]
        found = self._points(matches, prepared)
        scaled, offsets = found.points, found.offsets
        self.scales_ = calibrate(scaled, self.examples, self.keys, SUGGEST_AT)
        scaled = scaled * self.scales_
        self.learned_ = LearnedThemes(self.keys).fit(prepared, scaled, self.examples, offsets)
        self.regimes_ = {
            key: "learned" if key in self.learned_.models_ else "zero-shot" for key in self.keys
        }
        if progress is not None:
            progress(1.0)
        return self

    def _points(self, matches, prepared) -> _Points:
        """Return the passages' suggestion points and what the shipped prior did to them.

        Points: `ZeroShot.suggestion_points`, raised by the shipped prior
        (`analysis.prior.raise_points`) for the default themes and lowered by it in long
        passages (`lower_points`); the zero-shot score, the calibration and the learned
        regime's features all read the same points.
        """
        keys = self.keys
        words = np.array([passage_length(passage) for passage in prepared])
        rows = [
            self.zero_shot_.suggestion_points(found, length)
            for found, length in zip(matches, words, strict=True)
        ]
        values = [[row[key] for key in keys] for row in rows]
        points = np.array(values, dtype=np.float64).reshape(len(rows), len(keys))
        raised = np.zeros(points.shape, dtype=bool)
        offsets = np.full(points.shape, np.nan)
        if self.prior_ is not None and len(rows):
            model, pairs = self.prior_
            probabilities = model.probabilities(prepared)
            for column, model_column in pairs:
                lexicon = points[:, column].copy()
                likely = probabilities[:, model_column]
                points[:, column] = lower_points(
                    raise_points(lexicon, likely, words, model.weight), likely, words
                )
                raised[:, column] = (points[:, column] >= SUGGEST_AT) & (lexicon < SUGGEST_AT)
                likely = np.clip(likely, 1e-9, 1 - 1e-9)
                offsets[:, column] = np.log(likely / (1 - likely))
        return _Points(points, raised, offsets)

    def zero_shot_scores(self, prepared: Sequence[PreparedText]) -> np.ndarray:
        """Return every theme's zero-shot score of prepared passages (passages × `keys`).

        The score a suggestion starts from before a study's codings: the lexicon's points
        raised and lowered by the shipped prior for the default themes. The theme sweep
        ranks by it (`analysis.sweep.sweep_items`).
        """
        if not hasattr(self, "zero_shot_"):
            self.fit()
        matches = [self.zero_shot_.matches(p) for p in prepared]
        return score_from_points(self._points(matches, prepared).points)

    def suggest(
        self,
        items: Sequence[tuple[Hashable, str | PreparedText]],
        progress: Callable[[float], None] | None = None,
        *,
        language: str = "auto",
    ) -> list[PassageSuggestions]:
        """Score every theme for each (id, text or PreparedText) item, in input order."""
        if not hasattr(self, "learned_"):
            self.fit()
        prepared = prepare_items(items, language, report(progress, 0.0, 0.7))
        with collector_paused():
            return self._suggest_prepared(items, prepared, progress)

    def _suggest_prepared(
        self,
        items: Sequence[tuple[Hashable, str | PreparedText]],
        prepared: Sequence[PreparedText],
        progress: Callable[[float], None] | None,
    ) -> list[PassageSuggestions]:
        matches = [self.zero_shot_.matches(p) for p in prepared]
        found = self._points(matches, prepared)
        scaled = found.points * self.scales_
        prior = score_from_points(scaled)
        raised, offsets = found.raised, found.offsets
        # "similar" evidence explains a suggestion: only suggested themes get it.
        scores, similar = self.learned_.predict(prepared, scaled, prior, self.threshold, offsets)
        results = []
        keys = self.keys
        # Plain lists: indexing a numpy array per passage and theme costs more than the rest.
        score_rows = scores.tolist()
        explained_rows = raised & (scores >= self.threshold)
        any_explained = explained_rows.any(axis=1).tolist()
        regimes = [self.regimes_[key] for key in keys]
        for row, ((item_id, _), passage) in enumerate(zip(items, prepared, strict=True)):
            terms: dict[str, list[Evidence]] = {key: [] for key in keys}
            shown: set[tuple[str, str]] = set()
            for m in matches[row]:
                if m.term.weight <= 0:  # counter-evidence lowers the score, explains nothing
                    continue
                if m.first == m.last and passage.stop[m.first]:
                    continue  # a stop word ("vous") explains nothing to a reader
                text = passage.text[m.start : m.end]
                if (m.term.theme, text.lower()) in shown:
                    continue  # each word once: the list explains, the highlight counts
                shown.add((m.term.theme, text.lower()))
                terms[m.term.theme].append(Evidence("term", text, m.start, m.end))
            # The prior's words explain the suggestions it made, and nothing else.
            if any_explained[row]:
                explained = explained_rows[row]
                model, _ = self.prior_
                learned = model.contributions(
                    passage,
                    [key for column, key in enumerate(keys) if explained[column]],
                    self.zero_shot_.other_senses(passage),
                )
                for key, spans in learned.items():
                    for start, end in spans:
                        text = passage.text[start:end]
                        if (key, text.lower()) not in shown:
                            shown.add((key, text.lower()))
                            terms[key].append(Evidence("term", text, start, end))
            themes = []
            row_scores, row_similar = score_rows[row], similar[row]
            for column, key in enumerate(keys):
                score = round(row_scores[column], 6)
                evidence = terms[key]
                if key in row_similar:
                    evidence += [
                        Evidence("similar", example_id=example_id, score=round(sim, 4))
                        for example_id, sim in row_similar[key]
                    ]
                themes.append(
                    ThemeScore(key, score, score >= self.threshold, regimes[column], evidence)
                )
            results.append(PassageSuggestions(item_id, passage.language, themes))
        if progress is not None:
            progress(1.0)
        return results


def _prior_for(codebook: Sequence[ThemeSpec]) -> tuple[PriorModel, list[tuple[int, int]]] | None:
    """Return the shipped prior and (codebook column, model column) pairs, or None.

    Only default themes get it (`ThemeSpec.lexicon_key`), by the lexicon's rule: a
    study's own themes have no labelled passages behind them.
    """
    model = shipped()
    if model is None:
        return None
    pairs = [
        (column, model.keys.index(theme.lexicon_key))
        for column, theme in enumerate(codebook)
        if theme.lexicon_key in model.keys and has_lexicon(theme.lexicon_key)
    ]
    return (model, pairs) if pairs else None
