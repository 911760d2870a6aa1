"""A small hand-written parallel set: the same passages in nl, fr and en.

Four situations, three passages each, written for these tests (not from any bench or
evaluation set). `PARALLEL[topic]` lists (nl, fr, en) triples.
"""

from __future__ import annotations

PARALLEL = {
    "password": [
        (
            "Mevrouw gaf mij haar wachtwoord en haar pincode op een briefje.",
            "Madame m'a donné son mot de passe et son code PIN sur un papier.",
            "The lady gave me her password and her PIN on a slip of paper.",
        ),
        (
            "Ik ken de pincode van zijn bankkaart, hij heeft die zelf doorgegeven.",
            "Je connais le code PIN de sa carte bancaire, il me l'a donné lui-même.",
            "I know the PIN of his bank card, he passed it on to me himself.",
        ),
        (
            "Wij bewaren de wachtwoorden van cliënten niet, maar sommigen schrijven ze op.",
            "Nous ne gardons pas les mots de passe des usagers, mais certains les notent.",
            "We do not keep clients' passwords, but some of them write them down.",
        ),
    ],
    "counter": [
        (
            "Het loket van de bank is gesloten en ze sturen iedereen naar het OCMW.",
            "Le guichet de la banque est fermé et on envoie tout le monde au CPAS.",
            "The bank counter is closed and they send everyone to the welfare centre.",
        ),
        (
            "Sinds het kantoor van de energieleverancier dicht is, komen de mensen naar ons.",
            "Depuis que le fournisseur d'énergie a fermé son agence, les gens viennent chez nous.",
            "Since the energy supplier shut its office, people come to us.",
        ),
        (
            "Het gemeentelijk loket werkt alleen nog op afspraak, online te maken.",
            "Le guichet communal ne fonctionne plus que sur rendez-vous, à prendre en ligne.",
            "The municipal counter now works by appointment only, booked online.",
        ),
    ],
    "tax": [
        (
            "Elk jaar vullen we de belastingaangifte in via MyMinfin voor de cliënten.",
            "Chaque année nous remplissons la déclaration fiscale sur MyMinfin pour les usagers.",
            "Every year we fill in the tax return on MyMinfin for our clients.",
        ),
        (
            "Een belastingaangifte invullen is niet mijn job als maatschappelijk werker.",
            "Remplir une déclaration d'impôts n'est pas mon travail d'assistante sociale.",
            "Filling in a tax return is not my job as a social worker.",
        ),
        (
            "De belastingdienst stuurt mensen met hun aangifte naar het OCMW.",
            "L'administration fiscale envoie les gens avec leur déclaration au CPAS.",
            "The tax administration sends people with their tax return to the welfare centre.",
        ),
    ],
    "school": [
        (
            "De school communiceert alleen via Smartschool, de moeder heeft geen computer.",
            "L'école communique uniquement par Smartschool, la mère n'a pas d'ordinateur.",
            "The school only communicates through Smartschool, the mother has no computer.",
        ),
        (
            "De inschrijving van de kinderen op school moet online, de ouders snappen het niet.",
            "L'inscription des enfants à l'école se fait en ligne, les parents ne comprennent pas.",
            "Enrolling the children at school has to be done online, the parents do not get it.",
        ),
        (
            "De leerkracht stuurt het rapport van haar zoon in de app van de school.",
            "L'enseignante envoie le bulletin de son fils dans l'application de l'école.",
            "The teacher sends her son's school report in the school's app.",
        ),
    ],
}


def parallel_items(prefix: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Return (id, text) for every version; ids are `<topic>-<n>-<lang>`.

    `prefix` maps a language to text put before each passage (a speaker turn).
    """
    items = []
    for language_index, language in enumerate(("nl", "fr", "en")):
        for topic, triples in PARALLEL.items():
            for number, triple in enumerate(triples):
                text = triple[language_index]
                if prefix:
                    text = prefix[language].format(n=number) + text
                items.append((f"{topic}-{number}-{language}", text))
    return items
