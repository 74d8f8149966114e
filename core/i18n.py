"""Translations: Simplified Chinese by default, English second, per community, on Babel's ``Translations``.

Source strings (msgids) are English; each package that speaks to users (the core with the adapters, every
plugin) ships ``locales/<lang>/LC_MESSAGES/messages.po``. Babel reads each catalogue into a
``Translations`` object (plural forms included), and a plugin's catalogue falls back to the core's, so two
plugins that translate the same English word differently do not overwrite each other. The application
owns one :class:`Catalogs`, so no translation state is global. ``N_`` marks a string for extraction where
it is declared (a command's help, a setting's description) and ``NP_`` a singular/plural pair; the text is
translated when it is shown, in the reader's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")
#: The language the msgids are written in: needs no catalogue.
SOURCE_LANGUAGE = "en"
CORE_DOMAIN = "core"


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for translation without translating it now (``t.n(*pair, n)``)."""
    return singular, plural


def _read(po_path: Path, language: str, domain: str) -> Translations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


@dataclass
class Catalogs:
    """All loaded catalogues: one ``Translations`` per domain (the core, each plugin) and language."""

    domains: dict[str, dict[str, Translations]] = field(default_factory=dict)
    _chains: dict[tuple[str, str | None], Translator] = field(default_factory=dict, repr=False)

    def load_dir(self, locales: Path, domain: str = CORE_DOMAIN) -> None:
        """Merge every ``<lang>/LC_MESSAGES/*.po`` under ``locales`` into ``domain``."""
        if not locales.is_dir():
            return
        for po_path in sorted(locales.glob("*/LC_MESSAGES/*.po")):
            language = po_path.parent.parent.name
            self._chains.clear()
            loaded = _read(po_path, language, domain)
            existing = self.domains.setdefault(domain, {}).get(language)
            if existing is None:
                self.domains[domain][language] = loaded
            else:
                existing.merge(loaded)

    def translator(self, language: str | None, domain: str | None = None) -> Translator:
        """A translator for ``domain`` falling back to the core; without a domain, every catalogue."""
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        cached = self._chains.get((language, domain))
        if cached is None:
            cached = self._chains[(language, domain)] = self._chain(language, domain)
        return cached

    def _chain(self, language: str, domain: str | None) -> Translator:
        if language == SOURCE_LANGUAGE:
            return Translator(language, NullTranslations())
        order = [domain, CORE_DOMAIN] if domain else [CORE_DOMAIN, *sorted(self.domains)]
        chain: NullTranslations | None = None
        for name in reversed(list(dict.fromkeys(d for d in order if d))):
            found = self.domains.get(name, {}).get(language)
            if found is None:
                continue
            link = Translations(domain=name)
            link.merge(found)
            link.plural = found.plural
            if chain is not None:
                link.add_fallback(chain)
            chain = link
        return Translator(language, chain or NullTranslations())

    def has(self, language: str, domain: str, message: str) -> bool:
        """Whether ``domain`` (alone, no fallback) translates ``message`` into ``language``."""
        found = self.domains.get(domain, {}).get(language)
        return found is not None and message in found._catalog


@dataclass(frozen=True)
class Translator:
    """Translates into one language: ``t("Hello {name}", name=…)``; ``t.n("{n} point", "{n} points", n)``.

    ``n`` formats the count as ``{n}`` unless a value of that name is given.
    """

    language: str
    translations: NullTranslations

    def t(self, message: str, /, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, /, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, count)
        return text.format(**{"n": count, **values})

    def knows(self, message: str) -> bool:
        """Whether ``message`` has a translation here (the source language knows every msgid)."""
        return self.language == SOURCE_LANGUAGE or self.translations.gettext(message) != message

    __call__ = t
