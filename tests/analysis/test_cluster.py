"""Thematic groupings: shape, determinism, labels, languages and candidate new themes."""

from __future__ import annotations

import re

import pytest

from analysis import AnalysisError, Group, cluster, default_codebook, prepare_many
from analysis.nlp import pipeline
from tests.analysis.parallel_passages import parallel_items

# Three planted topics: two from the codebook, one (a football club) outside it.
PRIVACY = [
    "Ze gaf mij haar pincode en haar wachtwoord, op een briefje in haar portefeuille.",
    "Hij kent het wachtwoord van zijn moeder en haar pincode van de bankkaart.",
    "Het wachtwoord en de pincode van de cliënt liggen op een papiertje bij ons.",
    "De buurman kent haar pincode en het wachtwoord van de bankapp.",
    "Mevrouw schrijft haar pincode en wachtwoord op de achterkant van de kaart.",
    "Wij mogen eigenlijk geen pincode of wachtwoord van cliënten kennen.",
]
OUTSOURCING = [
    "Het loket van de bank is gesloten en ze sturen iedereen naar het OCMW.",
    "Sinds het loket gesloten is, komen de mensen van de bank naar ons.",
    "De energieleverancier heeft het loket gesloten en verwijst naar het OCMW.",
    "Het gemeentelijk loket is gesloten, alles moet online, dus komen ze naar het OCMW.",
    "De bank sloot het loket en zegt: ga naar het OCMW voor hulp.",
    "Het loket van de mutualiteit is gesloten, ze sturen de mensen naar het OCMW.",
]
FOOTBALL = [
    "De voetbalclub speelde zondag een wedstrijd tegen de ploeg uit Gent en won.",
    "Na de wedstrijd vierde de voetbalclub met de supporters in de kantine.",
    "De trainer van de voetbalclub koos een nieuwe keeper voor de wedstrijd.",
    "De supporters van de voetbalclub zongen tijdens de hele wedstrijd.",
    "De voetbalclub verloor de wedstrijd door een doelpunt in de laatste minuut.",
    "De keeper van de voetbalclub was de beste speler van de wedstrijd.",
]


def items() -> list[tuple[str, str]]:
    texts = PRIVACY + OUTSOURCING + FOOTBALL
    # Interleave so that input order carries no hint of the topics.
    order = sorted(range(len(texts)), key=lambda i: (i % 6, i))
    return [(f"p{i:02}", texts[i]) for i in order]


@pytest.fixture(scope="module")
def groups() -> list[Group]:
    return cluster(items(), k=3, codebook=default_codebook())


def test_planted_topics_come_back_as_groups(groups):
    """Three planted topics give three groups with every passage in exactly one."""
    assert len(groups) == 3
    members = [m for g in groups for m in g.members]
    assert sorted(members) == sorted(i for i, _ in items())
    texts = dict(items())
    for group in groups:
        topics = {
            "privacy" if texts[m] in PRIVACY else "outsourcing" if texts[m] in OUTSOURCING else "x"
            for m in group.members
        }
        assert len(topics) == 1
        order = [i for i, _ in items()]
        assert group.members == sorted(group.members, key=order.index)  # input order
        assert len(group.representatives) == 3
        assert set(group.representatives) <= set(group.members)
        assert group.label and group.terms


def test_off_codebook_group_is_a_candidate_new_theme(groups):
    """The football group matches no theme; the others match theirs."""
    by_word = {}
    for group in groups:
        words = " ".join(group.terms)
        key = "football" if "voetbalclub" in words or "wedstrijd" in words else group.best_theme
        by_word[key] = group
    assert by_word["football"].candidate_new_theme is True
    assert by_word["football"].best_theme is None
    assert by_word["privacy"].candidate_new_theme is False
    assert by_word["privacy"].theme_overlap["privacy"] >= 0.8
    assert by_word["outsourcing"].candidate_new_theme is False
    assert "wachtwoord" in by_word["privacy"].label or "pincode" in by_word["privacy"].label


def test_coded_passages_decide_the_overlap():
    """Where passages are coded, their codings (not suggestions) give the overlap."""
    coded = {item_id: ["role_confusion"] for item_id, _ in items()}
    groups = cluster(items(), k=3, codebook=default_codebook(), coded=coded)
    assert all(g.theme_overlap["role_confusion"] == 1.0 for g in groups)
    assert all(g.best_theme == "role_confusion" and not g.candidate_new_theme for g in groups)


def test_clustering_is_deterministic_and_sorted():
    """Same input, same groups; groups come by size, then label."""
    many = items() * 1
    extra = [(f"q{i}", text) for i, (_, text) in enumerate(items()[:5])]
    first = cluster(many + extra, k="auto", codebook=default_codebook())
    second = cluster(many + extra, k="auto", codebook=default_codebook())
    assert [g.to_dict() for g in first] == [g.to_dict() for g in second]
    sizes = [(-len(g.members), g.label) for g in first]
    assert sizes == sorted(sizes)
    assert 3 <= len(first) <= 12


def test_prepared_texts_and_tiny_inputs():
    """PreparedText input works; one or two passages still give valid groups."""
    prepared = prepare_many([text for _, text in items()])
    ids = [item_id for item_id, _ in items()]
    from_prepared = cluster(list(zip(ids, prepared, strict=True)), k=3)
    assert sum(len(g.members) for g in from_prepared) == len(ids)
    assert all(g.candidate_new_theme for g in from_prepared)  # no codebook: all new
    assert cluster([]) == []
    one = cluster([("only", "Een enkele passage over het loket.")])
    assert [g.members for g in one] == [["only"]]
    two = cluster([("a", "..."), ("b", "")], k="auto")
    assert sorted(m for g in two for m in g.members) == ["a", "b"]


