"""Grouping features: the theme block follows a passage's strongest themes."""

from __future__ import annotations

import numpy as np

from analysis import default_codebook, prepare_many
from analysis.concepts import ConceptFinder
from analysis.grouping_features import _normalise, _theme_scores, build_features

# Two passages that each mention both themes, but are about a different one.
ABOUT_PRIVACY = (
    "Ze gaf mij haar pincode en haar wachtwoord, op een briefje in haar portefeuille. "
    "Ik ken nu de code van haar bankkaart en dat wil ik niet, het is haar privacy. "
    "Het loket van de bank is trouwens gesloten."
)
ABOUT_OUTSOURCING = (
    "Het loket van de bank is gesloten en ze sturen iedereen naar het OCMW. "
    "Sinds de sluiting van de kantoren komen de mensen met hun brieven naar ons, "
    "wij doen het werk van de bank. Soms geven ze ons hun wachtwoord."
)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_theme_block_points_at_the_strongest_theme():
    """Passages touching the same themes but about different ones are told apart."""
    codebook = default_codebook()
    keys = [theme.key for theme in codebook]
    prepared = prepare_many([ABOUT_PRIVACY, ABOUT_OUTSOURCING], ["nl", "nl"])
    features = build_features(prepared, codebook, ConceptFinder())
    block = features.matrix.toarray()[:, -len(keys) :]
    raw, _ = _theme_scores(prepared, codebook)
    raw = _normalise(raw)
    # Each passage points at its own theme ...
    assert keys[int(np.argmax(block[0]))] == "privacy"
    assert keys[int(np.argmax(block[1]))] == "outsourcing"
    # ... and the two are further apart than their unsharpened scores would put them.
    assert _cosine(block[0], block[1]) < _cosine(raw[0], raw[1]) - 0.15


def test_pronouns_and_fillers_never_become_shared_words():
    """'niemand', 'iedereen', 'way' are no stop words for spaCy, but say nothing."""
    texts = [
        "Niemand helpt haar met de bankkaart, iedereen zegt dat ze naar het OCMW moet.",
        "Niemand kent de pincode, iedereen vraagt het aan de maatschappelijk werker.",
        "Nobody explains the app, everyone sends her to us, that is the way it goes.",
    ]
    prepared = prepare_many(texts, ["nl", "nl", "en"])
    words = set(build_features(prepared[:2], [], ConceptFinder()).word_lemmas)
    assert "bankkaart" in words
    assert not words & {"niemand", "iedereen"}
    words = set(build_features(prepared[2:], [], ConceptFinder()).word_lemmas)
    assert "app" in words
    assert not words & {"nobody", "everyone", "way"}


def test_weak_theme_evidence_weighs_less_across_languages():
    """In a mixed study a passage's theme block is as long as its top theme score."""
    codebook = default_codebook()
    texts = [ABOUT_PRIVACY, "We hebben het over de bank gehad.", ABOUT_OUTSOURCING]
    texts += [
        "Elle m'a donné son code PIN et son mot de passe sur un papier.",
        "On a parlé de la banque.",
        "Le guichet de la banque est fermé et ils envoient tout le monde au CPAS.",
    ]
    prepared = prepare_many(texts, ["nl"] * 3 + ["fr"] * 3)
    mixed = build_features(prepared, codebook, ConceptFinder()).matrix.toarray()
    alone = build_features(prepared[:3], codebook, ConceptFinder()).matrix.toarray()
    width = len(codebook)
    length = np.linalg.norm(mixed[:, -width:], axis=1)
    assert length[1] < 0.8 * length[0] and length[4] < 0.8 * length[3]
    # One language: the theme block keeps its full share of the row (no length rule).
    full = np.linalg.norm(alone[:, -width:], axis=1)
    assert full[1] > length[1]
