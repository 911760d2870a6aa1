"""Reading term matches in their sense: ambiguous words need theme context, nouns a
determiner, and a longer match of a theme hides the shorter ones inside it.

Used by `analysis.terms` (which re-exports these names) on the matches of a `TermIndex`:

    ?privé    an ambiguous word, kept only when another term of the same theme (weight
              >= CONTEXT_WEIGHT, not itself ambiguous) lies within CONTEXT_WINDOW words
              ("privé" beside "données", not "secteur privé")
    ^pouvoir  a noun, kept only after a determiner and in its own written form ("le
              pouvoir", "leurs pouvoirs"; not the modal verb "pour pouvoir payer" nor
              "ne le peut pas", where "le" is a pronoun)

A term of weight 0 matches but counts nothing: it marks another sense of a word, and a
shorter term of the same theme inside it is dropped ("pouvoirs publics" hides
"pouvoir"; see `longest_per_theme`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.nlp import PreparedText
    from analysis.terms import Match

CONTEXT_WINDOW = 12  # words either side where an ambiguous term looks for its theme
CONTEXT_WEIGHT = 1.5  # only a distinctive term of the theme vouches for an ambiguous one


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which a noun is expected (the `^` marker); "de"/"of" are left out on
# purpose: "afin de pouvoir" is the verb.
DETERMINERS = {
    "fr": _words(
        "au aux ce ces cet cette des du l' la le les leur leurs l’ ma mes "
        "mon nos notre quel quelle quelles quels sa ses son ta tes ton un une vos votre"
    ),
    "nl": _words("dat de deze die dit een geen haar het hun jouw mijn ons onze uw zijn"),
    "en": _words("a an any her his its my no our some that the their these this those your"),
}


def in_sense(matches: Sequence[Match], prepared: PreparedText) -> list[Match]:
    """Drop ambiguous (`?`) terms without theme context, and `^` nouns used otherwise."""
    if not any(m.term.sense for m in matches):
        return list(matches)
    determiners = DETERMINERS.get(prepared.language, frozenset())
    forms = prepared.forms
    kept = []
    for match in matches:
        sense = match.term.sense
        if sense == "noun":
            if match.first == 0 or forms[match.first - 1] not in determiners:
                continue
            # The noun's own form, not a verb of the same lemma after a clitic pronoun
            # ("ne le peut pas": "le" is no determiner there).
            if not forms[match.first].startswith(_noun_form(match.term.source)):
                continue
        elif sense == "context" and not any(
            other.term.theme == match.term.theme
            and other.term.weight >= CONTEXT_WEIGHT
            and other.term.sense != "context"
            and abs(other.first - match.first) <= CONTEXT_WINDOW
            and (other.start, other.end) != (match.start, match.end)
            for other in matches
        ):
            continue
        kept.append(match)
    return kept


def _noun_form(source: str) -> str:
    """Return the written noun of a `^` pattern: "^pouvoir" -> "pouvoir"."""
    return source.lstrip("^").split()[0].lower()


def longest_per_theme(matches: Sequence[Match]) -> list[Match]:
    """Drop matches lying inside a longer match of the same theme ("code" in "code PIN")."""
    by_theme: dict[str, list[Match]] = {}
    for match in matches:
        by_theme.setdefault(match.term.theme, []).append(match)
    kept = []
    for group in by_theme.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        # The common case: no span of the theme touches another, nothing lies inside.
        spans = sorted((m.start, m.end) for m in group)
        if all(spans[k][1] <= spans[k + 1][0] for k in range(len(spans) - 1)):
            kept.extend(group)
            continue
        # On an equal span counter-evidence (weight < 0) wins: "wifi-wachtwoord" is not
        # the "*wachtwoord" of the theme; otherwise the strongest term does ("=closed" 1
        # over the "closed" 0 that marks the verb "close").
        group.sort(key=lambda m: (m.start - m.end, m.term.weight >= 0, -m.term.weight, m.start))
        taken: list[tuple[int, int]] = []
        for match in group:
            if not any(s <= match.start and match.end <= e for s, e in taken):
                taken.append((match.start, match.end))
                kept.append(match)
    kept.sort(key=_reading_order)
    return kept


def _reading_order(match: Match) -> tuple[int, int, str, str]:
    term = match.term
    return (match.start, match.end, term.theme, term.source)
