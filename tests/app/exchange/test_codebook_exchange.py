"""Codebook exchange: REFI-QDA codebooks (.qdc) and CSV, as pure functions (no app, no db)."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid

import pytest
from lxml import etree

from app.exchange.codebook_block import CONTAINER_NAME, SEPARATOR
from app.exchange.codebook_csv import COLUMNS, export_csv, import_csv
from app.exchange.codebook_qdc import (
    NS,
    SCHEMA,
    CodebookEntry,
    CodebookFormatError,
    default_language_label,
    export_qdc,
    import_qdc,
    slugify,
)

Q = {"q": NS}


def guid(number: int) -> str:
    return f"3f2b8c1e-0d4a-4e9b-9a57-{number:012d}"


# Tree order (parents first, siblings by position 0..n-1), three levels, every kind of text.
ENTRIES = [
    CodebookEntry(
        key="privacy",
        guid=guid(1),
        label_nl="Privacy",
        label_fr="Vie privée",
        label_en="Privacy",
        definition_nl="Persoonsgegevens; wachtwoorden, pincodes",
        definition_fr="Données « personnelles », mots de passe…\n\nDeuxième paragraphe 🔐",
        definition_en='Data, "quotes", a back\\slash and a literal \\n',
        colour="#2471a3",
        seed_terms={"nl": ["wachtwoord", "AVG"], "fr": ["mot de passe", "RGPD"], "en": ["GDPR"]},
    ),
    CodebookEntry(
        key="consent",
        guid=guid(2),
        parent_key="privacy",
        label_fr="Consentement éclairé",
        label_en="Consent",
        definition_fr="Préalable et éclairé.\r\nLignes Windows\tet tabulation",
    ),
    CodebookEntry(
        key="mandate",
        guid=guid(3),
        parent_key="consent",
        label_nl="Volmacht",
        definition_nl="Alleen in het Nederlands\n",
        colour="#abcdef",
    ),
    CodebookEntry(
        key="passwords",
        guid=guid(4),
        parent_key="privacy",
        position=1,
        label_en="Passwords 🔑",
        seed_terms={"en": ["PIN code", "itsme"]},
    ),
    CodebookEntry(
        key="role_confusion",
        guid=guid(5),
        position=1,
        label_nl="Rolverwarring",
        label_fr="Confusion des rôles",
        label_en="Role confusion",
        definition_fr=f"Un faux bloc :\n\n{SEPARATOR}\n[magwb] key=evil",
        definition_en="Not my job\n[magwb] key=evil",
        colour="#8e44ad",
        seed_terms={"fr": ["ce n'est pas mon travail", "à la place"]},
    ),
]

OTHER_TOOL_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="0E6B1A52-3C4D-4F6A-9B8C-1D2E3F4A5B6C" name="Vie privée" isCodable="true"
          color="#2471A3">
      <Description>Données personnelles et consentement.</Description>
      <Code guid="1e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c" name="Mots de passe" isCodable="true"
            color="#F0A"/>
      <Code guid="2e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c" name="Vie privée" isCodable="false"/>
    </Code>
    <Code guid="3e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c" name=" Œuvres &amp; actions "
          isCodable="true" color="#c0392b"/>
  </Codes>
  <Sets>
    <Set guid="4e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c" name="Travail">
      <MemberCode guid="3e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c"/>
    </Set>
  </Sets>
</CodeBook>
""".encode()


def code_xml(attributes: str, body: str = "") -> bytes:
    """Return a one-code codebook; the code starts on line 4."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<CodeBook xmlns="{NS}">\n'
        "<Codes>\n"
        f"<Code {attributes}>{body}</Code>\n"
        "</Codes>\n"
        "</CodeBook>\n"
    ).encode()


VALID_CODE = f'guid="{guid(9)}" name="Dépendance" isCodable="true"'

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n'
    "<!DOCTYPE CodeBook [\n"
    ' <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    "]>\n"
    f'<CodeBook xmlns="{NS}"><Codes><Code guid="{guid(1)}" name="&lol3;" isCodable="true"/>'
    "</Codes></CodeBook>\n"
)


def csv_text(*rows: dict[str, str], delimiter: str = ",") -> str:
    """Return a codebook CSV with the given cells (other columns empty)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=delimiter, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def row(key: str, **cells: str) -> dict[str, str]:
    return {"key": key, "label_en": key.title(), **cells}


