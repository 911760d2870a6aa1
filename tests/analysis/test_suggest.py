"""Theme suggestions: zero-shot and learned regimes, evidence, determinism, rejections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import (
    Example,
    PassageSuggestions,
    ThemeSpec,
    ThemeSuggester,
    default_codebook,
    prepare_many,
)

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "bench" / "data" / "themes_dev.jsonl"
KEYS = ["dependency", "privacy", "outsourcing", "role_confusion"]

PASSAGES = [
    ("nl-1", "Ze gaf mij haar pincode en het wachtwoord van haar bankapp, op een briefje."),
    ("nl-2", "Het loket van de bank is gesloten, dus sturen ze iedereen naar het OCMW."),
    ("fr-1", "Elle m'a donné son mot de passe et son code PIN pour que je fasse ses virements."),
    ("fr-2", "Je suis assistante sociale, pas informaticienne : ce n'est pas mon travail."),
    ("en-1", "Since the counter closed, the bank just sends everyone to us."),
    ("en-2", "She can't do anything on her own anymore; without her son she is lost."),
]


@pytest.fixture(scope="module")
def dev_rows() -> list[dict]:
    """The labelled development passages (nl, fr, en)."""
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def dev_prepared(dev_rows):
    """The development passages, lemmatised once for the whole module."""
    return prepare_many([row["text"] for row in dev_rows])


@pytest.fixture(scope="module")
def zero_shot() -> ThemeSuggester:
    return ThemeSuggester(default_codebook()).fit()


def macro_f1(results: list[PassageSuggestions], gold: list[set[str]]) -> float:
    scores = []
    for key in KEYS:
        pairs = [(key in set(r.suggested()), key in g) for r, g in zip(results, gold, strict=True)]
        tp = sum(p and g for p, g in pairs)
        fp = sum(p and not g for p, g in pairs)
        fn = sum(g and not p for p, g in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def test_zero_shot_suggests_the_obvious_theme_in_each_language(zero_shot):
    """Before anything is coded, clear passages get their theme in nl, fr and en."""
    results = {r.id: r for r in zero_shot.suggest(PASSAGES)}
    assert "privacy" in results["nl-1"].suggested()
    assert "outsourcing" in results["nl-2"].suggested()
    assert "privacy" in results["fr-1"].suggested()
    assert "role_confusion" in results["fr-2"].suggested()
    assert "outsourcing" in results["en-1"].suggested()
    assert "dependency" in results["en-2"].suggested()
    assert [r.language for r in results.values()] == ["nl", "nl", "fr", "fr", "en", "en"]
    for result in results.values():
        assert [theme.key for theme in result.themes] == KEYS
        assert all(0.0 <= theme.score <= 1.0 for theme in result.themes)
        assert all(theme.regime == "zero-shot" for theme in result.themes)
        assert all(theme.suggested == (theme.score >= 0.5) for theme in result.themes)


def test_term_evidence_points_at_the_words_of_the_passage(zero_shot, dev_rows):
    """Every term evidence slices the passage to exactly its text, from word to word."""
    items = [(row["id"], row["text"]) for row in dev_rows] + PASSAGES
    prepared = dict(zip([i for i, _ in items], prepare_many([t for _, t in items]), strict=True))
    found = 0
    for result in zero_shot.suggest(items):
        passage = prepared[result.id]
        for theme in result.themes:
            for evidence in theme.evidence:
                assert evidence.kind == "term"
                assert passage.text[evidence.start : evidence.end] == evidence.text
                # Whole words: it starts where a word starts and ends where one ends.
                assert evidence.start in passage.starts and evidence.end in passage.ends
                assert any(ch.isalpha() for ch in evidence.text)
                found += 1
    assert found > 100


def test_same_input_gives_identical_output(dev_rows, dev_prepared):
    """Two independent fits and runs on the same data give the same scores and evidence."""
    examples = [Example(row["id"], row["text"], frozenset(row["labels"])) for row in dev_rows[:100]]
    items = [(row["id"], row["text"]) for row in dev_rows[100:]]
    first = ThemeSuggester(default_codebook(), examples).fit().suggest(items)
    second = ThemeSuggester(default_codebook(), list(examples)).fit().suggest(items)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in second]


def folds_of(rows: list[dict], folds: int) -> list[int]:
    """Deal passages into folds round-robin within each (language, label set) stratum."""
    strata: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        strata.setdefault((row["lang"], tuple(sorted(row["labels"]))), []).append(i)
    fold_of, dealt = [0] * len(rows), 0
    for key in sorted(strata):
        for i in strata[key]:
            fold_of[i] = dealt % folds
            dealt += 1
    return fold_of


def test_learned_regime_holds_zero_shot_quality_on_held_out_passages(dev_rows, dev_prepared):
    """Trained on 4/5 of the dev set, tested on the rest: learned F1 stays near zero-shot.

    On this register the lexicon alone already scores ~0.85, so learning from ~120
    passages cannot be asked to beat it; it must not lose more than a few points.
    """
    fold_of = folds_of(dev_rows, 5)
    gold = [set(row["labels"]) for row in dev_rows]
    items = [(row["id"], p) for row, p in zip(dev_rows, dev_prepared, strict=True)]
    zero = ThemeSuggester(default_codebook()).fit().suggest(items)
    learned: list[PassageSuggestions | None] = [None] * len(items)
    for fold in range(5):
        train = [i for i in range(len(items)) if fold_of[i] != fold]
        test = [i for i in range(len(items)) if fold_of[i] == fold]
        examples = [Example(items[i][0], items[i][1], frozenset(gold[i])) for i in train]
        suggester = ThemeSuggester(default_codebook(), examples).fit()
        assert set(suggester.regimes_.values()) == {"learned"}
        for i, result in zip(test, suggester.suggest([items[i] for i in test]), strict=True):
            learned[i] = result
            train_ids = {items[j][0] for j in train}
            for theme in result.themes:
                assert theme.regime == "learned"
                for evidence in theme.evidence:
                    if evidence.kind == "similar":
                        assert evidence.example_id in train_ids and 0 < evidence.score <= 1
    zero_f1, learned_f1 = macro_f1(zero, gold), macro_f1(learned, gold)
    assert learned_f1 > zero_f1 - 0.03, (learned_f1, zero_f1)
    assert any(e.kind == "similar" for r in learned for t in r.themes for e in t.evidence)


def test_rejected_suggestion_lowers_the_theme_score(zero_shot):
    """A facilitator's rejection of a theme on a passage lowers it for that passage."""
    text = "Ik ken nu de pincode van die mevrouw, ze gaf hem mij op een papiertje."
    before = zero_shot.suggest([("p", text)])[0]
    rejected = Example("old", text, frozenset(), rejected=frozenset({"privacy"}))
    after = ThemeSuggester(default_codebook(), [rejected]).fit().suggest([("p", text)])[0]
    score = {t.key: t.score for t in before.themes}
    again = {t.key: t.score for t in after.themes}
    assert again["privacy"] < score["privacy"]
    assert again["dependency"] == score["dependency"]


