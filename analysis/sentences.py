"""Sentence starts of a blank pipeline's tokens, without spaCy's sentencizer component.

`analysis.nlp` runs blank pipelines without the component: the component builds a
Python object per token, a third of the time of preparing a passage (BENCHMARKS.md,
"Session 11"). The same rule is applied here over the token array that `_from_doc`
reads anyway.
"""

from __future__ import annotations

from functools import cache


def sentence_flags(rows: list[list[int]]) -> list[bool]:
    """Return per token whether it starts a sentence, by spaCy's `Sentencizer` rule.

    The first token starts one, and so does the first token that is not punctuation
    after a token that is one of the sentencizer's punctuation characters ("." "!" "?"
    and their equivalents in other scripts). `rows` are `_from_doc`'s token array rows
    (LOWER first, IS_PUNCT fourth; the characters have no case). Equal to the component
    on every text of bench/data and the speed bench (tests/analysis/test_nlp.py).
    """
    punct_keys = _punct_keys()
    guesses = [False] * len(rows)
    if rows:
        guesses[0] = True
        seen_period = False
        for i, row in enumerate(rows):
            in_punct_chars = row[0] in punct_keys
            if seen_period and not row[3] and not in_punct_chars:
                guesses[i] = True
                seen_period = False
            elif in_punct_chars:
                seen_period = True
    return guesses


@cache
def _punct_keys() -> frozenset[int]:
    """The string-store keys of the sentencizer's punctuation characters (same in every
    vocabulary: a key is the string's hash)."""
    from spacy.pipeline.sentencizer import Sentencizer
    from spacy.strings import get_string_id

    return frozenset(get_string_id(char) for char in Sentencizer.default_punct_chars)
