"""The command menu Telegram shows next to the text field (``setMyCommands``), in Chinese and English.

The default scope lists the commands of the core and of the plugins a new community has switched on.
A group whose community has switched plugins on or off gets a menu of its own (scope ``chat``), and
loses it again when it matches the default. Only names Telegram accepts (``[a-z0-9_]{1,32}``) can be
menu entries, so the Chinese aliases (``/认领``) work when typed but are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.commands import Command
from core.identity import Channel

if TYPE_CHECKING:
    from core.app import Application

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
#: Telegram language code of a menu ("" = users whose language has no menu of its own) → linli language.
MENU_LANGUAGES: dict[str, str | None] = {"": None, "zh": "zh_CN", "en": "en"}
DESCRIPTION_LIMIT = 256
MAX_COMMANDS = 100

MenuKey = tuple[int | None, str]  # (chat id, or None for the default scope; Telegram language code)
Menu = tuple[tuple[str, str], ...]


def describe(app: Application, command: Command, language: str | None) -> str:
    """The command's help in ``language``, shortened to one line Telegram accepts."""
    text = app.translator(language, command.plugin)(command.help) if command.help else ""
    text = " ".join(text.split()) or f"/{command.name}"
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return text


def menu_for(app: Application, enabled: Callable[[str], bool], language: str | None) -> Menu:
    entries: list[tuple[str, str]] = []
    seen: set[str] = set()
    for command in app.router.table.commands:
        if command.name in seen or not COMMAND_NAME.match(command.name) or not enabled(command.plugin):
            continue
        seen.add(command.name)
        entries.append((command.name, describe(app, command, language)))
    return tuple(entries[:MAX_COMMANDS])


async def desired_menus(app: Application) -> dict[MenuKey, Menu]:
    """Every menu that should be registered now, by scope and language."""
    plugins = app.plugins

    def default(plugin: str) -> bool:
        return plugin == "core" or (plugin in plugins.manifests and plugins.default_enabled(plugin))

    menus: dict[MenuKey, Menu] = {
        (None, code): menu_for(app, default, language) for code, language in MENU_LANGUAGES.items()
    }
    rows = await Channel.filter(platform="telegram", is_direct=False).values_list("chat_id", "community_id")
    for chat_id, community_id in rows:
        if not str(chat_id).lstrip("-").isdigit():
            continue

        def here(plugin: str, community: int = int(community_id)) -> bool:
            return plugins.is_enabled(community, plugin)

        own: dict[MenuKey, Menu] = {
            (int(chat_id), code): menu_for(app, here, language) for code, language in MENU_LANGUAGES.items()
        }
        if any(menu != menus[(None, key[1])] for key, menu in own.items()):
            menus.update(own)
    return menus
