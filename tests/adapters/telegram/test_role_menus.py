"""Menus by person: an organizer made with ``/grant`` who is no chat admin gets the organizers' menu in
the group (Telegram's ``BotCommandScopeChatMember``), in the community's language, and loses it with
``/revoke``; read the way Telegram picks a menu for a user (:meth:`BotApiEmulator.menu_seen_by`)."""

from __future__ import annotations

from tests.adapters.telegram.conftest import Neighbourhood, stack
from tests.support.telegram_emulator import BotApiEmulator, EmuUser


async def test_grant_gives_a_member_the_organizers_menu_and_revoke_takes_it_away(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    group = hood.group

    def menu(user: EmuUser) -> dict[str, str]:
        return dict(emu.menu_seen_by(group, user, "zh"))

    async with stack(emu, db_url) as linli:
        await linli.start()
        emu.user_says(group, hood.wang, "/setup 观梅社区")
        emu.user_says(group, hood.zhang, "/whoami")
        emu.user_says(group, hood.li, "/whoami")
        await emu.wait_for_sent(3)
        assert "claim" in menu(hood.zhang) and "grant" not in menu(hood.zhang), "a resident's menu"
        assert "grant" in menu(hood.wang), "the chat admin's menu"

        emu.user_says(group, hood.wang, "/grant @zhangsan organizer")
        await emu.wait_until(lambda: {"grant", "newproject", "claim"} <= set(menu(hood.zhang)),
                             what="张三's menu to offer the organizers' commands")
        assert menu(hood.zhang)["grant"] == "授予某人角色", "in the community's language"
        assert "grant" not in menu(hood.li), "only 张三 got a menu of his own"
        assert "ratingreply" not in menu(hood.zhang), "nothing beyond what his roles allow"

        emu.user_says(group, hood.wang, "/language en")
        await emu.wait_until(lambda: menu(hood.zhang).get("grant") == "Give someone a role",
                             what="张三's menu to follow the community's language")

        emu.user_says(group, hood.wang, "/revoke @zhangsan organizer")
        await emu.wait_until(lambda: "grant" not in menu(hood.zhang), what="张三's organizer commands to go")
        assert "claim" in menu(hood.zhang)
        assert not emu.commands_for("chat_member", chat_id=group.id, user_id=hood.zhang.id)
        assert "grant" in menu(hood.wang)
        menu_calls = emu.calls_of("setMyCommands") + emu.calls_of("deleteMyCommands")
        assert all(call.status == 200 for call in menu_calls), "within Telegram's flood limits"


async def test_the_emulator_picks_a_menu_in_telegrams_order_of_scopes(emu: BotApiEmulator, hood: Neighbourhood) -> None:
    """The order :meth:`BotApiEmulator.menu_seen_by` follows, as the Bot API documents it."""
    from tests.support.telegram_emulator import CommandScopeKey

    group = hood.group
    emu.commands[CommandScopeKey()] = [("help", "default")]
    emu.commands[CommandScopeKey("all_group_chats")] = [("help", "groups")]
    emu.commands[CommandScopeKey("all_chat_administrators", language_code="zh")] = [("help", "admins zh")]
    assert emu.menu_seen_by(group, hood.zhang, "zh") == [("help", "groups")]
    assert emu.menu_seen_by(group, hood.wang, "zh") == [("help", "admins zh")]
    assert emu.menu_seen_by(group, hood.wang, "en") == [("help", "groups")], "no list without a language there"
    emu.commands[CommandScopeKey("chat", group.id)] = [("help", "this chat")]
    assert emu.menu_seen_by(group, hood.wang, "en") == [("help", "this chat")], "chat beats all admins"
    emu.commands[CommandScopeKey("chat_member", group.id, hood.zhang.id)] = [("help", "zhang's")]
    assert emu.menu_seen_by(group, hood.zhang, "en") == [("help", "zhang's")]
    assert emu.menu_seen_by(emu.private_chat(hood.li), hood.li) == [("help", "default")]
