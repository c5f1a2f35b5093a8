"""Every message of the catalogs is translated."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ENTRY = re.compile(r'^msgid "(.*)"\n((?:".*"\n)*)msgstr "(.*)"\n((?:".*"\n)*)', re.MULTILINE)


@pytest.mark.parametrize("language", ["es", "pt_BR"])
def test_every_message_is_translated(language):
    catalog = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    entries = [m for m in ENTRY.finditer(catalog) if m.group(1) or m.group(2)]
    assert len(entries) > 100
    untranslated = [m.group(1) for m in entries if not (m.group(3) or m.group(4))]
    assert untranslated == []
    assert "#, fuzzy" not in catalog.split("\n\n", 1)[1]