def test_rejections_count_as_strong_negatives_in_the_learned_regime(dev_rows, dev_prepared):
    """With enough examples, rejecting a theme on passages lowers it on similar ones."""
    examples = [
        Example(row["id"], p, frozenset(row["labels"]))
        for row, p in zip(dev_rows, dev_prepared, strict=True)
    ]
    probe = [(row["id"] + "-again", p) for row, p in zip(dev_rows, dev_prepared, strict=True)]
    base = ThemeSuggester(default_codebook(), examples).fit().suggest(probe)
    rejecting = [
        Example(e.id, e.text, e.labels - {"outsourcing"}, frozenset({"outsourcing"}))
        if "outsourcing" in e.labels
        else e
        for e in examples
    ]
    lowered = ThemeSuggester(default_codebook(), rejecting).fit().suggest(probe)

    def total(results):
        return sum(t.score for r in results for t in r.themes if t.key == "outsourcing")

    assert total(lowered) < total(base)


def test_custom_theme_works_from_its_seed_terms():
    """A study's own theme, unknown to the lexicon, is suggested from its seed terms."""
    housing = ThemeSpec(
        key="housing",
        labels={"fr": "Logement", "en": "Housing"},
        definitions={"en": "Rent, landlords, social housing and evictions."},
        seed_terms={"fr": ["logement social", "propriétaire", "loyer"], "en": ["rent", "landlord"]},
    )
    suggester = ThemeSuggester([housing]).fit()
    result = suggester.suggest(
        [
            ("a", "Le propriétaire a augmenté le loyer du logement social."),
            ("b", "Het loket is gesloten."),
            ("c", "The landlord wants the rent paid online."),
        ]
    )
    assert [r.suggested() for r in result] == [["housing"], [], ["housing"]]


def test_progress_is_reported_from_zero_to_one(dev_rows):
    """The progress callback gets non-decreasing fractions in [0, 1], ending at 1."""
    seen: list[float] = []
    items = [(row["id"], row["text"]) for row in dev_rows[:40]]
    ThemeSuggester(default_codebook()).fit(progress=seen.append).suggest(
        items, progress=seen.append
    )
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)


