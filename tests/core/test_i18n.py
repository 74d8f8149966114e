"""Every user-facing string is translatable, and translated into Simplified Chinese."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from core.i18n import Catalogs

ROOT = Path(__file__).resolve().parents[2]
#: What marks a string for translation (Babel's keyword spec: None is the first argument; (1, 2) a
#: singular/plural pair): ``t("…")``/``ctx.t("…")``, ``N_("…")``, ``Refusal("…")``, ``NP_("…", "…")`` and
#: ``t.n("…", "…", n)``.
KEYWORDS: dict[str, Any] = {"t": None, "N_": None, "Refusal": None, "NP_": (1, 2), "n": (1, 2)}


def packages() -> list[tuple[Path, Path]]:
    """(source folder, its locales folder): the core (with adapters) and each built-in plugin."""
    found = [(ROOT / "core", ROOT / "core" / "locales"), (ROOT / "adapters", ROOT / "core" / "locales")]
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if (plugin / "__init__.py").exists():
            found.append((plugin, plugin / "locales"))
    return found


def _catalog(translations: Any) -> dict[Any, str]:
    """Every entry of a translator's chain (its own catalogue first, then the fallbacks)."""
    merged: dict[Any, str] = {}
    while translations is not None:
        for key, value in getattr(translations, "_catalog", {}).items():
            merged.setdefault(key, value)
        translations = getattr(translations, "_fallback", None)
    return merged


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize(("source", "locales"), packages(), ids=lambda p: p.name)
def test_every_message_has_a_chinese_translation_with_the_same_placeholders(source: Path, locales: Path) -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    catalogs.load_dir(locales, source.name)
    zh = _catalog(catalogs.translator("zh_CN", source.name).translations)
    missing, broken = [], []
    for _file, _line, message, *_ in extract_from_dir(str(source), keywords=KEYWORDS,
                                                       method_map=[("**.py", "python")]):
        if isinstance(message, tuple):  # a plural pair: Chinese has one form, msgstr[0]
            singular, plural = message[0], message[1]
            if not isinstance(singular, str) or not isinstance(plural, str):
                continue
            translated = zh.get((singular, 0))
            if not translated:
                missing.append(f"{singular} / {plural}")
            elif _placeholders(singular) | _placeholders(plural) != _placeholders(translated):
                broken.append(singular)
            continue
        if not message or not isinstance(message, str):
            continue
        if not zh.get(message):
            missing.append(message)
        elif _placeholders(message) != _placeholders(zh[message]):
            broken.append(message)
    assert not missing, f"untranslated in {locales}: {missing}"
    assert not broken, f"placeholders differ: {broken}"


def test_unknown_language_falls_back_to_chinese_and_english_is_the_source() -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    assert catalogs.translator("fr").t("Stopped.") == "已取消。"
    assert catalogs.translator("en").t("Stopped.") == "Stopped."


def test_plural_forms_follow_the_language() -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    en, zh = catalogs.translator("en"), catalogs.translator("zh_CN")
    pair = ("{user} has {n} point.", "{user} has {n} points.")
    assert en.n(*pair, 1, user="张三") == "张三 has 1 point."
    assert en.n(*pair, 2, user="张三") == "张三 has 2 points."
    assert zh.n(*pair, 2, user="张三") == "张三 有 2 积分。"
