"""Person names: a given list, honorifics, name shapes near a cue or after a context word, NER."""

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
from analysis.pii.names import is_dictionary_word, is_known_name, looks_like_a_word

_SP = r"[ \u00a0]"
_EDGE = r"[\w'’-]"
# "Marie", "Jean-Pierre", "D'Hondt", "McDonald": a capital, then lowercase runs that
# each start with a capital or a hyphen/apostrophe, so the split is unique. All-caps
# words (CPAS, OCMW) never match.
_WORD = rf"[{UPPER}][{LOWER}]*(?:[-'’][{UPPER}]?[{LOWER}]+|[{UPPER}][{LOWER}]+)*(?!{_EDGE})"
_LINK = rf"(?:(?i:{'|'.join(sorted(PARTICLES))}){_SP}+){{0,2}}"
# A run may follow an elided "d'" ("le dossier d'Annelies Verbeke").
_RUN = rf"(?:(?<!{_EDGE})|(?<=(?<![\w'’-])[dD]['’])){_WORD}(?:{_SP}+{_LINK}{_WORD})*"
_SHORT_RUN = rf"{_WORD}(?:{_SP}+{_LINK}{_WORD}){{0,2}}"
_HONORIFIC = re.compile(
    r"(?<![\w'’-])(?:(?i:madame|monsieur|mademoiselle|mevrouw|meneer|mijnheer|docteur|dokter"
    r"|mevr\.|mw\.|dhr\.|mme\.?|mlle\.?|mr\.|dr\.|de[ \u00a0]+heer)|M\.|Mr|Mrs\.?|Ms\.?|Dr)"
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
# Words right before a name in running text: prepositions, and roles and kinship that a
# name follows ("gebeld met Annelies Verbeke", "le dossier de Grégoire Lemaire",
# "haar schoonzus Els Claes"). A name shape after one counts only if the name data
# knows one of its words or its last word is no ordinary nl/fr/en word, which keeps
# out "bij Vlaamse Overheid", "à Maison Médicale" (one-word products never count).
_CONTEXT_WORDS = {
    "nl": "met aan voor bij van door naar tegen over zonder namens volgens op tot"
    " zoon dochter vrouw man moeder vader broer zus zuster collega buurman buurvrouw"
    " cliënt cliënte client cliente klant klante partner vriend vriendin oom tante neef"
    " nicht opa oma grootmoeder grootvader schoonmoeder schoonvader schoonzus schoonbroer"
    " begeleider begeleidster consulent consulente huisarts advocaat advocate huisbaas"
    " verhuurder bewindvoerder werker assistent assistente directeur directrice",
    "fr": "de à avec pour chez par contre sans entre envers selon auprès"
    " fils fille mère père mari femme frère sœur soeur collègue voisin voisine client"
    " cliente ami amie copain copine compagnon compagne oncle tante cousin cousine neveu"
    " nièce grand-mère grand-père belle-mère beau-père belle-sœur beau-frère conseiller"
    " conseillère assistant assistante avocat avocate médecin propriétaire tuteur tutrice"
    " administrateur administratrice directeur directrice",
    "en": "with to for by from of at about without son daughter wife husband mother father"
    " brother sister colleague neighbour neighbor client friend partner uncle aunt cousin"
    " nephew niece grandmother grandfather adviser advisor lawyer doctor landlord",
}


def _alternatives(words: str) -> str:
    return "|".join(map(re.escape, sorted(words.split(), key=len, reverse=True)))


_CONTEXT = {
    language: re.compile(
        rf"(?<![\w'’-])(?i:{_alternatives(words)})(?:{_SP}*,)?{_SP}+$|(?<![\w'’-])[dD]['’]$"
    )
    for language, words in _CONTEXT_WORDS.items()
}
_SENTENCE_END = re.compile(r"(?:^|[.!?:;«»\"“”(\n–—-])[ \u00a0]*$")


# "C'est", "L'assistante", "J'ai": an elided word followed by lowercase is never a name
# ("D'Hondt" is).
_ELIDED = re.compile(rf"[{UPPER}]['’][{LOWER}]")


def _at_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text, max(0, start - 5), start))


