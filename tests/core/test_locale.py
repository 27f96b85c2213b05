"""English is complete, and the compiled catalogue matches its source."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) of the singular entries; plural entries are checked by msgfmt."""
    entries: list[tuple[str, str]] = []
    field, values, current = "", {"msgid": "", "msgstr": ""}, ""
    for line in [*PO.read_text().splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            field, rest = line.split(" ", 1)
            values[field] = ast.literal_eval(rest)
            current = field
        elif line.startswith('"') and current:
            values[current] += ast.literal_eval(line)
        elif not line.strip():
            if values["msgid"] and field == "msgstr":
                entries.append((values["msgid"], values["msgstr"]))
            values, field, current = {"msgid": "", "msgstr": ""}, "", ""
        elif line.startswith(("msgid_plural", "msgstr[")):
            field = current = ""
    return entries


def test_every_message_has_an_english_translation() -> None:
    entries = _entries()
    assert len(entries) > 150
    missing = [msgid for msgid, msgstr in entries if not msgstr]
    assert missing == []
    assert "#, fuzzy" not in PO.read_text()


def test_compiled_catalogue_matches_the_source() -> None:
    with translation.override("en"):
        stale = [m for m, s in _entries() if translation.gettext(m) != s]
    assert stale == [], "run: manage.py compilemessages -l en"
