"""Every text of the board pages' templates is translated into Simplified Chinese, in the domain of the
package that provides the page (a plugin's own ``.po``, falling back to the core's), with the same
placeholders; ``tests/core/test_i18n.py`` does the same for Python sources, this for ``_()``/``n_()`` in
Jinja2 templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from core.i18n import Catalogs

ROOT = Path(__file__).resolve().parents[2]
#: (templates, the translation domain, its locales folder)
PROVIDERS = [(ROOT / "core" / "web" / "templates", "core", ROOT / "core" / "locales", "rankings*.html")] + [
    (ROOT / "plugins" / name / "templates", name, ROOT / "plugins" / name / "locales", "*.html")
    for name in ("claims", "service_log", "ratings")]
KEYWORDS = {"_": None, "n_": (1, 2)}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize(("templates", "domain", "locales", "pattern"), PROVIDERS, ids=lambda p: getattr(p, "name", p))
def test_every_template_text_has_a_chinese_translation(templates: Path, domain: str, locales: Path,
                                                       pattern: str) -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    catalogs.load_dir(locales, domain)
    zh = catalogs.translator("zh_CN", domain).translations
    files = sorted(templates.glob(pattern))
    assert files, f"no templates in {templates}"
    missing, broken = [], []
    for path in files:
        for _line, message, _comments, _context in extract_from_file(
                "jinja2.ext:babel_extract", str(path), keywords=KEYWORDS, options={"trimmed": "false"}):
            if isinstance(message, tuple):
                singular, plural = message[0], message[1]
                translated = zh.ngettext(singular, plural, 1)
                known = translated != singular or catalogs.has("zh_CN", domain, singular)
                places = _placeholders(singular) | _placeholders(plural)
            else:
                singular = message
                translated = zh.gettext(message)
                known = translated != message or catalogs.has("zh_CN", domain, message) or catalogs.has(
                    "zh_CN", "core", message)
                places = _placeholders(message)
            if not known:
                missing.append(f"{path.name}: {singular}")
            elif _placeholders(translated) != places:
                broken.append(f"{path.name}: {singular}")
    assert not missing, f"untranslated in {locales}: {missing}"
    assert not broken, f"placeholders differ: {broken}"
