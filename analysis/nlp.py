"""Lemmatised passages: one cached spaCy pipeline per language, lemmas with offsets.

`prepare` turns a passage into a `PreparedText`: its words as lowercased lemmas, each
with code-point offsets (zero-based, end exclusive) into the original text, a
stop-word flag and the sentence starts. Punctuation, spaces and symbols (emoji) are dropped.

Pipelines load lazily, once per process and language: a trained spaCy pipeline when
one is installed (`fr_core_news_sm`, `nl_core_news_sm`, `en_core_web_sm`; its
lemmatiser is used), otherwise `spacy.blank` (the sentencizer's rule applied here), and lemmas from
simplemma (40 of 40 common Dutch forms right, where spaCy's lookup table gets 26;
as good in French and English; see NLP-NOTES). The first call in a language costs
0.5–3 s (French compiles a large tokenizer regex); later calls only tokenise.
Lemmas are cached per word form, so the cost per passage is spaCy's tokenizer plus
a dictionary lookup per word.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from analysis.collector import collector_paused
from analysis.errors import AnalysisError
from analysis.language import LANGUAGES, detect_language
from analysis.senses import _words
from analysis.sentences import sentence_flags

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: French reflexive and Dutch separable verbs (cached lemmas of 1 are redone)
TRAINED = {"nl": "nl_core_news_sm", "fr": "fr_core_news_sm", "en": "en_core_web_sm"}
BATCH_SIZE = 256
_CACHE_LIMIT = 400_000  # word forms per language before the lemma cache starts over


@dataclass(frozen=True)
class PreparedText:
    """A passage as lemmas with offsets; `text[starts[i]:ends[i]]` is word i."""

    text: str
    language: str
    lemmas: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    stop: tuple[bool, ...]
    sentence_starts: tuple[int, ...] = (0,)
    # Lowercased words, `text[starts[i]:ends[i]].lower()`: derived, not serialised.
    forms: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.forms and self.lemmas:
            forms = tuple(
                self.text[s:e].lower() for s, e in zip(self.starts, self.ends, strict=True)
            )
            object.__setattr__(self, "forms", forms)

    def __len__(self) -> int:
        return len(self.lemmas)

    def content_lemmas(self) -> list[str]:
        """Return the lemmas that are not stop words, numbers or single letters."""
        return [lemma for lemma, stop in zip(self.lemmas, self.stop, strict=True) if not stop]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for caching per passage); `from_dict` reads it back."""
        return {
            "version": FORMAT_VERSION,
            "text": self.text,
            "language": self.language,
            "lemmas": list(self.lemmas),
            "starts": list(self.starts),
            "ends": list(self.ends),
            "stop": [int(flag) for flag in self.stop],
            "sentence_starts": list(self.sentence_starts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreparedText:
        """Rebuild a PreparedText from `to_dict` output; raise AnalysisError if it is not one."""
        try:
            if data["version"] != FORMAT_VERSION:
                raise AnalysisError(f"prepared text format {data['version']!r} is not supported")
            prepared = cls(
                text=str(data["text"]),
                language=str(data["language"]),
                lemmas=tuple(str(lemma) for lemma in data["lemmas"]),
                starts=tuple(int(start) for start in data["starts"]),
                ends=tuple(int(end) for end in data["ends"]),
                stop=tuple(bool(flag) for flag in data["stop"]),
                sentence_starts=tuple(int(index) for index in data["sentence_starts"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, AnalysisError):
                raise
            raise AnalysisError(f"not a prepared text: {e}") from e
        if not (len(prepared.lemmas) == len(prepared.starts) == len(prepared.ends)):
            raise AnalysisError("not a prepared text: lemmas and offsets differ in length")
        return prepared


class _Lemmatiser:
    """A language's pipeline and its cache of word form → (lemma, stop word)."""

    def __init__(
        self, language: str, nlp, *, trained: bool = False, sentences: bool = False
    ) -> None:
        self.language = language
        self.nlp = nlp
        self.trained = trained  # use the pipeline's own lemmas instead of simplemma
        self.sentences = sentences  # sentence starts by `analysis.sentences.sentence_flags`
        self.stop_words = nlp.Defaults.stop_words
        self.entries: dict[int, tuple[str, bool, bool, str]] = {}
        self.lock = threading.Lock()

    def entry(self, key: int, strings) -> tuple[str, bool, bool, str]:
        """Return (lemma, is a stop word, is a word at all, form) for a LOWER hash."""
        found = self.entries.get(key)
        if found is None:
            lower = strings[key]
            found = (
                _lemma(lower, self.language),
                _is_stop(lower, self.stop_words),
                any(ch.isalnum() for ch in lower),
                lower,
            )
            if len(self.entries) >= _CACHE_LIMIT:
                self.entries = {}
            self.entries[key] = found
        return found


def _lemma(lower: str, language: str) -> str:
    import simplemma

    lemma = simplemma.lemmatize(lower, language).lower()
    return lemma or lower


# French: after a reflexive clitic (and any object clitics after it) comes a verb, so
# "s'adresse" is the verb "adresser", not the noun "adresse", and "se charge" is "charger".
# The reflexive clitics share one lemma, "se" ("je me connecte" is "se connecter";
# simplemma reads "me" as "moi" and "te" as "le"). Only the reflexive clitics: after
# "ne" or "nous" / "vous" a noun reading is possible too, and extending the rule to them
# cost a passage on the dev sets (BENCHMARKS.md, "French and Dutch forms, session 5").
_FR_REFLEXIVE = frozenset(["se", "s'", "s’", "me", "m'", "m’", "te", "t'", "t’"])
# Object clitics that may stand between them and the verb ("se la charge", "s'en sort").
_FR_BETWEEN = frozenset(["le", "la", "les", "l'", "l’", "lui", "leur", "en", "y"])
_FR_VERB_ENDINGS = ("er", "ir", "re", "oir")
# Endings of present-tense and participle forms, longest first, and the infinitive
# endings tried on what is left ("adresse" -> "adresser", "sort" -> "sortir").
_FR_FORM_ENDINGS = ("ées", "ent", "ée", "és", "es", "é", "e", "s", "")


@cache
def _french_verb(lower: str) -> str:
    """Return the infinitive of a French word read as a verb, or its usual lemma."""
    import simplemma

    lemma = _lemma(lower, "fr")
    if lemma.endswith(_FR_VERB_ENDINGS):
        return lemma
    for ending in _FR_FORM_ENDINGS:
        if not lower.endswith(ending) or len(lower) - len(ending) < 3:
            continue
        stem = lower[: len(lower) - len(ending)]
        for infinitive in ("er", "ir", "re") if ending[:1] != "é" else ("er",):
            candidate = stem + infinitive
            if simplemma.is_known(candidate, "fr") and _lemma(candidate, "fr") == candidate:
                return candidate
    return lemma


def _french_forms(lemmas: list[str], forms: list[str]) -> None:
    """Read French clitics and the verb after them in context (in place)."""
    if _FR_REFLEXIVE.isdisjoint(forms):
        return
    for i, form in enumerate(forms):
        if form in _FR_REFLEXIVE:
            lemmas[i] = "se"
            continue
        if form in _FR_BETWEEN:
            continue
        before = i - 1
        while before >= 0 and forms[before] in _FR_BETWEEN:
            before -= 1
        if before >= 0 and forms[before] in _FR_REFLEXIVE:
            lemmas[i] = _french_verb(form)


# Dutch separable verbs: in a main clause the particle stands apart, at the end of the
# clause ("hij vult het formulier voor haar in", "ze logt in met itsme", "hij stuurt
# iedereen door") or before "te" ("om in te loggen"). The particle then takes the lemma
# of the whole verb ("invullen", "inloggen", "doorsturen"), so that the lexicon's
# "invullen" or "inloggen met" find it; with "te" the infinitive does. A particle counts
# only when nothing but a preposition follows it in its clause ("in de stad" is not one).
_NL_PARTICLES = _words(
    "aan af bij door in mee na om onder op over samen terug toe uit vast voor weg"
)
_NL_PREPOSITIONS = _words(
    "aan achter bij door in met na naar om onder op over per sinds tegen tot uit van via voor"
    " zonder"
)
# Words that open a new clause: the verb of the particle is not behind them.
_NL_CLAUSE = _words("en maar want omdat als dat die dan of wanneer toen terwijl zodat")


@cache
def _dutch_separable(particle: str, verb: str) -> str:
    """Return the lemma of particle + verb when that is a Dutch verb, else ""."""
    import simplemma

    joined = particle + verb
    if not verb.endswith("en") or not simplemma.is_known(joined, "nl"):
        return ""
    return _lemma(joined, "nl")


def _dutch_particles(lemmas: list[str], forms: list[str], breaks: set[int]) -> None:
    """Give a separated Dutch verb particle the lemma of its verb (in place).

    `breaks` holds the indexes of words that follow punctuation or start a sentence.
    """
    if _NL_PARTICLES.isdisjoint(forms):
        return
    n = len(forms)
    for i, form in enumerate(forms):
        if form not in _NL_PARTICLES or i == 0 or i in breaks:
            continue
        after = i + 1
        if after < n and after not in breaks and forms[after] == "te":
            if after + 1 < n and after + 1 not in breaks:
                joined = _dutch_separable(form, forms[after + 1])
                if joined:
                    lemmas[after + 1] = joined
            continue
        if after < n and after not in breaks and forms[after] not in _NL_PREPOSITIONS:
            continue
        for j in range(i - 1, -1, -1):
            if forms[j] in _NL_CLAUSE:
                break
            joined = _dutch_separable(form, lemmas[j])
            if joined:
                lemmas[i] = joined
                break
            if j in breaks:
                break


def _is_stop(lower: str, stop_words) -> bool:
    # Elided forms ("qu'", "l'", "d'") are function words however spaCy splits them.
    return (
        lower in stop_words
        or len(lower) < 2
        or lower.endswith(("'", "’"))
        or not any(ch.isalpha() for ch in lower)
    )


def _trained_name(language: str) -> str | None:
    name = TRAINED[language]
    return name if importlib.util.find_spec(name) is not None else None


@cache
def _lemmatiser(language: str) -> _Lemmatiser:
    import spacy

    name = _trained_name(language)
    if name is not None:
        # Parser and NER add nothing to lemmas and cost most of the time.
        nlp = spacy.load(name, exclude=["parser", "ner"])
        if "senter" in nlp.component_names:
            nlp.enable_pipe("senter")
        elif "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        log.info("analysis: loaded trained pipeline %s", name)
        return _Lemmatiser(language, nlp, trained=True)
    # No sentencizer component: `_from_doc` applies its rule over the token array, which
    # spares building a Python object per token (a third of the time of preparing).
    return _Lemmatiser(language, spacy.blank(language), sentences=True)


def pipeline(language: str):
    """Return the cached spaCy pipeline for `language` ("nl", "fr" or "en")."""
    return _lemmatiser(_check_language(language)).nlp


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise AnalysisError(f"language must be one of {LANGUAGES}, not {language!r}")
    return language


def _from_doc(doc, text: str, lemmatiser: _Lemmatiser) -> PreparedText:
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER, SENT_START

    strings = doc.vocab.strings
    columns = [LOWER, IDX, LENGTH, IS_PUNCT, IS_SPACE, SENT_START]
    if lemmatiser.trained:
        columns.append(LEMMA)
    rows = doc.to_array(columns).tolist() if len(doc) else []
    sentence_start = sentence_flags(rows) if lemmatiser.sentences else [r[5] == 1 for r in rows]
    lemmas, starts, ends, stop, forms, sentence_starts = [], [], [], [], [], []
    new_sentence = True
    breaks: set[int] = set()  # words after punctuation or at a sentence start
    for row, starts_sentence in zip(rows, sentence_start, strict=True):
        if starts_sentence:
            new_sentence = True
        if row[3] or row[4]:
            if row[3]:
                breaks.add(len(lemmas))
            continue
        lemma, is_stop, is_word, form = lemmatiser.entry(row[0], strings)
        if not is_word:  # emoji, symbols, joiners
            continue
        if lemmatiser.trained:
            lemma = strings[row[6]].lower() or lemma
        if new_sentence:
            breaks.add(len(lemmas))
            sentence_starts.append(len(lemmas))
            new_sentence = False
        lemmas.append(lemma)
        starts.append(row[1])
        ends.append(row[1] + row[2])
        stop.append(is_stop)
        forms.append(form)
    if lemmatiser.language == "fr" and not lemmatiser.trained:
        _french_forms(lemmas, forms)
    elif lemmatiser.language == "nl" and not lemmatiser.trained:
        _dutch_particles(lemmas, forms, breaks)
    return PreparedText(
        text=text,
        language=lemmatiser.language,
        lemmas=tuple(lemmas),
        starts=tuple(starts),
        ends=tuple(ends),
        stop=tuple(stop),
        sentence_starts=tuple(sentence_starts) or (0,),
        forms=tuple(forms),
    )


def prepare(text: str, language: str = "auto", *, nlp=None) -> PreparedText:
    """Lemmatise one passage; `language` "auto" detects it (default French when too short)."""
    return prepare_many([text], [language], nlp=nlp)[0]


def prepare_many(
    texts: Sequence[str], languages: Sequence[str] | None = None, *, nlp=None
) -> list[PreparedText]:
    """Lemmatise passages in batches (one spaCy `pipe` per language, single process).

    `languages` gives "auto", "nl", "fr" or "en" per text (all "auto" when None). An
    injected `nlp` (tests) is used for every text, with its own language code.
    """
    if languages is None:
        languages = ["auto"] * len(texts)
    if len(languages) != len(texts):
        raise AnalysisError("texts and languages differ in length")
    resolved = []
    for text, language in zip(texts, languages, strict=True):
        if not isinstance(text, str):
            raise AnalysisError("every text must be a string")
        if nlp is not None:
            resolved.append(nlp.lang)
        elif language == "auto":
            resolved.append(detect_language(text))
        else:
            resolved.append(_check_language(language))
    results: list[PreparedText | None] = [None] * len(texts)
    for language in sorted(set(resolved)):
        indexes = [i for i, found in enumerate(resolved) if found == language]
        lemmatiser = _Lemmatiser(language, nlp) if nlp is not None else _lemmatiser(language)
        with lemmatiser.lock, collector_paused():
            docs = lemmatiser.nlp.pipe((texts[i] for i in indexes), batch_size=BATCH_SIZE)
            for i, doc in zip(indexes, docs, strict=True):
                results[i] = _from_doc(doc, texts[i], lemmatiser)
    return results  # type: ignore[return-value]


def lemmatise_term(term: str, language: str) -> list[tuple[str, str]]:
    """Return (lemma, lowercased form) for each word of a codebook term."""
    prepared = prepare(term, language)
    return [
        (lemma, term[start:end].lower())
        for lemma, start, end in zip(prepared.lemmas, prepared.starts, prepared.ends, strict=True)
    ]
