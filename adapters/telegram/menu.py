"""The command menu Telegram shows next to the text field (``setMyCommands``), by scope, in Chinese and English.

Residents and chat administrators see different menus: a 200-member group's menu must not offer
residents ``/grant`` or ``/cancelproject``. So every menu comes in two scopes: the residents' one (only
commands a resident may use) and the administrators' one (everything; Telegram shows it to the chat's
admins, who are the ones linli makes organizers). Private chats get the residents' menu (the default scope).

For a new community the scopes are ``all_group_chats`` and ``all_chat_administrators``. A group whose
community has switched plugins on or off gets its own pair (``chat`` and ``chat_administrators``: Telegram
prefers both over the "all" scopes, the administrators' one first), and loses it again when it matches the
default.

Someone whose linli role in the community is above resident (an organizer granted with ``/grant`` who is
no chat admin) gets a menu of their own in each of its groups (``chat_member``, which Telegram prefers
over every other scope): what their roles allow, in the community's language, one ``setMyCommands`` per
person and group, and only when it differs from the residents' menu (a volunteer's usually does not). It is
rebuilt when their role changes and removed when they are back to resident.

What to list comes from the core (:meth:`core.adapter.AdapterHost.command_menus`,
:meth:`~core.adapter.AdapterHost.member_roles`); this module only fits it to Telegram: names Telegram
accepts (``[a-z0-9_]{1,32}``, so the Chinese aliases work when typed but are not listed), descriptions of
at most 256 characters, at most 100 commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from telegram import (
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BotCommandScopeChatMember,
    BotCommandScopeDefault,
)

from core.adapter import AdapterHost, MenuEntry
from core.permissions import Role, allows

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
#: Telegram language code of a menu ("" = users whose language has no menu of its own) → linli language.
MENU_LANGUAGES: dict[str, str | None] = {"": None, "zh": "zh_CN", "en": "en"}
DESCRIPTION_LIMIT = 256
MAX_COMMANDS = 100
RESIDENT = "resident"
#: The ``who`` of a person's own menu: ``member:<Telegram user id>``.
MEMBER = "member:"

#: (who: "residents", "admins", "default" or "member:<user id>"; chat id, or None for all chats; Telegram
#: language code)
MenuKey = tuple[str, int | None, str]
Menu = tuple[tuple[str, str], ...]


def fitted(entries: list[MenuEntry], *, admins: bool = False, roles: Iterable[str] | None = None) -> Menu:
    """The entries Telegram accepts (residents: only theirs; with ``roles``: what those roles allow),
    descriptions shortened to one line of at most 256 characters."""
    held = None if roles is None else tuple(roles)
    allowed: Callable[[MenuEntry], bool]
    if admins:
        allowed = lambda entry: True  # noqa: E731
    elif held is not None:
        allowed = lambda entry: entry.role in Role._value2member_map_ and allows(held, Role(entry.role))  # noqa: E731
    else:
        allowed = lambda entry: entry.role == RESIDENT  # noqa: E731
    out: list[tuple[str, str]] = []
    for entry in entries:
        if not COMMAND_NAME.match(entry.name) or not allowed(entry):
            continue
        text = entry.description
        if len(text) > DESCRIPTION_LIMIT:
            text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
        out.append((entry.name, text))
    return tuple(out[:MAX_COMMANDS])


def member_of(key: MenuKey) -> int | None:
    """The Telegram user a person's own menu is for; None for the other menus."""
    who = key[0]
    return int(who.removeprefix(MEMBER)) if who.startswith(MEMBER) else None


def scope_of(key: MenuKey) -> BotCommandScope:
    who, chat_id, _language = key
    member = member_of(key)
    if member is not None and chat_id is not None:
        return BotCommandScopeChatMember(chat_id, member)
    if chat_id is None:
        return BotCommandScopeAllChatAdministrators() if who == "admins" else BotCommandScopeAllGroupChats()
    return BotCommandScopeChatAdministrators(chat_id) if who == "admins" else BotCommandScopeChat(chat_id)


async def desired_menus(host: AdapterHost) -> dict[MenuKey, Menu]:
    """Every menu that should be registered now, by scope and language; ``("default", None, code)`` is the
    menu of private chats (the residents' one)."""
    menus: dict[MenuKey, Menu] = {}
    spoken: dict[int | None, list[MenuEntry]] = {}  # each chat's entries in its community's language
    for code, language in MENU_LANGUAGES.items():
        for chat_id, entries in (await host.command_menus("telegram", language)).items():
            if chat_id is not None and not chat_id.lstrip("-").isdigit():
                continue
            chat = None if chat_id is None else int(chat_id)
            if language is None:
                spoken[chat] = entries
            menus[("residents", chat, code)] = fitted(entries, admins=False)
            menus[("admins", chat, code)] = fitted(entries, admins=True)
            if chat is None:
                menus[("default", None, code)] = menus[("residents", None, code)]
    # a chat whose menu differs in any language gets its own menus in every language
    chats = {chat for _who, chat, _code in menus if chat is not None}
    for chat in chats:
        for who in ("residents", "admins"):
            for code in MENU_LANGUAGES:
                menus.setdefault((who, chat, code), menus[(who, None, code)])
    for chat_id, people in (await host.member_roles("telegram")).items():
        if not chat_id.lstrip("-").isdigit():
            continue
        chat = int(chat_id)
        entries = spoken.get(chat, spoken.get(None, []))
        residents = fitted(entries)
        for user_id, roles in people.items():
            own = fitted(entries, roles=roles)
            if user_id.isdigit() and own != residents:  # one menu, in the community's language
                menus[(MEMBER + user_id, chat, "")] = own
    return menus


def telegram_scope(key: MenuKey) -> BotCommandScope:
    """The ``BotCommandScope`` a menu key is registered under."""
    return BotCommandScopeDefault() if key[0] == "default" else scope_of(key)
