"""The shipped prior of the default themes: what it may change, how it explains, its provenance."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import analysis.suggest
from analysis import ThemeSpec, ThemeSuggester, default_codebook, prepare_many
from analysis.features import CHATTER
from analysis.prior import LOWER, LOWER_FROM, PriorModel, features, shipped, train
from analysis.zeroshot import passage_length

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT / "bench"))

from train_prior import TRAINING, build  # noqa: E402


def _rows(name: str) -> list[dict]:
    path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def passages():
    """Spoken and report passages of three dev sets, prepared in their language."""
    rows = _rows("spoken_dev3.jsonl") + _rows("report_dev3.jsonl") + _rows("spoken_dev5.jsonl")
    prepared = prepare_many([row["text"] for row in rows], [row["lang"] for row in rows])
    return rows, prepared


def _word_at(passage, start: int) -> int:
    """Return the index of the word starting at `start`."""
    return passage.starts.index(start)


def _suggest(codebook, rows, prepared, model):
    """Zero-shot suggestions with this prior (None: the lexicon alone)."""
    saved = analysis.suggest.shipped
    analysis.suggest.shipped = lambda: model
    try:
        suggester = ThemeSuggester(codebook).fit()
        return suggester.suggest([(row["id"], p) for row, p in zip(rows, prepared, strict=True)])
    finally:
        analysis.suggest.shipped = saved


@pytest.fixture(scope="module")
def both(passages):
    """The suggestions of the lexicon alone and with the shipped prior."""
    rows, prepared = passages
    codebook = default_codebook()
    return _suggest(codebook, rows, prepared, None), _suggest(codebook, rows, prepared, shipped())


def test_the_prior_raises_where_the_model_says_yes_and_lowers_only_long_passages(passages, both):
    """A short passage or spoken turn never loses a theme's score to the model; a long
    passage the model says no to loses at most LOWER of the way down to the model."""
    rows, prepared = passages
    alone, with_prior = both
    model = shipped()
    probabilities = model.probabilities(prepared)
    raised = lowered = 0
    for row, (before, after) in enumerate(zip(alone, with_prior, strict=True)):
        words = passage_length(prepared[row])
        for old, new in zip(before.themes, after.themes, strict=True):
            likely = probabilities[row, model.keys.index(old.key)]
            where = (rows[row]["id"], old.key)
            if likely >= 0.5:
                assert new.score >= old.score - 1e-6, where
            elif words <= LOWER_FROM:
                assert new.score == pytest.approx(old.score, abs=1e-6), where
            else:
                assert old.score - LOWER * max(old.score - likely, 0.0) - 1e-5 <= new.score, where
                assert new.score <= old.score + 1e-6, where
            raised += new.suggested and not old.suggested
            lowered += old.suggested and not new.suggested
    assert raised > 0 and lowered > 0  # the model does add and take away themes on these sets


def test_a_theme_raised_by_the_prior_is_explained_by_readable_words_of_the_passage(passages, both):
    """Every added suggestion lists words as written in the passage, never chatter or fillers."""
    rows, prepared = passages
    alone, with_prior = both
    added = 0
    for row, (before, after) in enumerate(zip(alone, with_prior, strict=True)):
        passage = prepared[row]
        chatter = CHATTER[passage.language]
        for old, new in zip(before.themes, after.themes, strict=True):
            if not new.suggested or old.suggested:
                continue
            added += 1
            terms = [e for e in new.evidence if e.kind == "term"]
            assert terms, (rows[row]["id"], new.key)
            lexicon = {(e.start, e.end) for e in old.evidence}
            for evidence in terms:
                assert passage.text[evidence.start : evidence.end] == evidence.text
                if (evidence.start, evidence.end) in lexicon:
                    continue  # the lexicon's own term, shown before
                assert evidence.text.lower() not in chatter
                assert not passage.stop[_word_at(passage, evidence.start)]
            texts = [e.text.lower() for e in terms]
            assert len(texts) == len(set(texts))
    assert added > 0


def test_a_study_s_own_themes_are_untouched_by_the_prior(passages):
    """Only default themes, under their default key, get the shipped model."""
    rows, prepared = passages
    own = [
        ThemeSpec(
            key="waiting",
            labels={"en": "Waiting"},
            definitions={"en": "Waiting at counters and on the phone."},
            seed_terms={"en": ["waiting", "queue"], "fr": ["attente"], "nl": ["wachten"]},
        )
    ]
    codebook = own + default_codebook()
    alone = _suggest(codebook, rows, prepared, None)
    with_prior = _suggest(codebook, rows, prepared, shipped())
    for before, after in zip(alone, with_prior, strict=True):
        assert before.themes[0].score == after.themes[0].score


def test_the_shipped_model_is_the_one_the_dev_sets_train():
    """The model file matches its training files and what `bench/train_prior.py` builds."""
    model = shipped()
    assert sorted(model.trained_on) == sorted(TRAINING)
    assert not [name for name in model.trained_on if "_eval" in name]
    for name, digest in model.trained_on.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, (
            f"{name} changed: run `python bench/train_prior.py` again"
        )
    rebuilt = PriorModel(build([DATA / name for name in TRAINING]))
    assert rebuilt.keys == model.keys
    assert list(rebuilt.features) == list(model.features)
    assert np.allclose(rebuilt.coef, model.coef, atol=1e-4)
    assert np.allclose(rebuilt.intercept, model.intercept, atol=1e-4)


def test_the_model_s_arithmetic_is_scikit_learn_s():
    """Probabilities computed from the JSON file equal the fitted pipeline's."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from analysis.features import identity
    from analysis.prior import MIN_DF, C

    rows = _rows("report_dev.jsonl")
    prepared = prepare_many([row["text"] for row in rows], [row["lang"] for row in rows])
    documents = [features(p) for p in prepared]
    labels = [frozenset(row["labels"]) for row in rows]
    keys = ["privacy", "outsourcing"]
    model = PriorModel(train(documents, labels, ["one"] * len(rows), keys))
    vectorizer = TfidfVectorizer(analyzer=identity, min_df=MIN_DF, sublinear_tf=True)
    matrix = vectorizer.fit_transform(documents)
    ours = model.probabilities(prepared)
    for column, key in enumerate(keys):
        target = np.array([key in label for label in labels], dtype=int)
        regression = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
        theirs = regression.fit(matrix, target).predict_proba(matrix)[:, 1]
        assert np.allclose(ours[:, column], theirs, atol=1e-4)