# --- entries ---------------------------------------------------------------------------------


def test_entry_is_hashable_and_canonical():
    """Entries accept a seed-term mapping and store one canonical, hashable form."""
    entry = CodebookEntry(
        key="privacy",
        guid="{3F2B8C1E-0D4A-4E9B-9A57-000000000001}",
        colour="#2471A3",
        seed_terms={"fr": [" mot de passe ", ""], "nl": ["AVG"]},
    )
    assert entry.guid == guid(1)
    assert entry.colour == "#2471a3"
    assert entry.seed_terms == (("nl", ("AVG",)), ("fr", ("mot de passe",)), ("en", ()))
    assert entry.seed_terms_dict() == {"nl": ["AVG"], "fr": ["mot de passe"], "en": []}
    same = CodebookEntry(key="privacy", guid=guid(1), colour="#2471a3", seed_terms=entry.seed_terms)
    assert len({entry, same}) == 1


@pytest.mark.parametrize(
    "changes",
    [{"guid": "not-a-guid"}, {"colour": "red"}, {"seed_terms": {"fr": ["a; b"]}}],
)
def test_entry_refuses_values_that_cannot_be_exchanged(changes):
    """A malformed guid or colour, or a seed term holding ';', is a programming error."""
    with pytest.raises(ValueError):
        CodebookEntry(**{"key": "privacy", "guid": guid(1), **changes})


def test_default_language_label_falls_back_to_english_then_key():
    """The label shown in a language falls back to English, then to the key."""
    assert default_language_label(ENTRIES[0], "fr") == "Vie privée"
    assert default_language_label(ENTRIES[3], "nl") == "Passwords 🔑"
    assert default_language_label(ENTRIES[2], "fr") == "mandate"


@pytest.mark.parametrize(
    "name, key",
    [
        ("Vie privée", "vie_privee"),
        ("Confusion des rôles", "confusion_des_roles"),
        (" Œuvres & actions ", "oeuvres_actions"),
        ("Niet-gebruik van rechten", "niet_gebruik_van_rechten"),
        ("🔐", "theme"),
        ("x" * 80, "x" * 60),
    ],
)
def test_slugify_folds_accents_to_ascii_keys(name, key):
    """Keys made from names are ASCII, lower-case, with underscores and at most 60 chars."""
    assert slugify(name) == key


# --- REFI-QDA export ---------------------------------------------------------------------------


# SHA-256 of shared/refi-qda/*.xsd as handed to the project, so the check runs in any clone.
SCHEMA_SHA256 = {
    "Codebook.xsd": "de6edc6a06611cc8aca8b3e40c9abdce433e563c356a5b04839cf6b389230863",
    "Project.xsd": "7841112e27897debf996f76209b9c5a5d074d66c1297a2f19f5ef250d29303bd",
}


