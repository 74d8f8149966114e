"""Translations: Simplified Chinese by default, English second, per community.

Source strings (msgids) are English; each package that speaks to users (core, every plugin) ships
``locales/<lang>/LC_MESSAGES/messages.po``. Babel reads the catalogues; the application owns one
:class:`Catalogs` object, so no translation state is global. ``N_`` marks a string for extraction
where it is declared (a command's help) and translation happens when it is shown, in the reader's language.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
#: The language the msgids are written in: needs no catalogue.
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now."""
    return message


CORE_DOMAIN = "core"


@dataclass
class Catalogs:
    """All loaded message catalogues: one domain per package (the core, each plugin), per language.

    A plugin's strings are looked up in its own domain first, then in the core's, so two plugins that
    translate the same English word differently do not overwrite each other.
    """

    domains: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def load_dir(self, locales: Path, domain: str = CORE_DOMAIN) -> None:
        """Merge every ``<lang>/LC_MESSAGES/*.po`` under ``locales`` into ``domain``."""
        if not locales.is_dir():
            return
        for po_path in sorted(locales.glob("*/LC_MESSAGES/*.po")):
            language = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            table = self.domains.setdefault(domain, {}).setdefault(language, {})
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    table[str(message.id)] = str(message.string)

    def translator(self, language: str | None, domain: str | None = None) -> Translator:
        """A translator for ``domain`` (then the core); without a domain, every catalogue is consulted."""
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        order = [domain, CORE_DOMAIN] if domain else [CORE_DOMAIN, *sorted(self.domains)]
        tables = [self.domains.get(d, {}).get(language, {}) for d in dict.fromkeys(order) if d]
        return Translator(language, ChainMap(*tables))


@dataclass(frozen=True)
class Translator:
    """Translates into one language; ``t("Hello {name}", name=…)`` formats after translating."""

    language: str
    table: Mapping[str, str]

    def t(self, message: str, /, **values: Any) -> str:
        text = message if self.language == SOURCE_LANGUAGE else self.table.get(message, message)
        return text.format(**values) if values else text

    __call__ = t
