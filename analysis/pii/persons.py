"""Person names: a given list, honorifics, name shapes near a person cue, spaCy NER."""

from __future__ import annotations

import re
from collections.abc import Sequence

from analysis.pii.findings import Finding, finding, resolve_overlaps
from analysis.pii.lexicon import (
    LANGUAGES,
    LOWER,
    NOT_A_NAME,
    PARTICLES,
    SENTENCE_WORDS,
    UPPER,
    guess_language,
)

_SP = r"[ \u00a0]"
_EDGE = r"[\w'’-]"
# "Marie", "Jean-Pierre", "D'Hondt", "McDonald": a capital, then lowercase runs that
# each start with a capital or a hyphen/apostrophe, so the split is unique. All-caps
# words (CPAS, OCMW) never match.
_WORD = rf"[{UPPER}][{LOWER}]*(?:[-'’][{UPPER}]?[{LOWER}]+|[{UPPER}][{LOWER}]+)*(?!{_EDGE})"
_LINK = rf"(?:(?i:{'|'.join(sorted(PARTICLES))}){_SP}+){{0,2}}"
_RUN = rf"(?<!{_EDGE}){_WORD}(?:{_SP}+{_LINK}{_WORD})*"
_SHORT_RUN = rf"{_WORD}(?:{_SP}+{_LINK}{_WORD}){{0,2}}"
_HONORIFIC = re.compile(
    r"(?<![\w'’-])(?:(?i:madame|monsieur|mademoiselle|mevrouw|meneer|mijnheer|docteur|dokter"
    r"|mevr\.|mw\.|dhr\.|mme\.?|mlle\.?|mr\.|dr\.)|M\.|Mr|Mrs\.?|Ms\.?|Dr)"
    rf"{_SP}+(?P<name>{_SHORT_RUN})"
)
_NAME_RUN = re.compile(_RUN)
_TOKEN = re.compile(r"\S+")
_CUES = {
    "nl": r"mijn\s+cli[eë]nte?|cli[eë]nte?|zei|zegt|vertelde|vertelt|belde|heet|genaamd"
    r"|(?:zijn|haar|mijn)\s+(?:zoon|dochter|vrouw|man|moeder|vader|broer|zus|collega)"
    r"|collega|buurman|buurvrouw",
    "fr": r"ma\s+cliente|mon\s+client|cliente?|m['’]a\s+dit|a\s+dit|dit|disait|racont\w*"
    r"|s['’]appel\w*|nommée?|(?:sa|ma)\s+(?:fille|mère|femme|sœur|soeur|collègue|voisine)"
    r"|(?:son|mon)\s+(?:fils|père|mari|frère|collègue|voisin)|voisine?",
    "en": r"my\s+client|client|said|says|told|called|named|colleague|neighbou?r"
    r"|(?:his|her|my)\s+(?:son|daughter|wife|husband|mother|father|brother|sister)",
}
_CUE = {
    language: re.compile(rf"(?<!\w)(?:{cues})(?!\w)", re.IGNORECASE)
    for language, cues in _CUES.items()
}
_CUE_REACH = 40  # characters on either side of a name shape
_SENTENCE_END = re.compile(r"(?:^|[.!?:;«»\"“”(\n–—-])[ \u00a0]*$")


def _at_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text, max(0, start - 5), start))


def _name_parts(text: str, start: int, end: int) -> list[list[re.Match[str]]]:
    """Split a run of capitalised words at words that are never names.

    Returns the groups of tokens left, without lowercase particles in front or any
    particle at the end.
    """
    groups: list[list[re.Match[str]]] = [[]]
    for token in _TOKEN.finditer(text, start, end):
        word = token.group().lower()
        stop = word in NOT_A_NAME and word not in PARTICLES
        if word in SENTENCE_WORDS and _at_sentence_start(text, token.start()):
            stop = True  # "Bel Marie op", "Toen Jan kwam"
        if stop:
            groups.append([])
        else:
            groups[-1].append(token)
    for group in groups:
        # A capitalised particle opens a surname ("De Smet", "Van Damme"): keep it.
        while group and group[0].group() in PARTICLES:
            group.pop(0)
        while group and group[-1].group().lower() in PARTICLES:
            group.pop()
    return [group for group in groups if group]


def _count_words(group: list[re.Match[str]]) -> int:
    return sum(token.group().lower() not in PARTICLES for token in group)


def _from_names(text: str, names: Sequence[str]) -> list[Finding]:
    variants = set()
    for name in names:
        parts = name.split()
        if not parts:
            continue
        variants.add(tuple(parts))
        if len(parts) >= 2:
            variants.add(tuple(parts[1:]))  # "Van Damme" of "Jan Van Damme"
            variants.add((parts[-1],))
    if not variants:
        return []
    # Longest first so "Marie Dubois" wins over "Dubois" at the same place.
    alternatives = sorted(variants, key=lambda parts: -len(" ".join(parts)))
    pattern = "|".join(rf"{_SP}+".join(map(re.escape, parts)) for parts in alternatives)
    regex = re.compile(rf"(?<!{_EDGE})(?:{pattern})(?!{_EDGE})", re.IGNORECASE)
    return [finding("person", text, m.start(), m.end()) for m in regex.finditer(text)]


def _from_honorifics(text: str) -> list[Finding]:
    findings = []
    position = 0
    while match := _HONORIFIC.search(text, position):
        position = match.start("name")  # the name may hold the next honorific
        groups = _name_parts(text, match.start("name"), match.end("name"))
        first = groups[0] if groups else []
        if first and first[0].start() == match.start("name"):
            findings.append(finding("person", text, first[0].start(), first[-1].end()))
            position = first[-1].end()
    return findings


def _from_cues(text: str, language: str) -> list[Finding]:
    cue = _CUE[language]
    findings = []
    for run in _NAME_RUN.finditer(text):
        for group in _name_parts(text, run.start(), run.end()):
            if not 2 <= _count_words(group) <= 4:
                continue
            start, end = group[0].start(), group[-1].end()
            if cue.search(text, max(0, start - _CUE_REACH), start) or cue.search(
                text, end, end + _CUE_REACH
            ):
                findings.append(finding("person", text, start, end))
    return findings


def _from_nlp(text: str, nlp) -> list[Finding]:
    # Entities get the same clean-up as the rules: a model also tags "Bel" (Dutch
    # "call!") at a sentence start, or a weekday, as a person.
    findings = []
    for ent in nlp(text).ents:
        if ent.label_ in ("PER", "PERSON"):
            for group in _name_parts(text, ent.start_char, ent.end_char):
                findings.append(finding("person", text, group[0].start(), group[-1].end()))
    return findings


def find_persons(
    text: str, *, language: str = "auto", names: Sequence[str] = (), nlp=None
) -> list[Finding]:
    """Find person names.

    From the given `names` (whole words, any case, also the surname alone), after
    an honorific ("Mevrouw De Smet", "M. Dupont"), as two to four capitalised
    words near a person cue of `language` ("ma cliente", "zei"; "auto" guesses
    the language from stop words), and, when a spaCy pipeline with NER is
    passed as `nlp`, its PER/PERSON entities.
    """
    if language == "auto":
        language = guess_language(text)
    if language not in _CUE:
        raise ValueError(f"language must be 'auto' or one of {LANGUAGES}, not {language!r}")
    findings = _from_names(text, names) + _from_honorifics(text) + _from_cues(text, language)
    if nlp is not None:
        findings += _from_nlp(text, nlp)
    return resolve_overlaps(findings)