def test_evidence_lists_each_word_once_and_no_stop_words(zero_shot, dev_rows, dev_prepared):
    """The evidence shown for a theme names each word once and never a stop word."""
    items = [(row["id"], p) for row, p in zip(dev_rows, dev_prepared, strict=True)]
    for (_, passage), result in zip(items, zero_shot.suggest(items), strict=True):
        stop = {
            passage.text[s:e].lower()
            for s, e, flag in zip(passage.starts, passage.ends, passage.stop, strict=True)
            if flag
        }
        for theme in result.themes:
            words = [e.text.lower() for e in theme.evidence if e.kind == "term"]
            assert len(words) == len(set(words)), words
            assert not [w for w in words if w in stop], words


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "Social workers, administrations and public services face digitalisation; "
            "municipalities and associations organise digital public services.",
        ),
        (
            "fr",
            "La digitalisation touche les administrations, les services publics, les "
            "communes et les associations où travaillent les assistants sociaux.",
        ),
        (
            "nl",
            "De digitalisering raakt de overheid, de gemeente, de openbare diensten en de "
            "verenigingen waar maatschappelijk werkers werken.",
        ),
    ],
)
def test_ambient_field_words_alone_suggest_nothing(zero_shot, language, text):
    """A passage that only names the field (digitalisation, services, workers) gets no theme."""
    assert zero_shot.suggest([("p", text)], language=language)[0].suggested() == []


def test_a_weaker_rival_theme_is_not_suggested_beside_a_clear_one(zero_shot):
    """Themes compete: a passage about passwords is privacy, not also a faint second theme."""
    text = (
        "Elle m'a donné son mot de passe, son code PIN et l'accès à sa boîte mail, "
        "et je connais ses identifiants itsme depuis que je l'aide."
    )
    assert zero_shot.suggest([("p", text)], language="fr")[0].suggested() == ["privacy"]


def test_a_theme_coded_five_times_is_learned_from_any_language(dev_rows, dev_prepared):
    """Five codings of a theme, in French and English, already train it for Dutch passages."""
    coded = [(row, p) for row, p in zip(dev_rows, dev_prepared, strict=True) if row["lang"] != "nl"]
    positives = [(r, p) for r, p in coded if "dependency" in r["labels"]][:5]
    negatives = [(r, p) for r, p in coded if "dependency" not in r["labels"]][:15]
    examples = [Example(r["id"], p, frozenset(r["labels"])) for r, p in positives + negatives]
    suggester = ThemeSuggester(default_codebook(), examples).fit()
    dutch = [
        (r["id"], p) for r, p in zip(dev_rows, dev_prepared, strict=True) if r["lang"] == "nl"
    ][:3]
    for result in suggester.suggest(dutch):
        theme = next(t for t in result.themes if t.key == "dependency")
        assert theme.regime == "learned"


def test_a_learned_default_theme_keeps_what_the_shipped_prior_knows(dev_rows, dev_prepared):
    """Codings in French teach the study's default themes without losing the Dutch.

    The learned regime of a default theme starts from the shipped prior's logit, so
    a study that coded only French passages still reads Dutch ones at least as well
    as zero-shot, and better. A regression from nothing (before) knew no Dutch word
    and fell to the zero-shot level (0.941 against 0.942).
    """
    train = [(r, p) for r, p in zip(dev_rows, dev_prepared, strict=True) if r["lang"] == "fr"]
    test = [(r, p) for r, p in zip(dev_rows, dev_prepared, strict=True) if r["lang"] == "nl"]
    examples = [Example(r["id"], p, frozenset(r["labels"])) for r, p in train]
    gold = [set(r["labels"]) for r, _ in test]
    items = [(r["id"], p) for r, p in test]
    zero = macro_f1(ThemeSuggester(default_codebook()).fit().suggest(items), gold)
    suggester = ThemeSuggester(default_codebook(), examples).fit()
    assert set(suggester.regimes_.values()) == {"learned"}
    learned = macro_f1(suggester.suggest(items), gold)
    assert learned >= zero + 0.015, (learned, zero)