@pytest.mark.parametrize("name", ["Codebook.xsd", "Project.xsd"])
def test_vendored_schemas_are_unchanged_copies(name):
    """The schemas in app/exchange/schemas/refi-qda are byte-for-byte the shared REFI-QDA ones."""
    digest = hashlib.sha256((SCHEMA.parent / name).read_bytes()).hexdigest()
    assert digest == SCHEMA_SHA256[name]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_export_validates_against_vendored_schema(language):
    """The exported codebook is valid REFI-QDA codebook XML."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    data = export_qdc(ENTRIES, language=language)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CodeBook')
    schema.assertValid(etree.fromstring(data))


def test_export_nests_codes_and_orders_siblings_by_position():
    """Codes nest under their parent and siblings follow position, whatever the input order."""
    root = etree.fromstring(export_qdc(list(reversed(ENTRIES)), language="en"))
    assert root.get("origin") == "MAG Workbench"
    top = root.xpath("q:Codes/q:Code", namespaces=Q)
    assert [code.get("guid") for code in top] == [guid(1), guid(5)]
    children = top[0].xpath("q:Code", namespaces=Q)
    assert [code.get("name") for code in children] == ["Consent", "Passwords 🔑"]
    assert [code.get("name") for code in children[0].xpath("q:Code", namespaces=Q)] == ["mandate"]


def test_export_names_codes_in_language_with_upper_case_colours():
    """Names are in the chosen language (then English, then key); colours are #RRGGBB."""
    root = etree.fromstring(export_qdc(ENTRIES, language="nl"))
    codes = root.xpath("//q:Code", namespaces=Q)
    assert [code.get("name") for code in codes] == [
        "Privacy",
        "Consent",
        "Volmacht",
        "Passwords 🔑",
        "Rolverwarring",
    ]
    assert [code.get("color") for code in codes][:3] == ["#2471A3", "#777777", "#ABCDEF"]
    assert all(code.get("isCodable") == "true" for code in codes)


def test_export_description_is_only_the_definition_other_tools_show_as_memo():
    """QualCoder and others show a code's description as its memo: it holds the definition only."""
    root = etree.fromstring(export_qdc(ENTRIES, language="fr"))
    descriptions = [d.text or "" for d in root.xpath("//q:Code/q:Description", namespaces=Q)]
    assert descriptions[0] == ENTRIES[0].definition_fr
    assert not any("[magwb]" in d and "key=evil" not in d for d in descriptions)
    assert max(len(d) for d in descriptions) < 200


def test_export_keeps_other_languages_in_one_marked_set():
    """Keys, other languages and seed terms travel in one marked Set listing every code."""
    root = etree.fromstring(export_qdc(ENTRIES, language="fr"))
    (data_set,) = root.xpath("q:Sets/q:Set", namespaces=Q)
    assert data_set.get("name") == CONTAINER_NAME
    members = [m.get("guid") for m in data_set.xpath("q:MemberCode", namespaces=Q)]
    assert sorted(members) == sorted(e.guid for e in ENTRIES)
    block = data_set.findtext("q:Description", namespaces=Q).splitlines()
    assert block[0] == SEPARATOR
    assert f"[magwb] code={guid(1)}" in block
    assert "[magwb] key=privacy" in block
    assert "[magwb] seed_terms_nl=wachtwoord; AVG" in block
    assert '[magwb] definition_en=Data, "quotes", a back\\\\slash and a literal \\\\n' in block


def test_qdc_import_reads_the_old_block_at_the_end_of_descriptions():
    """Files exported before the marked Set (block after the definition) still round-trip."""
    old = f"""<?xml version="1.0" encoding="UTF-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAG Workbench"><Codes>
<Code guid="{guid(1)}" name="Vie privée" isCodable="true" color="#2471A3">
<Description>Définition

{SEPARATOR}
[magwb] language=fr
[magwb] key=privacy
[magwb] label_nl=Privacy
[magwb] seed_terms_nl=wachtwoord; AVG</Description></Code></Codes></CodeBook>"""
    (entry,) = import_qdc(old.encode(), source="old.qdc", language="fr")
    assert (entry.key, entry.label_nl, entry.definition_fr) == ("privacy", "Privacy", "Définition")
    assert entry.seed_terms[0] == ("nl", ("wachtwoord", "AVG"))


def test_qdc_import_accepts_taguettes_empty_sets_with_a_warning():
    """Taguette writes an empty <Sets/> (invalid): the codes import and a warning names it."""
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.5.2"><Codes>
<Code guid="0e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c" name="interesting" isCodable="true">
<Description>Further review required</Description></Code></Codes><Sets/></CodeBook>"""
    warnings = []
    (entry,) = import_qdc(data, source="taguette.qdc", language="en", warnings=warnings)
    assert (entry.key, entry.definition_en) == ("interesting", "Further review required")
    assert len(warnings) == 1 and "<Sets/>" in str(warnings[0]) and "line 4" in str(warnings[0])


def test_qdc_import_stays_strict_about_a_broken_code():
    """Leniency stops at data: a code without a GUID is still refused, naming the line."""
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code name="no guid" isCodable="true"/></Codes><Sets/></CodeBook>"""
    with pytest.raises(CodebookFormatError, match="line 3"):
        import_qdc(data, source="broken.qdc", language="en", warnings=[])


