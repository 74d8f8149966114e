"""Every user-facing string is translatable, and translated into Simplified Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from core.i18n import Catalogs

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "N_": None, "ArgError": None, "PluginError": None}


def packages() -> list[tuple[Path, Path]]:
    """(source folder, its locales folder): the core (with adapters) and each built-in plugin."""
    found = [(ROOT / "core", ROOT / "core" / "locales"), (ROOT / "adapters", ROOT / "core" / "locales")]
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if (plugin / "__init__.py").exists():
            found.append((plugin, plugin / "locales"))
    return found


@pytest.mark.parametrize(("source", "locales"), packages(), ids=lambda p: p.name)
def test_every_message_has_a_chinese_translation_with_the_same_placeholders(source: Path, locales: Path) -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    catalogs.load_dir(locales, source.name)
    zh = catalogs.translator("zh_CN", source.name).table
    missing, broken = [], []
    for _file, _line, message, *_ in extract_from_dir(str(source), keywords=KEYWORDS,
                                                       method_map=[("**.py", "python")]):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid or not isinstance(msgid, str):
            continue
        if msgid not in zh:
            missing.append(msgid)
        elif set(re.findall(r"\{(\w+)\}", msgid)) != set(re.findall(r"\{(\w+)\}", zh[msgid])):
            broken.append(msgid)
    assert not missing, f"untranslated in {locales}: {missing}"
    assert not broken, f"placeholders differ: {broken}"


def test_unknown_language_falls_back_to_chinese_and_english_is_the_source() -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    assert catalogs.translator("fr").t("Stopped.") == "已取消。"
    assert catalogs.translator("en").t("Stopped.") == "Stopped."
