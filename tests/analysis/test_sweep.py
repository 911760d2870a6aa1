"""The theme sweep's ranking: starts from the codebook, learns from decisions, clean evidence."""

from __future__ import annotations

import pytest

from analysis import (
    AnalysisError,
    ThemeSpec,
    ThemeSweep,
    evidence_terms,
    prepare,
    sweep_items,
    sweep_matrix,
)

CODEBOOK = [
    ThemeSpec(key="housing", labels={"en": "Housing"}, seed_terms={"en": ["rent"]}),
    ThemeSpec(key="school", labels={"en": "School"}, seed_terms={"en": ["teacher"]}),
]
KEYS = [theme.key for theme in CODEBOOK]

# Housing passages that never say "rent": only decisions can teach that a landlord,
# an eviction or a lease is housing. The rent passages are what the codebook finds.
HOUSING = [
    "The landlord sent an eviction notice and the lease ends in March.",
    "Her landlord refuses to repair the heating, the lease says he must.",
    "An eviction again: the landlord wants the flat back for his son.",
    "The lease was only in Dutch and the landlord would not explain it.",
    "After the eviction the family slept at a cousin's for weeks.",
    "He signed a lease without reading it, the landlord was in a hurry.",
]
RENT = [
    "She could not pay the rent this month.",
    "The rent went up again in January.",
]
OTHER = [
    "The teacher asked for the form on the school app.",
    "We talked about the coffee machine and the next meeting date.",
    "The teacher only answers messages through the app.",
    "The bus was late so the meeting started at ten.",
    "Nobody knew how to print the ticket from the phone.",
    "The football club wants the fee paid online now.",
    "My neighbour lent me a ladder for the garden.",
    "The weather was bad, the meeting was short.",
]
TEXTS = HOUSING + RENT + OTHER


@pytest.fixture(scope="module")
def matrix():
    items = sweep_items(CODEBOOK, [(i, prepare(text, "en")) for i, text in enumerate(TEXTS)])
    return sweep_matrix(items, KEYS, "housing")


def _rank_of(sweep: ThemeSweep, ids) -> list[int]:
    order = [entry.id for entry in sweep.ranking()]
    return [order.index(i) for i in ids if i in order]


def test_before_any_decision_the_codebook_ranks(matrix):
    """With no decision yet, the passages with the seed term come first."""
    sweep = ThemeSweep().fit(matrix, {})
    first = [entry.id for entry in sweep.ranking(limit=2)]
    assert sorted(first) == [6, 7]  # the two "rent" passages
    assert all(entry.reason == "top" for entry in sweep.ranking())


def test_ranking_learns_from_a_few_decisions(matrix):
    """After accepting two landlord passages and rejecting two others, the housing ones rise."""
    unseen_housing = [2, 3, 4, 5]
    before = ThemeSweep().fit(matrix, {})
    decisions = {0: True, 1: True, 6: True, 8: False, 9: False, 10: False}
    after = ThemeSweep().fit(matrix, decisions)
    assert sum(_rank_of(after, unseen_housing)) < sum(_rank_of(before, unseen_housing))
    scores = dict(zip(after.ids_, after.scores_, strict=True))
    assert min(scores[i] for i in [2, 3, 5]) > max(scores[i] for i in [11, 12, 13, 14, 15])


def test_reviewed_passages_leave_the_ranking_and_skipped_can_be_excluded(matrix):
    """Decided passages are not ranked again; `exclude` keeps skipped ones out."""
    sweep = ThemeSweep().fit(matrix, {6: True, 8: False})
    ranked = [entry.id for entry in sweep.ranking(exclude=[7])]
    assert not {6, 8, 7} & set(ranked) and len(ranked) == len(TEXTS) - 3


def test_uncertain_passages_are_mixed_in_once_the_model_is_unsure(matrix):
    """After the warm-up, once the model doubts its best passage, unsure ones get places."""
    decisions = {0: True, 1: True, 6: True, 8: False, 9: False}
    unsure = ThemeSweep(warmup=4, explore_every=3, unsure_below=1.0).fit(matrix, decisions)
    reasons = [entry.reason for entry in unsure.ranking(limit=9)]
    assert "uncertain" in reasons and reasons.count("top") >= 5
    sure = ThemeSweep(warmup=4, explore_every=3, unsure_below=0.0).fit(matrix, decisions)
    assert {entry.reason for entry in sure.ranking(limit=9)} == {"top"}
    early = ThemeSweep(warmup=10, unsure_below=1.0).fit(matrix, decisions)
    assert {entry.reason for entry in early.ranking(limit=9)} == {"top"}


def test_expected_remaining_falls_as_positives_are_found(matrix):
    """The estimate of theme passages left goes down when accepted passages leave the pool."""
    start = ThemeSweep().fit(matrix, {}).expected_remaining()
    later = ThemeSweep().fit(matrix, {6: True, 7: True}).expected_remaining()
    assert 0 <= later < start


def test_parameters_are_keyword_only_and_fit_returns_self(matrix):
    """scikit-learn conventions: keyword-only settings, fit returns the estimator."""
    with pytest.raises(TypeError):
        ThemeSweep(3)  # type: ignore[misc]
    sweep = ThemeSweep(warmup=2)
    assert sweep.fit(matrix, {}) is sweep and sweep.warmup == 2


def test_unknown_theme_is_an_analysis_error():
    """Asking for a theme the codebook lacks says so."""
    items = sweep_items(CODEBOOK, [(0, prepare("The rent.", "en"))])
    with pytest.raises(AnalysisError, match="not in the codebook"):
        sweep_matrix(items, KEYS, "nowhere")


def test_evidence_is_clean_no_stop_words_no_duplicates():
    """A stop-word seed term is never evidence; a repeated term is listed once."""
    codebook = [
        ThemeSpec(key="privacy", seed_terms={"fr": ["vous", "mot de passe", "code PIN"]}),
    ]
    text = "Vous savez, le mot de passe, puis le Mot de passe encore, et vous le code PIN."
    prepared = prepare(text, "fr")
    item = sweep_items(codebook, [(1, prepared)])[0]
    spans = item.spans["privacy"]
    wordings = [text[start:end].lower() for start, end in spans]
    assert "vous" not in wordings and len(spans) == len(set(spans))
    assert evidence_terms(text, spans) == ["mot de passe", "code PIN"]


def test_a_default_theme_is_swept_from_the_score_suggestions_start_from():
    """The sweep's first order is the suggestions' zero-shot score (lexicon and shipped
    prior), so a passage the prior reads as the theme comes before one that only names
    the field's words, as in the suggestions list."""
    from analysis import ThemeSuggester, default_codebook

    codebook = default_codebook()
    keys = [theme.key for theme in codebook]
    texts = [
        "Since the bank closed its branch, the bank's customers are sent to our counter to do "
        "their online banking; the bank hands its work to the social service.",
        "The municipality opened a digital help point in the library with volunteers.",
        "My son does everything for me on the computer, I cannot do it without him.",
        "We talked about the coffee machine and the next meeting date.",
    ]
    prepared = [prepare(text, "en") for text in texts]
    items = sweep_items(codebook, list(enumerate(prepared)))
    expected = ThemeSuggester(codebook).fit().zero_shot_scores(prepared)
    for column, key in enumerate(keys):
        swept = sweep_matrix(items, keys, key)
        assert swept.prior.tolist() == pytest.approx(expected[:, column].tolist())
        order = [entry.id for entry in ThemeSweep().fit(swept, {}).ranking()]
        assert order[0] == int(expected[:, column].argmax())
