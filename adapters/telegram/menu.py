"""The command menu Telegram shows next to the text field (``setMyCommands``), in Chinese and English.

The default scope lists the commands of the core and of the plugins a new community has switched on.
A group whose community has switched plugins on or off gets a menu of its own (scope ``chat``), and
loses it again when it matches the default. What to list comes from the core
(:meth:`core.adapter.AdapterHost.command_menus`); this module only fits it to Telegram: names Telegram
accepts (``[a-z0-9_]{1,32}``, so the Chinese aliases work when typed but are not listed), descriptions of
at most 256 characters, at most 100 commands.
"""

from __future__ import annotations

import re

from core.adapter import AdapterHost, MenuEntry

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
#: Telegram language code of a menu ("" = users whose language has no menu of its own) → linli language.
MENU_LANGUAGES: dict[str, str | None] = {"": None, "zh": "zh_CN", "en": "en"}
DESCRIPTION_LIMIT = 256
MAX_COMMANDS = 100

MenuKey = tuple[int | None, str]  # (chat id, or None for the default scope; Telegram language code)
Menu = tuple[tuple[str, str], ...]


def fitted(entries: list[MenuEntry]) -> Menu:
    """The entries Telegram accepts, descriptions shortened to one line of at most 256 characters."""
    out: list[tuple[str, str]] = []
    for entry in entries:
        if not COMMAND_NAME.match(entry.name):
            continue
        text = entry.description
        if len(text) > DESCRIPTION_LIMIT:
            text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
        out.append((entry.name, text))
    return tuple(out[:MAX_COMMANDS])


async def desired_menus(host: AdapterHost) -> dict[MenuKey, Menu]:
    """Every menu that should be registered now, by scope and language."""
    menus: dict[MenuKey, Menu] = {}
    for code, language in MENU_LANGUAGES.items():
        for chat_id, entries in (await host.command_menus("telegram", language)).items():
            if chat_id is None:
                menus[(None, code)] = fitted(entries)
            elif chat_id.lstrip("-").isdigit():
                menus[(int(chat_id), code)] = fitted(entries)
    # a chat whose menu differs in any language gets its own menu in every language
    chats = {chat for chat, _code in menus if chat is not None}
    for chat in chats:
        for code in MENU_LANGUAGES:
            menus.setdefault((chat, code), menus[(None, code)])
    return menus
