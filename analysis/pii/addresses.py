"""Belgian street addresses in Dutch and French forms, and "postcode + municipality"."""

from __future__ import annotations

import re

from analysis.pii.findings import Finding, finding, resolve_overlaps
from analysis.pii.lexicon import (
    MONTHS,
    NOT_A_NAME,
    PARTICLES,
    PLACES,
    SENTENCE_WORDS,
    UPPER,
    WEEKDAYS,
    word_set,
)

# Patterns are built from parts separated by fixed delimiters (a space, a capital, a
# digit), so every token can only be read one way and a failed match never backtracks
# more than a few tokens: adversarial input stays linear.
_SP = r"[ \u00a0]"
_CAP = rf"[{UPPER}][\w'’-]*"
_NL_SUFFIX = r"straat|laan|steenweg|plein|lei|dreef|kaai|weg|baan|markt|vest|singel|dijk|gracht|pad"
_FR_TYPE = (
    r"rue|avenue|av\.|chauss[ée]e|ch\.|boulevard|bd\.?|place|square|quai|chemin|all[ée]e"
    r"|impasse|dr[èe]ve|clos|rempart|galerie|parvis|sentier|route"
)
_LINK = r"de|du|des|la|le|les|aux|au|sur|et|van|der|den|ter|ten"
_NL_STREET = (
    rf"(?P<prefix>(?:{_CAP}{_SP}+(?:(?:van|de|der|den|ter|ten){_SP}+)?){{0,2}})"
    rf"[{UPPER}][\w'’-]*?(?:{_NL_SUFFIX})(?![\w'’-])"
)
_FR_NAME = rf"(?:{_SP}+(?:(?:{_LINK}){_SP}+){{0,3}}(?:[lLdD]['’])?{_CAP}){{1,5}}"
_FR_STREET = rf"(?i:{_FR_TYPE})(?<=[\w.]){_FR_NAME}"
_NUMBER = rf"{_SP}*,?{_SP}*(?:(?:nr|n°|no)\.?{_SP}*)?\d{{1,4}}[A-Za-z]?(?![\w'’])"
_BOX = (
    rf"(?:{_SP}*,?{_SP}*(?i:bus|boîte|boite|bte|bt|b\.){_SP}*\d{{1,4}}[A-Za-z]?(?![\w'’])"
    rf"|{_SP}*/{_SP}*\d{{1,4}}[A-Za-z]?(?![\w'’]))?"
)
_MUNICIPALITY = rf"(?:(?:La|Le|Les|Sint|Saint|Sainte){_SP}+)?{_CAP}"
_POSTCODE = rf"(?:{_SP}*,?{_SP}*(?:B-)?[1-9]\d{{3}}{_SP}+{_MUNICIPALITY}(?![\w'’-]))?"

_STREET = re.compile(
    rf"(?<![\w'’-])(?:{_NL_STREET}|{_FR_STREET}){_NUMBER}{_BOX}{_POSTCODE}"
    # French order: "16, rue de la Loi, 1000 Bruxelles".
    rf"|(?<![\w.,/-])\d{{1,4}}[A-Za-z]?,?{_SP}+(?i:{_FR_TYPE})(?<=[\w.]){_FR_NAME}{_POSTCODE}"
)
_POSTCODE_PLACE = re.compile(
    rf"(?<![\w.,/-])(?:B-)?(?P<code>[1-9]\d{{3}}){_SP}+(?P<place>{_MUNICIPALITY})(?![\w'’-])"
)
_PREVIOUS_WORD = re.compile(r"([\w'’]+)[\s,]*$")
_NEXT_CAPITALISED = re.compile(rf"{_SP}+[{UPPER}]")
# Words before a number that make it a year ("in 2015 Marie...", "depuis 2019 Jean").
_YEAR_CUES = word_set(
    "in en sinds sedert tot van vanaf voor na rond omstreeks jaar depuis année dès avant après"
    " vers jusqu'en since until from by circa ca the le l' het"
)
_UNITS = {"euro", "eur", "euros", "km", "kg", "uur", "heures", "minutes", "minuten", "jaar"}
_NOT_A_PLACE = (NOT_A_NAME - PLACES) | SENTENCE_WORDS | _UNITS | MONTHS | WEEKDAYS


def _strip_leading_words(text: str, match: re.Match[str]) -> int:
    """Return the start of a Dutch street once sentence words before it are dropped."""
    start = match.start()
    prefix = match.group("prefix")
    if not prefix:
        return start
    for word in re.finditer(r"\S+", prefix):
        token = word.group()
        if token.lower() in PARTICLES and token[0].isupper():
            break  # "Van Arteveldestraat", "De Smet de Naeyerlaan": part of the name
        if token.lower() not in NOT_A_NAME | SENTENCE_WORDS and token[0].isupper():
            break
        start = match.start() + word.end()
    while text[start] in " \u00a0":
        start += 1
    return start


def _is_postcode_place(text: str, match: re.Match[str]) -> bool:
    place = match.group("place").split()[-1]
    if place.lower() in _NOT_A_PLACE:
        return False
    if place.lower() in PLACES or not 1900 <= int(match.group("code")) <= 2099:
        return True
    # A plausible year: not when a word or date before it announces a year ("in 2015",
    # "1 janvier 2024"), nor when a second capitalised word follows ("2024 Jean Dupont").
    previous = _PREVIOUS_WORD.search(text, max(0, match.start() - 30), match.start())
    if previous and (previous.group(1).lower() in _YEAR_CUES | MONTHS):
        return False
    return not _NEXT_CAPITALISED.match(text, match.end())


def find_addresses(text: str) -> list[Finding]:
    """Find street addresses ("Wetstraat 16 bus 2, 1000 Brussel", "rue de la Loi 16")
    and a postcode followed by a capitalised municipality ("1080 Molenbeek")."""
    findings = []
    for match in _STREET.finditer(text):
        start = _strip_leading_words(text, match) if match.group("prefix") else match.start()
        findings.append(finding("address", text, start, match.end()))
    for match in _POSTCODE_PLACE.finditer(text):
        if _is_postcode_place(text, match):
            findings.append(finding("address", text, match.start(), match.end()))
    return resolve_overlaps(findings)