def test_export_refuses_empty_codebook_and_cycles():
    """A codebook with no code or with a parent cycle cannot be exported."""
    with pytest.raises(ValueError, match="at least one code"):
        export_qdc([], language="en")
    loop = [
        CodebookEntry(key="a", guid=guid(1), parent_key="b"),
        CodebookEntry(key="b", guid=guid(2), parent_key="a"),
    ]
    with pytest.raises(ValueError, match="cycle"):
        export_qdc(loop, language="en")


# --- REFI-QDA import ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_qdc_round_trip_is_exact(language):
    """Our own export reads back to equal entries: labels, definitions, terms, tree, colours."""
    data = export_qdc(ENTRIES, language=language)
    assert import_qdc(data, source="codebook.qdc", language=language) == ENTRIES


def test_qdc_import_in_another_language_keeps_labels():
    """Reading our file with another interface language does not overwrite labels."""
    data = export_qdc(ENTRIES, language="fr")
    assert import_qdc(data, source="codebook.qdc", language="nl") == ENTRIES


def test_qdc_import_applies_name_and_description_edited_elsewhere():
    """A code renamed or redescribed in another program updates that language only."""
    data = export_qdc(ENTRIES, language="fr")
    data = data.replace(b'name="Vie priv\xc3\xa9e"', b'name="Donn\xc3\xa9es priv\xc3\xa9es"')
    data = data.replace("Deuxième paragraphe 🔐".encode(), "Corrigé".encode())
    privacy = import_qdc(data, source="codebook.qdc", language="fr")[0]
    assert privacy.key == "privacy"
    assert (privacy.label_fr, privacy.label_nl) == ("Données privées", "Privacy")
    assert privacy.definition_fr.endswith("\n\nCorrigé")
    assert privacy.definition_nl == ENTRIES[0].definition_nl


def test_qdc_import_from_other_tool_gives_sensible_themes():
    """Without our block: slugged unique keys, name in every label, description in one."""
    entries = import_qdc(OTHER_TOOL_QDC, source="nvivo.qdc", language="fr")
    assert [(e.key, e.parent_key, e.position) for e in entries] == [
        ("vie_privee", None, 0),
        ("mots_de_passe", "vie_privee", 0),
        ("vie_privee_2", "vie_privee", 1),
        ("oeuvres_actions", None, 1),
    ]
    first = entries[0]
    assert (first.label_nl, first.label_fr, first.label_en) == ("Vie privée",) * 3
    assert first.definition_fr == "Données personnelles et consentement."
    assert (first.definition_nl, first.definition_en) == ("", "")
    assert first.guid == "0e6b1a52-3c4d-4f6a-9b8c-1d2e3f4a5b6c"
    assert [e.colour for e in entries] == ["#2471a3", "#ff00aa", "#777777", "#c0392b"]
    assert entries[3].label_en == "Œuvres & actions"
    assert all(e.seed_terms == (("nl", ()), ("fr", ()), ("en", ())) for e in entries)


def test_qdc_import_keeps_our_keys_before_slugs():
    """A stable key from our block is kept even when another code's name slugs to it."""
    data = export_qdc([ENTRIES[4]], language="en").replace(
        b"<Codes>\n",
        f'<Codes>\n<Code guid="{guid(8)}" name="Role confusion" isCodable="true"/>\n'.encode(),
    )
    entries = import_qdc(data, source="mixed.qdc", language="en")
    assert [e.key for e in entries] == ["role_confusion_2", "role_confusion"]