def _not_a_name_here(text: str, token: re.Match[str]) -> bool:
    """Whether a capitalised token cannot be part of a name where it stands.

    Anywhere: words that are never names, elided words ("C'est"). At a sentence start
    capitals say nothing, so an ordinary word there ("Gisteren", "Samen") is not part
    of the name after it, unless the name data knows it ("Pierre", "Marc").
    """
    word = token.group()
    lowered = word.lower()
    if lowered in PARTICLES:
        return False  # "De Smet", "Van Damme": the particle opens the surname
    if lowered in NOT_A_NAME:
        return True
    if _ELIDED.match(word):
        return True
    if _at_sentence_start(text, token.start()):
        if lowered in SENTENCE_WORDS:
            return True  # "Bel Marie op", "Toen Jan kwam"
        return not is_known_name(word) and is_dictionary_word(word)
    return False


def _name_parts(text: str, start: int, end: int) -> list[list[re.Match[str]]]:
    """Split a run of capitalised words at words that are never names.

    Returns the groups of tokens left, without lowercase particles in front or any
    particle at the end.
    """
    groups: list[list[re.Match[str]]] = [[]]
    for token in _TOKEN.finditer(text, start, end):
        if _not_a_name_here(text, token):
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


def _from_context(text: str, language: str) -> list[Finding]:
    # Every language's context words: Dutch transcripts quote French and back.
    contexts = [_CONTEXT[language]] + [c for lang, c in _CONTEXT.items() if lang != language]
    findings = []
    for run in _NAME_RUN.finditer(text):
        for group in _name_parts(text, run.start(), run.end()):
            if not 2 <= _count_words(group) <= 4:
                continue
            start, end = group[0].start(), group[-1].end()
            before = text[max(0, start - 30) : start]
            if not any(context.search(before) for context in contexts):
                continue
            words = [t.group() for t in group if t.group().lower() not in PARTICLES]
            # The name data knows a word, or the last one is no ordinary word: names
            # from everywhere ("Ioana Popa", "Moussa Traoré") but not "Maison Médicale".
            if any(map(is_known_name, words)) or not looks_like_a_word(words[-1]):
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


def name_span(text: str) -> tuple[int, int] | None:
    """Return the span of the name within a person finding's text, or None if none is left.

    Replacing a finding rewrites history, so it must only ever touch the name: a finding
    stored by an older detector may also hold the word before it ("C'est Jeanne Dupont").
    The text is read as a sentence start; words that cannot be part of a name there are
    cut off, and the longest run of name words is kept.
    """
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) == 1:  # one word cannot hold a neighbour, except an elided one
        return None if _ELIDED.match(text) else (0, len(text))
    groups = _name_parts(text, 0, len(text))
    if not groups:
        return None
    best = max(groups, key=_count_words)
    return best[0].start(), best[-1].end()


def find_persons(
    text: str, *, language: str = "auto", names: Sequence[str] = (), nlp=None
) -> list[Finding]:
    """Find person names.

    From the given `names` (whole words, any case, also the surname alone), after
    an honorific ("Mevrouw De Smet", "M. Dupont"), as two to four capitalised
    words near a person cue of `language` ("ma cliente", "zei"; "auto" guesses
    the language from stop words), as two to four capitalised words right after a
    preposition or a role word ("gebeld met", "le dossier de") of which the name data
    (Faker's Belgian, Dutch and French names) knows one, and, when a spaCy pipeline with NER is
    passed as `nlp`, its PER/PERSON entities.
    """
    if language == "auto":
        language = guess_language(text)
    if language not in _CUE:
        raise ValueError(f"language must be 'auto' or one of {LANGUAGES}, not {language!r}")
    findings = (
        _from_names(text, names)
        + _from_honorifics(text)
        + _from_cues(text, language)
        + _from_context(text, language)
    )
    if nlp is not None:
        findings += _from_nlp(text, nlp)
    return resolve_overlaps(findings)
