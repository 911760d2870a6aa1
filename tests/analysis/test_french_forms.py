"""French reflexive verbs: the word after a reflexive clitic is lemmatised as a verb.

Cases written from French grammar (pronominal verbs, clitic order), not from any
benchmark passage.
"""

from __future__ import annotations

import pytest

from analysis import prepare
from analysis.terms import TermIndex, compile_terms


def _lemma_of(text: str, word: str) -> str:
    prepared = prepare(text, "fr")
    return prepared.lemmas[prepared.forms.index(word)]


@pytest.mark.parametrize(
    ("text", "word", "lemma"),
    [
        # Present tense of -er verbs whose form is also a noun.
        ("Elle s'adresse au guichet.", "adresse", "adresser"),
        ("Il s’adresse à sa fille.", "adresse", "adresser"),
        ("Tu te débrouilles très bien.", "débrouilles", "débrouiller"),
        ("Ils se chargent du dossier.", "chargent", "charger"),
        ("Je m'occupe de tout.", "occupe", "occuper"),
        ("Elle se connecte le soir.", "connecte", "connecter"),
        # Object clitics between the reflexive and the verb ("se la", "s'en", "s'y").
        ("Il s'en sort sans aide.", "sort", "sortir"),
        ("Elle se la charge seule.", "charge", "charger"),
        # Infinitives and participles stay what they are.
        ("Il faut s'inscrire en ligne.", "inscrire", "inscrire"),
        ("Elle s'est adressée au CPAS.", "adressée", "adresser"),
    ],
)
def test_word_after_a_reflexive_clitic_is_a_verb(text, word, lemma):
    assert _lemma_of(text, word) == lemma


@pytest.mark.parametrize(
    ("text", "word", "lemma"),
    [
        ("Son adresse a changé.", "adresse", "adresse"),
        ("La charge de travail augmente.", "charge", "charge"),
        ("Elle demande de l'aide.", "aide", "aide"),
        # A determiner is not a clitic before a verb: "le sort" is fate.
        ("Le sort des personnes âgées.", "sort", "sort"),
    ],
)
def test_nouns_elsewhere_keep_their_noun_lemma(text, word, lemma):
    assert _lemma_of(text, word) == lemma


@pytest.mark.parametrize("clitic", ["me", "te", "se", "m'", "t'", "s'"])
def test_reflexive_clitics_share_one_lemma(clitic):
    """ "je me connecte", "tu te connectes" and "se connecter" are one verb."""
    text = f"Il faut {clitic}{'' if clitic.endswith(chr(39)) else ' '}inscrire."
    assert _lemma_of(text, clitic) == "se"


def test_a_reflexive_pattern_finds_every_person():
    """ "se connecter" (a lexicon-style pattern) finds the verb in any person."""
    index = TermIndex(compile_terms([("t", "se connecter", 1.0)], "fr"))
    for text in (
        "Je me connecte.",
        "Tu te connectes.",
        "Elle se connecte.",
        "Il faut se connecter.",
    ):
        prepared = prepare(text, "fr")
        assert len(list(index.find(prepared))) == 1, text
