"""Word lists the heuristic detectors share, and the stop-word language guess."""

from __future__ import annotations

import re

# Every uppercase letter of Latin-1 and Latin Extended-A/B, for "capitalised word".
UPPER = "".join(chr(c) for c in range(0x41, 0x250) if chr(c).isupper())
LOWER = "".join(chr(c) for c in range(0x61, 0x250) if chr(c).islower())


def word_set(words: str) -> frozenset[str]:
    """Return the set of the space-separated words in `words`."""
    return frozenset(words.split())


STOP_WORDS = {
    "nl": word_set(
        "de het een en van in op te dat die is was niet met voor zijn er aan ook als maar om"
        " bij nog naar dan wat heeft hebben ze zij hij ik je we wij ons mijn haar hem dit"
        " deze kan moet wordt werd geen toen omdat of door over uit onze uw jouw"
    ),
    "fr": word_set(
        "le la les un une des et de du en est pas que qui dans pour sur avec ce cette il"
        " elle ils elles je nous vous on mais ou au aux son sa ses ne se a été par plus"
        " était avait leur lui très aussi comme parce ma mon mes ta ton tes notre votre"
    ),
    "en": word_set(
        "the a an and of to in is was not with for on that this it he she they we you i"
        " his her their but or at by from have has had be been are were which would could"
        " as so because"
    ),
}
LANGUAGES = ("nl", "fr", "en")
_WORD = re.compile(r"[^\W\d_]+")


def guess_language(text: str) -> str:
    """Return "nl", "fr" or "en", whichever has the most stop words in `text` (ties: nl)."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for match in _WORD.finditer(text[:20_000].lower()):
        for language in LANGUAGES:
            if match.group() in STOP_WORDS[language]:
                counts[language] += 1
    return max(LANGUAGES, key=lambda language: counts[language])


MONTHS = word_set(
    "januari februari maart april mei juni juli augustus september oktober november december"
    " janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    " january february march may june july august october"
)
WEEKDAYS = word_set(
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag lundi mardi mercredi jeudi"
    " vendredi samedi dimanche monday tuesday wednesday thursday friday saturday sunday"
)
PLACES = word_set(
    "brussel bruxelles brussels belgië belgique belgium vlaanderen flandre wallonie wallonië"
    " molenbeek anderlecht schaerbeek schaarbeek ixelles elsene etterbeek forest vorst"
    " saint-gilles sint-gillis uccle ukkel jette evere laeken laken antwerpen anvers gent"
    " gand liège luik namur namen charleroi mons bergen leuven louvain mechelen malines"
    " hasselt brugge bruges kortrijk courtrai ostende oostende verviers tournai doornik"
    " europe europa"
    # Municipalities whose postcodes (1900-2099) read as years: "in 2000 Antwerpen".
    " overijse kampenhout zaventem nossegem sterrebeek sint-stevens-woluwe kraainem"
    " wezembeek-oppem zemst eppegem hofstade elewijt weerde zwijndrecht burcht"
)
# Capitalised at a sentence start without being a name ("Bel me", "Toen ging").
SENTENCE_WORDS = word_set(
    "bel belde toen daarna dan hier daar gisteren vandaag morgen maar dus ook volgens"
    " alors puis ensuite hier aujourd'hui demain mais donc aussi selon chez merci bonjour"
    " then yesterday today tomorrow also however thanks hello dag goedemorgen ja nee oui non"
    " yes no oké ok"
)
HONORIFIC_WORDS = word_set(
    "mevrouw meneer mijnheer madame monsieur mademoiselle docteur dokter mme mlle mevr mw dhr"
    " mr mrs ms dr"
)
# Organisations and acronyms that look capitalised in transcripts.
ORGANISATIONS = word_set(
    "cpas ocmw epn ocr forem actiris vdab onem rva inami riziv spf fod itsme ebox mypension"
    " google facebook microsoft apple belfius bnp paribas fortis ing kbc argenta proximus"
    " sibelga engie luminus"
)
# Roles and titles that follow an honorific without being a name ("Madame la Ministre").
TITLES = word_set(
    "ministre minister directrice directeur directeur-generaal bourgmestre burgemeester juge"
    " rechter président présidente voorzitter professeur professor schepen échevin"
)
# Never a name, wherever they stand (SENTENCE_WORDS only at a sentence start).
NOT_A_NAME = (
    MONTHS
    | WEEKDAYS
    | PLACES
    | SENTENCE_WORDS
    | ORGANISATIONS
    | HONORIFIC_WORDS
    | TITLES
    | frozenset().union(*STOP_WORDS.values())
)
# Lowercase parts that may sit inside a person's or street's name.
PARTICLES = word_set("van de der den ter ten du des la le von di da del el")