def test_qdc_import_accepts_braced_guids():
    """GUIDs in braces (allowed by the schema) are stored lower-case without braces."""
    data = code_xml(f'guid="{{{guid(7).upper()}}}" name="Dépendance" isCodable="true"')
    assert import_qdc(data, source="atlas.qdc", language="nl")[0].guid == guid(7)


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "bad.qdc, line 1: this is not well-formed XML"),
        (b"key,label_en\nprivacy,Privacy\n", "bad.qdc, line 1: this is not well-formed XML"),
        (
            code_xml(VALID_CODE).replace(b"</Codes>", b""),
            "bad.qdc, line 6: this is not well-formed",
        ),
        (BILLION_LAUGHS.encode(), "bad.qdc, line 2: document type declarations and entities"),
        (
            BILLION_LAUGHS.replace('"1.0"?', '"1.0" encoding="UTF-16"?').encode("utf-16"),
            "bad.qdc, line 1: document type declarations and entities",
        ),
        (code_xml(VALID_CODE + ' weight="3"'), "bad.qdc, line 4: this breaks the REFI-QDA"),
        (code_xml(VALID_CODE + ' color="red"'), "bad.qdc, line 4: this breaks the REFI-QDA"),
        (code_xml('name="Dépendance" isCodable="true"'), "bad.qdc, line 4: this breaks the"),
        (
            code_xml(VALID_CODE.replace("Dépendance", " ")),
            "bad.qdc, line 4: this code has an empty",
        ),
        (code_xml(VALID_CODE.replace("Dépendance", "x" * 121)), "bad.qdc, line 4: the code name"),
        (
            code_xml(VALID_CODE, f'<Code guid="{guid(9)}" name="b" isCodable="true"/>'),
            "bad.qdc, line 4: this code repeats the guid of line 4",
        ),
        (b'<Project xmlns="urn:QDA-XML:project:1.0"/>', "bad.qdc, line 1: the root element is not"),
        (b"<CodeBook/>" + b" " * (5 * 2**20), "bad.qdc: the file is over 5 MB"),
    ],
    ids=[
        "empty",
        "csv",
        "not-well-formed",
        "billion-laughs",
        "doctype-in-utf16",
        "unknown-attribute",
        "bad-colour",
        "missing-guid",
        "empty-name",
        "long-name",
        "duplicate-guid",
        "project-not-codebook",
        "too-big",
    ],
)
def test_qdc_import_refuses_bad_files_naming_file_and_line(data, fragment):
    """Each unusable file is refused with the file name, the line and what to do."""
    with pytest.raises(CodebookFormatError) as caught:
        import_qdc(data, source="bad.qdc", language="fr")
    assert str(caught.value).startswith(fragment)
    assert caught.value.source == "bad.qdc"


def test_qdc_import_refuses_schema_errors_with_the_reason():
    """Schema errors quote the validator so a person sees which attribute is wrong."""
    with pytest.raises(CodebookFormatError, match="attribute 'weight'.*not allowed"):
        import_qdc(code_xml(VALID_CODE + ' weight="3"'), source="bad.qdc", language="fr")


def test_qdc_import_refuses_too_deep_nesting():
    """More than 12 levels of codes is refused, naming the line of the first too-deep code."""
    body = "".join(f'<Code guid="{guid(n)}" name="c{n}" isCodable="true">\n' for n in range(13))
    data = code_xml(VALID_CODE, "\n" + body + "</Code>" * 13)
    with pytest.raises(CodebookFormatError, match=r"line 16: codes are nested more than 12"):
        import_qdc(data, source="deep.qdc", language="fr")


# --- CSV -------------------------------------------------------------------------------------


def test_csv_export_has_the_documented_header():
    """The CSV header is the documented column list, in order."""
    assert export_csv(ENTRIES).splitlines()[0] == (
        "key,parent_key,position,colour,guid,label_nl,label_fr,label_en,definition_nl,"
        "definition_fr,definition_en,seed_terms_nl,seed_terms_fr,seed_terms_en"
    )


def test_csv_round_trip_is_exact():
    """Our own CSV reads back to equal entries, with quotes, newlines, ';' and emoji."""
    assert import_csv(export_csv(ENTRIES), source="codebook.csv") == ENTRIES