def test_the_offset_regression_is_scikit_learns_when_the_offset_is_zero():
    """The prior-centred regression minimises scikit-learn's loss: same model at offset 0.

    At its own penalty (`OFFSET_C`, stronger than the one of a regression from nothing).
    """
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from analysis.scoring import OFFSET_C, _OffsetLogistic

    rng = np.random.default_rng(7)
    features = sparse.csr_matrix(rng.random((60, 12)) * (rng.random((60, 12)) < 0.3))
    target = (features @ rng.normal(size=12) + rng.normal(scale=0.3, size=60) > 0.2).astype(int)
    weights = np.where(rng.random(60) < 0.2, 2.0, 1.0)
    ours = _OffsetLogistic().fit(features, target, weights, np.zeros(60))
    exact = LogisticRegression(C=OFFSET_C, class_weight="balanced", tol=1e-10, max_iter=20000)
    theirs = exact.fit(features, target, sample_weight=weights)
    assert np.allclose(ours.coef_, theirs.coef_[0], atol=1e-3)
    assert abs(ours.intercept_ - theirs.intercept_[0]) < 1e-3
    shifted = ours.probability(features, np.full(60, 2.0))
    assert np.all(shifted > ours.probability(features, np.zeros(60)))


def test_a_passage_prepared_once_is_read_afresh_by_another_codebook(zero_shot):
    """One prepared passage scored by two codebooks: each reads it with its own terms.

    The matches are kept on the PreparedText for speed; a study that adds a theme
    must not get the default codebook's matches back.
    """
    housing = ThemeSpec(
        key="housing", labels={"en": "Housing"}, seed_terms={"en": ["landlord", "rent"]}
    )
    (passage,) = prepare_many(["The landlord wants the rent paid online; she gave me her PIN."])
    before = zero_shot.suggest([("a", passage)])[0]
    widened = ThemeSuggester([*default_codebook(), housing]).fit().suggest([("a", passage)])[0]
    again = zero_shot.suggest([("a", passage)])[0]
    housing_score = next(t for t in widened.themes if t.key == "housing")
    assert housing_score.suggested
    assert {e.text for e in housing_score.evidence} == {"landlord", "rent"}
    assert [t.key for t in before.themes] == KEYS == [t.key for t in again.themes]
    assert again == before


def test_suggesting_leaves_the_cycle_collector_as_it_found_it(zero_shot, monkeypatch):
    """Preparing and suggesting pause Python's cycle collector for speed; a server process
    that kept it paused would grow without bound, so it resumes afterwards, even after an
    error."""
    import gc

    assert gc.isenabled()
    seen = []
    original = zero_shot.zero_shot_.matches

    def watched(prepared):
        seen.append(gc.isenabled())
        return original(prepared)

    monkeypatch.setattr(zero_shot.zero_shot_, "matches", watched)
    zero_shot.suggest(PASSAGES[:2])
    assert seen and not any(seen) and gc.isenabled()
    prepare_many(["Le guichet est fermé.", "The counter closed."])
    assert gc.isenabled()

    def failing(prepared):
        raise RuntimeError("lexicon broke")

    monkeypatch.setattr(zero_shot.zero_shot_, "matches", failing)
    with pytest.raises(RuntimeError):
        zero_shot.suggest(PASSAGES[:2])
    assert gc.isenabled()

    gc.disable()
    try:
        monkeypatch.setattr(zero_shot.zero_shot_, "matches", original)
        zero_shot.suggest(PASSAGES[:2])
        assert not gc.isenabled()  # paused by someone else: left to them
    finally:
        gc.enable()


def test_a_theme_learned_around_the_prior_cannot_be_read_without_it(dev_rows, dev_prepared):
    """A default theme's model was fitted around the prior's logits: asked to predict
    without them, it says so instead of scoring every passage as if the prior were 0."""
    import numpy as np

    pairs = list(zip(dev_rows, dev_prepared, strict=True))[:40]
    examples = [Example(r["id"], p, frozenset(r["labels"])) for r, p in pairs]
    suggester = ThemeSuggester(default_codebook(), examples).fit()
    prepared = [p for _, p in pairs]
    points = np.ones((len(prepared), len(KEYS)))
    with pytest.raises(ValueError, match="same offsets as fit"):
        suggester.learned_.predict(prepared, points, points * 0.5)


def test_the_learned_regime_reads_the_same_ngrams_from_the_prior(dev_rows, dev_prepared):
    """The learned regime takes a fluent passage's n-grams from the prior's kept spans
    (a speed-up): they must be exactly the n-grams it was designed on, for every passage,
    and a turn with fillers keeps its own."""
    from analysis.features import lemma_ngrams
    from analysis.scoring import _ngrams
    from analysis.spoken import fluent_words

    spoken = prepare_many(["Euh, ja, ik, ik weet het niet, weet je, de bank heeft gesloten."])
    passages = [*dev_prepared, *spoken]
    assert len(fluent_words(spoken[0])) < len(spoken[0])
    assert sum(len(fluent_words(p)) == len(p) for p in passages) > 100
    for passage in passages:
        assert _ngrams(passage) == lemma_ngrams(passage), passage.text