def test_bad_k_is_refused():
    """k must be "auto" or a positive integer."""
    with pytest.raises(AnalysisError):
        cluster(items(), k=0)
    with pytest.raises(AnalysisError):
        cluster(items(), k="many")


# --- across languages (hand-written parallel passages) -------------------------------

TURNS = {
    "nl": "Begeleider: wat roept dit bij je op? Sophie{n}: ",
    "fr": "Animatrice : qui veut commencer ? Lotte{n} : ",
    "en": "Facilitator: who wants to start? Karim{n}: ",
}
NAMES = [f"{name}{n}" for name in ("Sophie", "Lotte", "Karim") for n in range(3)]


def _translations(item_id: str) -> list[str]:
    topic_number = item_id.rsplit("-", 1)[0]
    return [f"{topic_number}-{language}" for language in ("nl", "fr", "en")]


@pytest.fixture(scope="module")
def mixed() -> list[Group]:
    return cluster(
        parallel_items(TURNS),
        k="auto",
        codebook=default_codebook(),
        exclude_terms=NAMES,
        label_language="fr",
    )


def test_translations_land_in_one_group(mixed):
    """In a mixed nl+fr+en run, each passage is grouped with both its translations."""
    where = {member: n for n, group in enumerate(mixed) for member in group.members}
    assert len(where) == len(parallel_items())
    together = [
        all(where[other] == where[item_id] for other in _translations(item_id)) for item_id in where
    ]
    assert sum(together) / len(together) >= 0.9
    assert len(mixed) >= 3  # grouped by situation, not all in one


def test_names_and_method_words_never_reach_labels(mixed):
    """Pseudonyms, facilitator labels and turn-taking formulas are not label terms."""
    banned = {name.lower() for name in NAMES} | {
        "sophie", "lotte", "karim", "begeleider", "animatrice", "facilitator",
        "roept", "commencer", "start", "wants", "veut",
    }  # fmt: skip
    for group in mixed:
        words = {w for term in group.terms for w in re.split(r"[\s,]+", term.lower())}
        assert not words & banned, group.terms


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_labels_have_no_stop_words_or_fragments(language):
    """Every label term is free of stop words, single letters and cut-off words."""
    stop_words = pipeline(language).Defaults.stop_words
    groups = cluster(parallel_items(), k=4, label_language=language)
    monolingual = cluster(
        [(i, t) for i, t in parallel_items() if i.endswith("-nl")], k=3, label_language=language
    )
    for group in groups + monolingual:
        assert group.terms
        for term in group.terms:
            for word in re.split(r"[\s,]+", term.lower()):
                assert word not in stop_words, term
                assert len(word) >= 2 and word[0] not in "-'’" and word[-1] not in "-'’", term


def test_labels_follow_the_interface_language():
    """The same groups are labelled in the language asked for."""
    labels = {}
    for language in ("nl", "fr", "en"):
        groups = cluster(parallel_items(), k=4, label_language=language)
        password = next(g for g in groups if "password-0-nl" in g.members)
        labels[language] = password.terms
    assert "wachtwoord" in labels["nl"]
    assert "identifiants" in labels["fr"]
    assert "password" in labels["en"]
    with pytest.raises(AnalysisError):
        cluster(parallel_items(), label_language="de")


def test_candidate_new_theme_rule():
    """Candidate only when every theme's share is below 0.25 and members share a term."""
    football = [item_id for item_id, text in items() if text in FOOTBALL]
    one_coded = {football[0]: ["privacy"]}  # 1 of 6 = 0.17 < 0.25
    two_coded = {football[0]: ["privacy"], football[1]: ["privacy"]}  # 2 of 6 = 0.33
    for coded, expected in ((one_coded, True), (two_coded, False)):
        groups = cluster(items(), k=3, codebook=default_codebook(), coded=coded)
        group = next(g for g in groups if football[0] in g.members)
        assert set(group.members) == set(football)
        assert group.candidate_new_theme is expected
    # Without a codebook nothing overlaps, yet only coherent groups are candidates.
    scattered = PRIVACY[:1] + FOOTBALL[:1] + OUTSOURCING[:1]
    residue = cluster([(f"s{i}", text) for i, text in enumerate(scattered)], k=1)
    assert residue[0].candidate_new_theme is False
    planted = cluster([(f"f{i}", text) for i, text in enumerate(FOOTBALL)], k=1)
    assert planted[0].candidate_new_theme is True


def test_speaker_labels_are_excluded_even_when_not_passed():
    """Names written as speaker labels ("Lotte: ...") never become features or labels."""
    # One speaker per topic: without the rule, the names would be the most distinctive words.
    speaker = {**dict.fromkeys(PRIVACY, "Lotte"), **dict.fromkeys(OUTSOURCING, "Jef")}
    speaker.update(dict.fromkeys(FOOTBALL, "Anke"))
    texts = [f"{speaker[text]}: {text} {speaker[text]} knikt." for _, text in items()]
    groups = cluster([(f"t{i}", text) for i, text in enumerate(texts)], k=3)
    assert sorted(len(g.members) for g in groups) == [6, 6, 6]
    words = {w for g in groups for term in g.terms for w in re.split(r"[\s,]+", term.lower())}
    assert not words & {"lotte", "jef", "anke"}


def test_every_group_has_a_label_in_each_interface_language():
    """A bilingual team reads each group in its own interface language."""
    groups = cluster(parallel_items(), k=4, codebook=default_codebook(), label_language="fr")
    assert groups
    for group in groups:
        assert set(group.labels) == {"nl", "fr", "en"}
        assert group.labels["fr"] == group.label
    assert any(group.labels["nl"] != group.labels["fr"] for group in groups)