def test_csv_import_accepts_excel_semicolons_and_bom():
    """A Belgian Excel file (';' delimiter, UTF-8 BOM, CRLF) reads like a comma file."""
    rows = list(csv.reader(io.StringIO(export_csv(ENTRIES), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";").writerows(rows)
    assert import_csv("\ufeff" + out.getvalue(), source="excel.csv") == ENTRIES


def test_csv_import_fills_in_empty_guid_position_and_colour():
    """Empty guid gets a new UUID, empty position the row order, empty colour the default."""
    text = csv_text(row("a"), row("b", parent_key="a"), row("c", parent_key="a", position="5"))
    a, b, c = import_csv(text, source="hand.csv")
    assert uuid.UUID(a.guid).version == 4
    assert (a.position, b.position, c.position) == (0, 0, 5)
    assert a.colour == "#777777"


def test_csv_import_splits_seed_terms_and_lower_cases_colour():
    """Seed terms are split on ';' and trimmed; an upper-case colour is stored lower-case."""
    (entry,) = import_csv(
        csv_text(row("a", colour="#C0392B", seed_terms_fr=" vie privée ;RGPD; ")), source="x.csv"
    )
    assert dict(entry.seed_terms)["fr"] == ("vie privée", "RGPD")
    assert entry.colour == "#c0392b"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "bad.csv: the file is empty"),
        ("key;label_en\nx;X\n", "bad.csv, row 1: columns missing: parent_key, position, colour"),
        (csv_text(row("a"), row("b"), row("a")), "row 4: the key 'a' is already used in row 2"),
        (csv_text(row("a", parent_key="zz")), "row 2: the parent_key 'zz' is not the key of any"),
        (
            csv_text(row("a", parent_key="c"), row("b", parent_key="a"), row("c", parent_key="b")),
            "row 2: the parents form a cycle (a -> c -> b -> a)",
        ),
        (csv_text(row("a", parent_key="a")), "row 2: the parents form a cycle (a -> a)"),
        (csv_text(row("a"), row("b", colour="#abc")), "row 3: the colour '#abc' must be #rrggbb"),
        (csv_text(row("a", label_fr="é" * 121)), "row 2: label_fr has 121 characters"),
        (csv_text(row("a", label_en="")), "row 2: the theme has no label"),
        (csv_text(row("Vie privée")), "row 2: the key 'Vie privée' must be"),
        (csv_text(row("", label_en="Nameless")), "row 2: the key is empty"),
        (csv_text(row("a", guid="{nope}")), "row 2: the guid '{nope}' must look like a UUID"),
        (csv_text(row("a", position="-1")), "row 2: the position '-1' must be a whole number"),
        (
            csv_text(row("a", guid=guid(1)), row("b", guid=guid(1))),
            "row 3: the guid is already used in row 2",
        ),
    ],
    ids=[
        "empty",
        "missing-columns",
        "duplicate-key",
        "unknown-parent",
        "cycle",
        "own-parent",
        "bad-colour",
        "long-label",
        "no-label",
        "key-not-slug",
        "empty-key",
        "bad-guid",
        "bad-position",
        "duplicate-guid",
    ],
)
def test_csv_import_refuses_bad_rows_naming_file_and_row(text, fragment):
    """Each unusable CSV is refused with the file name, the row (header = 1) and the fix."""
    with pytest.raises(CodebookFormatError) as caught:
        import_csv(text, source="bad.csv")
    message = str(caught.value)
    assert message.startswith("bad.csv")
    assert fragment in message


def test_csv_import_counts_rows_like_a_spreadsheet():
    """A multi-line cell is one row, so errors point at the row a spreadsheet shows."""
    text = csv_text(row("a", definition_en="one\ntwo\nthree"), row("b", colour="blue"))
    with pytest.raises(CodebookFormatError, match=r"^bad\.csv, row 3: the colour 'blue'"):
        import_csv(text, source="bad.csv")
