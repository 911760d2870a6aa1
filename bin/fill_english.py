"""Fill the English catalog: the source strings are English, so msgstr = msgid.

Run by bin/i18n. Only empty entries are filled, so a deliberate English
rewording in translations/en is kept.
"""

from babel.messages.pofile import read_po, write_po

PATH = "translations/en/LC_MESSAGES/messages.po"

with open(PATH, "rb") as handle:
    catalog = read_po(handle, locale="en")
catalog.fuzzy = False  # a fuzzy header makes pybabel compile skip the whole catalog
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not all(message.string):
            message.string = tuple(message.id)
    elif not message.string:
        message.string = message.id
with open(PATH, "wb") as handle:
    write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True)
