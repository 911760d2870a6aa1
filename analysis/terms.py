"""Term patterns matched over lemma sequences, with the offsets of what they matched.

Pattern syntax (case-insensitive; words are lemmatised when the pattern is compiled,
so "mots de passe" also finds "mot de passe" and "wachtwoorden" finds "wachtwoord"):

    mot de passe      a phrase: consecutive words
    aide|soutien      alternatives for one word
    à * place         `*`: any one word ("à sa place", "à leur place")
    pas .. former     `..`: a gap of up to three words ("pas été formé")
    =mon|notre rôle   `=`: the written form only, not the lemma (simplemma reads every
                      French possessive as "son"; "mon rôle" is not "leur rôle")
    bank*             a word that starts with "bank" (bankkaart, bankapp)
    *leverancier      a word that ends with "leverancier" (energieleverancier)
    pointed !out      `!`: any one word but these ("pointed her to", not "pointed out")
    ?privé            leading `?`: an ambiguous word, kept only when another term of the
                      same theme (weight >= CONTEXT_WEIGHT, not itself ambiguous) lies within
                      `CONTEXT_WINDOW` words ("privé" beside "données", not "secteur privé")
    ^pouvoir          leading `^`: a noun, kept only after a determiner ("le pouvoir",
                      "leur pouvoir"; not the modal verb "pour pouvoir payer")

A word matches on its lemma or on its lowercased surface form. In Dutch a single
plain word of six letters or more, of weight `COMPOUND_WEIGHT` or more (a word that
belongs to its theme), also matches as the head of a compound ("wachtwoord" finds
"bankwachtwoord"), but not after a verb particle and not as a past participle
("uitgesloten" is not "gesloten"). Matches never cross a sentence boundary.
A term of weight 0 matches but counts nothing: it marks another sense of a word, and
a shorter term of the same theme inside it is dropped ("pouvoirs publics" hides
"pouvoir"; see `longest_per_theme`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from analysis.nlp import PreparedText, prepare_many
from analysis.senses import (  # noqa: F401 (re-exported: the matcher's public names)
    CONTEXT_WEIGHT,
    CONTEXT_WINDOW,
    DETERMINERS,
    _words,
    in_sense,
    longest_per_theme,
)

GAP = 3  # words a `..` may skip
_NOTHING: tuple = ((), None, None, None)  # a word that starts no term (`TermIndex._entry`)
_COMPOUND_MIN = 6  # letters of a Dutch word before it also matches as a compound head
COMPOUND_WEIGHT = 1.5  # weaker words ("dienst", "vertrouwen") are not compound heads
# Verb particles: "uitgesloten", "opgeslagen", "doorgestuurd" are verbs, not compounds.
_PARTICLES = _words("aan af bij door in mee na om onder op over samen terug toe uit vast voor weg")


@dataclass(frozen=True)
class Slot:
    """One position of a pattern: exact words, a prefix, a suffix, any word or a gap."""

    kind: str  # "word", "form", "prefix", "suffix", "any", "gap", "not"
    words: frozenset[str] = frozenset()
    affix: str = ""
    compound: bool = False  # "word" that also matches as a Dutch compound head

    def accepts(self, lemma: str, form: str) -> bool:
        if self.kind == "word":
            if lemma in self.words or form in self.words:
                return True
            return self.compound and any(_compound_of(lemma, word) for word in self.words)
        if self.kind == "form":
            return form in self.words
        if self.kind == "not":
            return lemma not in self.words and form not in self.words
        if self.kind == "prefix":
            return lemma.startswith(self.affix) or form.startswith(self.affix)
        if self.kind == "suffix":
            return lemma.endswith(self.affix) or form.endswith(self.affix)
        return self.kind == "any"


@dataclass(frozen=True)
class Term:
    """A compiled pattern of one theme, with its weight and the text it came from."""

    theme: str
    source: str
    weight: float
    slots: tuple[Slot, ...]
    sense: str = ""  # "", "context" (`?`) or "noun" (`^`)


class Match(NamedTuple):
    """A term found in a passage: token span and code-point offsets.

    A named tuple rather than a dataclass: passages yield hundreds of thousands of them.
    """

    term: Term
    first: int
    last: int  # token index, inclusive
    start: int
    end: int


def _compound_of(lemma: str, head: str) -> bool:
    """Whether `lemma` is a Dutch compound ending in `head` (not a particle verb)."""
    if not lemma.endswith(head) or len(lemma) <= len(head) + 2 or head.startswith("ge"):
        return False
    modifier = lemma[: -len(head)]
    return modifier.rstrip("s") not in _PARTICLES and modifier not in _PARTICLES


def split_sense(pattern: str) -> tuple[str, str]:
    """Return (pattern without its sense marker, sense): "?privé" -> ("privé", "context")."""
    pattern = pattern.strip()
    if pattern[:1] == "?" and len(pattern) > 1:
        return pattern[1:].strip(), "context"
    if pattern[:1] == "^" and len(pattern) > 1:
        return pattern[1:].strip(), "noun"
    return pattern, ""


def _plain_words(raw: Sequence[str], language: str) -> list[PreparedText]:
    return prepare_many(list(raw), [language] * len(raw))


def compile_terms(entries: Iterable[tuple[str, str, float]], language: str) -> list[Term]:
    """Compile (theme key, pattern, weight) entries of one language; skip empty patterns."""
    entries = list(entries)
    # Lemmatise every plain word of every pattern in one batch.
    pieces: dict[str, None] = {}
    for _, pattern, _ in entries:
        for part in split_sense(pattern)[0].lower().split():
            if part in ("*", "..") or part.startswith(("*", "=", "!")) or part.endswith("*"):
                continue
            for alternative in part.split("|"):
                pieces.setdefault(alternative, None)
    prepared = dict(zip(pieces, _plain_words(list(pieces), language), strict=True))
    terms = []
    for theme, pattern, weight in entries:
        bare, sense = split_sense(pattern)
        slots = _slots(bare, prepared, language, weight)
        if slots and slots[0].kind not in ("gap", "not") and slots[-1].kind != "gap":
            terms.append(Term(theme, pattern, weight, tuple(slots), sense))
    return terms


def _slots(
    pattern: str, prepared: dict[str, PreparedText], language: str, weight: float
) -> list[Slot]:
    slots: list[Slot] = []
    parts = pattern.lower().split()
    for part in parts:
        if part == "*":
            slots.append(Slot("any"))
        elif part == "..":
            slots.append(Slot("gap"))
        elif part.endswith("*") and len(part) > 1:
            slots.append(Slot("prefix", affix=part[:-1]))
        elif part.startswith("*") and len(part) > 1:
            slots.append(Slot("suffix", affix=part[1:]))
        elif part.startswith("=") and len(part) > 1:
            slots.append(Slot("form", frozenset(part[1:].split("|"))))
        elif part.startswith("!") and len(part) > 1:
            slots.append(Slot("not", frozenset(part[1:].split("|"))))
        else:
            alternatives = [prepared[a] for a in part.split("|") if a]
            if all(len(p) <= 1 for p in alternatives):
                words = set()
                for p, raw in zip(alternatives, part.split("|"), strict=False):
                    words.add(raw)
                    words.update(p.lemmas)
                    words.update(p.text[s:e].lower() for s, e in zip(p.starts, p.ends, strict=True))
                words.discard("")
                if words:
                    slots.append(Slot("word", frozenset(words)))
            else:
                # "d'autonomie", "e-mail": one written word, several tokens.
                for p in alternatives[:1]:
                    for lemma, s, e in zip(p.lemmas, p.starts, p.ends, strict=True):
                        slots.append(Slot("word", frozenset({lemma, p.text[s:e].lower()})))
    single = len(slots) == 1 and slots[0].kind == "word"
    long_enough = single and all(len(w) >= _COMPOUND_MIN for w in slots[0].words)
    if language == "nl" and long_enough and weight >= COMPOUND_WEIGHT:
        slots[0] = Slot("word", slots[0].words, compound=True)
    return slots


class TermIndex:
    """Terms of one language indexed by what their first word can be.

    Exact words are looked up in a dict; prefixes, suffixes and compound heads in dicts
    keyed by the affix, probed with every prefix and suffix of a word (so the cost per
    word does not grow with the number of terms).
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        self._written: dict[str, frozenset[str]] | None = None
        self._by_word: dict[str, list[int]] = {}
        # Phrases of two plain words or more, by first then second word: a phrase that
        # starts with "de", "à" or "not" is only tried when its second word follows.
        self._by_pair: dict[str, dict[str, list[int]]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        self._by_suffix: dict[str, list[int]] = {}
        for number, term in enumerate(self.terms):
            first = term.slots[0]
            if _plain(first) and len(term.slots) > 1 and _plain(term.slots[1]):
                for word in sorted(first.words):
                    seconds = self._by_pair.setdefault(word, {})
                    for second in sorted(term.slots[1].words):
                        seconds.setdefault(second, []).append(number)
            elif first.kind in ("word", "form"):
                for word in sorted(first.words):
                    self._by_word.setdefault(word, []).append(number)
                    if first.compound:
                        self._by_suffix.setdefault(word, []).append(number)
            elif first.kind == "prefix":
                self._by_prefix.setdefault(first.affix, []).append(number)
            elif first.kind == "suffix":
                self._by_suffix.setdefault(first.affix, []).append(number)
        self._cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._entries: dict[tuple[str, str], tuple] = {}
        self._pair_entries: dict[tuple[str, str, str, str], tuple[int, ...]] = {}
        # Terms whose first word is a written form (`=`): indexed by those forms, they must
        # not be found through a lemma ("depending" has the lemma of "=depend").
        self._form_first = {
            number: term.slots[0].words
            for number, term in enumerate(self.terms)
            if term.slots[0].kind == "form"
        }

    def written_forms(self) -> dict[str, frozenset[str]]:
        """Return per theme the words its one-word `=form` terms accept as written."""
        if self._written is None:
            written: dict[str, set[str]] = {}
            for term in self.terms:
                if len(term.slots) == 1 and term.slots[0].kind == "form":
                    written.setdefault(term.theme, set()).update(term.slots[0].words)
            self._written = {theme: frozenset(words) for theme, words in written.items()}
        return self._written

    def _candidates(self, lemma: str, form: str) -> tuple[int, ...]:
        """Return the sorted numbers of the terms whose first word accepts this word."""
        key = (lemma, form)
        found = self._cache.get(key)
        if found is None:
            numbers = set(self._by_word.get(lemma, ()))
            numbers.update(self._by_word.get(form, ()))
            if self._by_prefix or self._by_suffix:
                numbers.update(self._affixed(lemma, form))
            found = tuple(sorted(n for n in numbers if self._first_accepts(n, form)))
            if len(self._cache) > 300_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _first_accepts(self, number: int, form: str) -> bool:
        """Whether term `number` may start at a word written `form` (only `=` terms care)."""
        forms = self._form_first.get(number)
        return forms is None or form in forms

    def _affixed(self, lemma: str, form: str) -> tuple[int, ...]:
        numbers: set[int] = set()
        for word in {lemma, form}:
            for end in range(1, len(word) + 1):
                numbers.update(self._by_prefix.get(word[:end], ()))
            for start in range(len(word)):
                numbers.update(self._by_suffix.get(word[start:], ()))
        first = [self.terms[n].slots[0] for n in sorted(numbers)]
        return tuple(
            n for n, slot in zip(sorted(numbers), first, strict=True) if slot.accepts(lemma, form)
        )

    def find(self, prepared: PreparedText) -> list[Match]:
        """Return every match in `prepared`, sorted by position then term order.

        The hot loop of every suggestion (about a microsecond a word): what a word can
        start is looked up once per (lemma, form) (`_entries`), and a phrase's second
        word is checked here before `_match_from` is called for the rest.
        """
        lemmas = prepared.lemmas
        starts, ends, forms = prepared.starts, prepared.ends, prepared.forms
        limits = _sentence_ends(prepared)
        matches = []
        terms, entry_of = self.terms, self._entry
        pair_entries = self._pair_entries
        words = list(zip(lemmas, forms, strict=True))
        entries = list(map(self._entries.get, words))
        for i in [i for i, entry in enumerate(entries) if entry is not _NOTHING]:
            entry = entries[i]
            if entry is None:
                entry = entry_of(*words[i])
                if entry is _NOTHING:
                    continue
            candidates, afters, seconds, other = entry
            limit = limits[i]
            if afters and i + 1 < limit and (lemmas[i + 1] in afters or forms[i + 1] in afters):
                lemma, form = words[i]
                key = (lemma, form, lemmas[i + 1], forms[i + 1])
                found = pair_entries.get(key)
                if found is None:
                    found = self._paired(candidates, seconds, other, key)
                candidates = found
            for number in candidates:
                term = terms[number]
                slots = term.slots
                if len(slots) == 1:
                    last = i
                elif slots[1].kind == "gap":
                    last = _match_from(slots, 1, i + 1, lemmas, forms, limit)
                else:
                    j = i + 1
                    if j >= limit or not slots[1].accepts(lemmas[j], forms[j]):
                        continue
                    last = (
                        j if len(slots) == 2 else _match_from(slots, 2, j + 1, lemmas, forms, limit)
                    )
                if last is not None:
                    matches.append(Match(term, i, last, starts[i], ends[last]))
        return matches

    def _paired(self, candidates, seconds, other, key) -> tuple[int, ...]:
        """Return `candidates` with the phrases that start with this word and the next."""
        _, form, after, after_form = key
        paired: list[int] = []
        for table in (seconds, other):
            if table:
                paired.extend(table.get(after, ()))
                if after_form != after:
                    paired.extend(table.get(after_form, ()))
        if paired:
            paired = [n for n in paired if self._first_accepts(n, form)]
            candidates = tuple(sorted({*candidates, *paired}))
        if len(self._pair_entries) > 300_000:
            self._pair_entries.clear()
        self._pair_entries[key] = candidates
        return candidates

    def _entry(self, lemma: str, form: str) -> tuple:
        """Return (terms this word starts, the words that can follow it in a phrase, the
        phrase tables by its lemma and by its form)."""
        seconds = self._by_pair.get(lemma)
        other = self._by_pair.get(form) if form != lemma else None
        afters = frozenset((*(seconds or ()), *(other or ()))) or None
        entry = (self._candidates(lemma, form), afters, seconds, other)
        if entry == _NOTHING:
            entry = _NOTHING  # one shared object: `find` skips it by identity
        if len(self._entries) > 300_000:
            self._entries.clear()
        self._entries[(lemma, form)] = entry
        return entry


def _plain(slot: Slot) -> bool:
    """Whether a slot accepts exactly a set of words (no affix, compound or wildcard)."""
    return slot.kind in ("word", "form") and not slot.compound


def _sentence_ends(prepared: PreparedText) -> list[int]:
    """Return, per token, the index just past its sentence's last token."""
    ends = [0] * len(prepared)
    bounds = [*prepared.sentence_starts, len(prepared)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        for i in range(start, end):
            ends[i] = end
    return ends


def _match_from(slots: Sequence[Slot], s: int, i: int, lemmas, forms, limit: int) -> int | None:
    """Match slots[s:] from token i; return the last token index matched, or None."""
    while s < len(slots):
        slot = slots[s]
        if slot.kind == "gap":
            for skip in range(GAP + 1):
                found = _match_from(slots, s + 1, i + skip, lemmas, forms, limit)
                if found is not None:
                    return found
            return None
        if i >= limit or not slot.accepts(lemmas[i], forms[i]):
            return None
        s += 1
        i += 1
    return i - 1
