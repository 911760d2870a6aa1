"""Prepared passages: lemmas with code-point offsets, stop words, JSON round trip."""

from __future__ import annotations

import json

import pytest

from analysis import AnalysisError, PreparedText, prepare, prepare_many


def test_dutch_lemmas_use_the_better_lemmatiser():
    """Dutch plurals and past forms lemmatise (simplemma), lowercased."""
    prepared = prepare("De mensen gaven hun Wachtwoorden aan de kinderen.", "nl")
    # simplemma reads "gaven" as "gave" (an adjective); forms that matter here are right.
    assert prepared.language == "nl"
    assert {"mens", "wachtwoord", "kind"} <= set(prepared.lemmas)


def test_french_and_english_lemmas():
    """French and English inflections reduce to their lemma."""
    french = prepare("Les guichets étaient fermés, elle a donné ses mots de passe.", "fr")
    assert {"guichet", "mot", "donner"} <= set(french.lemmas)
    english = prepare("The counters were closed and she gave her passwords away.", "en")
    assert {"counter", "password", "give", "be"} <= set(english.lemmas)


@pytest.mark.parametrize(
    "text",
    [
        "L’assistante sociale — « épuisée » — a dit : c’est fini.\nÀ demain !",
        "Zij 👩‍💻 gaf haar pincode (1234) aan de buurman… écht waar.",
        "Naïve café owners’ passwords: e-mail, PIN, eID.",
    ],
)
def test_offsets_are_code_points_into_the_original_text(text):
    """Every word's offsets slice the original text to that word (emoji included)."""
    prepared = prepare(text)
    assert len(prepared) > 3
    for start, end in zip(prepared.starts, prepared.ends, strict=True):
        word = text[start:end]
        assert word and word == word.strip()
        assert any(ch.isalnum() for ch in word)


def test_stop_words_are_flagged_not_dropped():
    """Stop words stay in the sequence (phrases need them) but are flagged."""
    prepared = prepare("Il a perdu son autonomie et dépend de sa fille.", "fr")
    flags = dict(zip(prepared.lemmas, prepared.stop, strict=True))
    assert flags["autonomie"] is False
    assert flags["il"] is True
    assert "autonomie" in prepared.content_lemmas()


def test_round_trip_through_json():
    """to_dict → JSON → from_dict gives back an equal PreparedText."""
    prepared = prepare("Hij kan het niet meer alleen. Zijn dochter doet alles.", "nl")
    again = PreparedText.from_dict(json.loads(json.dumps(prepared.to_dict())))
    assert again == prepared
    assert again.sentence_starts == prepared.sentence_starts
    assert len(prepared.sentence_starts) == 2


def test_from_dict_refuses_what_is_not_a_prepared_text():
    """A damaged cache entry raises AnalysisError instead of giving wrong offsets."""
    data = prepare("Un texte assez court.", "fr").to_dict()
    with pytest.raises(AnalysisError):
        PreparedText.from_dict({**data, "version": 99})
    with pytest.raises(AnalysisError):
        PreparedText.from_dict({**data, "starts": data["starts"][:-1]})
    with pytest.raises(AnalysisError):
        PreparedText.from_dict({"text": "x"})


def test_prepare_many_keeps_input_order_across_languages():
    """Batches run per language but results come back in input order."""
    texts = [
        "The counter is closed now.",
        "Le guichet est fermé maintenant.",
        "Het loket is nu gesloten.",
        "",
    ]
    prepared = prepare_many(texts)
    assert [p.language for p in prepared] == ["en", "fr", "nl", "fr"]
    assert [p.text for p in prepared] == texts
    assert len(prepared[3]) == 0


def test_injected_pipeline_is_used():
    """An injected spaCy pipeline (tests, custom setups) is used for every text."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    prepared = prepare("Passwords were shared. Nobody asked.", nlp=nlp)
    assert prepared.language == "en"
    assert prepared.lemmas[0] == "password"


def test_unknown_language_is_refused():
    """Only nl, fr, en and auto are accepted."""
    with pytest.raises(AnalysisError):
        prepare("Das ist ein Text.", "de")


SENTENCE_CASES = [
    "Eerste zin. Tweede zin! Derde zin? Vierde",
    "Il a dit : « Non. » Puis il est parti... Et après ?! Rien.",
    "She said 'no.' Then she left. (Really.) [laughs] OK.",
    "Wait . . . what? 3.5 percent, i.e. almost nothing; Mr. Smith agreed.",
    "Dus ja.\n\nNieuwe alinea zonder punt\nnog een regel",
    "Tout va bien 🙂. Vraiment ? Oui !!! D'accord…",
    "...",
    "",
    "Un seul mot",
    "Zin één。 Zin twee। Zin drie؟ Zin vier",
]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_sentence_starts_are_those_of_the_spacy_sentencizer(language):
    """Passages are split into sentences as spaCy's sentencizer splits them.

    The blank pipelines apply its rule over the token array instead of running the
    component (faster); matches never cross these boundaries, so they must not move.
    """
    import spacy
    from spacy.attrs import IS_PUNCT, LOWER

    from analysis.sentences import sentence_flags

    reference = spacy.blank(language)
    reference.add_pipe("sentencizer")
    texts = SENTENCE_CASES + [row["text"] for row in _dev_rows() if row["lang"] == language]
    for text in texts:
        doc = reference(text)
        expected = [bool(token.is_sent_start) for token in doc]
        # The layout of `_from_doc`'s rows: LOWER first, IS_PUNCT fourth.
        rows = [[lower, 0, 0, punct] for lower, punct in doc.to_array([LOWER, IS_PUNCT]).tolist()]
        assert sentence_flags(rows) == expected, text
    starts = prepare("Eerste zin. Tweede zin! Derde", language).sentence_starts
    assert starts == (0, 2, 4)


def _dev_rows() -> list[dict]:
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "bench" / "data"
    return [
        json.loads(line)
        for path in sorted(data.glob("*_dev*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line
    ]
