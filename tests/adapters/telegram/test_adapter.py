"""The adapter feature by feature, against the emulator: menus, admins, photos, long
texts, edits, other bots, expired buttons, migrated groups, and what happens when things go wrong."""

from __future__ import annotations

import logging
import re

import pytest
from pydantic import SecretStr
from telegram import Bot

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import TelegramSettings
from core.app import Application
from core.config import ConfigError, Settings, WebSettings
from core.events import Button, OutgoingMessage
from tests.adapters.telegram.conftest import Neighbourhood, channel, stack, strict_emulator
from tests.adapters.telegram.test_delivery import failing_commits
from tests.support.telegram_emulator import BotApiEmulator, tiny_png

SETUP_REPLY = "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"


# -- the command menu ----------------------------------------------------------------------------------
async def test_the_command_menu_in_chinese_and_english_follows_the_community(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str
) -> None:
    async with stack(emu, db_url) as linli:
        await linli.start()
        zh, en = emu.commands_for(language_code="zh"), emu.commands_for(language_code="en")
        assert ("claim", "认领项目的一个名额（名额有编号的可指定，如 A12）") in zh
        assert ("claim", "Claim a place in a project (a named place such as A12 if it has them)") in en
        assert emu.commands_for() == zh, "users with another client language get the installation's"
        assert {"setup", "help", "claim", "projects"} <= {name for name, _ in zh}
        assert all(re.fullmatch(r"[a-z0-9_]{1,32}", name) for name, _ in zh), "no Chinese aliases in the menu"
        assert [name for name, _ in zh] == [name for name, _ in en]

        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        emu.user_says(hood.group, hood.wang, "/disable claims")
        await emu.wait_for_sent(2)
        await emu.wait_until(lambda: bool(emu.commands_for("chat", chat_id=hood.group.id, language_code="zh")),
                             what="a menu of the group's own")
        own = [name for name, _ in emu.commands_for("chat", chat_id=hood.group.id, language_code="zh")]
        assert "claim" not in own and "setup" in own

        emu.user_says(hood.group, hood.wang, "/enable claims")
        await emu.wait_until(
            lambda: not emu.commands_for("chat", chat_id=hood.group.id, language_code="zh")
            and not emu.commands_for("chat", chat_id=hood.group.id, language_code="en"),
            what="the group's menu to fall back to the default")


async def test_a_group_whose_community_speaks_english_gets_its_menus_in_english(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        emu.user_says(hood.group, hood.wang, "/language en")
        emu.user_says(hood.group, hood.wang, "/disable thanks")  # a switched plugin updates the menus
        await emu.wait_for_sent(3)
        def settled() -> bool:  # menus go out one call after another, within the flood limits: wait for the last
            own = dict(emu.commands_for("chat", chat_id=hood.group.id))
            chinese = dict(emu.commands_for("chat", chat_id=hood.group.id, language_code="zh"))
            return "claim" in own and "thanks" not in own and "claim" in chinese and "thanks" not in chinese

        await emu.wait_until(settled, what="the group's menus in every language")
        menu = dict(emu.commands_for("chat", chat_id=hood.group.id))  # users whose language has no menu
        assert menu["claim"] == "Claim a place in a project (a named place such as A12 if it has them)"
        assert "thanks" not in menu
        assert dict(emu.commands_for("chat", chat_id=hood.group.id, language_code="zh"))["claim"].startswith("认领")


# -- roles ---------------------------------------------------------------------------------------------
async def test_chat_admins_are_recognised_and_promotions_are_followed(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        emu.user_says(hood.group, hood.zhang, "/setup 观梅社区")
        [refused] = await emu.wait_for_sent(1)
        assert refused.plain_text == "只有本群的管理员才能把它设置为社区。"
        assert len(emu.calls_of("getChatAdministrators")) == 1

        # The group makes the bot an admin (so Telegram sends it chat_member updates), then promotes 张三.
        emu.member_update(hood.group, emu.bot, "administrator", actor=hood.wang)
        promoted = emu.member_update(hood.group, hood.zhang, "administrator", actor=hood.wang)
        await emu.wait_confirmed(promoted)
        emu.user_says(hood.group, hood.zhang, "/setup 观梅社区")
        [_, accepted] = await emu.wait_for_sent(2)
        assert accepted.plain_text == "观梅社区设置好了，张三 是组织者。发送 /help 查看可用命令。"
        assert [e.sender.is_chat_admin for e in running.events] == [False, True]

        emu.member_update(hood.group, hood.zhang, "member", actor=hood.wang)
        emu.user_says(hood.group, hood.zhang, "/whoami")
        await emu.wait_for_sent(3)
        assert running.events[-1].sender.is_chat_admin is False
        assert len(emu.calls_of("getChatAdministrators")) == 2, "cached, refreshed on my_chat_member only"


# -- inbound details -----------------------------------------------------------------------------------
async def test_commands_for_other_bots_are_ignored_and_start_shows_the_help(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        ignored = emu.user_says(hood.group, hood.wang, "/help@other_bot")
        emu.user_says(hood.group, hood.wang, "/setup@linli_test_bot 观梅社区")
        [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
        assert emu.is_confirmed(ignored), "ignored, but acknowledged"
        private = emu.private_chat(hood.zhang)
        emu.user_says(private, hood.zhang, "/start")
        [_, welcome] = await emu.wait_for_sent(2)
        assert welcome.chat_id == private.id and welcome.plain_text
        assert [(e.text, e.channel.is_direct) for e in running.events] == [
            ("/setup 观梅社区", False), ("/help", True)]
        assert running.events[1].sender.language == "zh_CN"


async def test_in_privacy_mode_latin_commands_still_reach_the_bot(sqlite_url: str) -> None:
    async with strict_emulator(privacy_mode=True) as emu:
        wang = emu.add_user("王书记")
        group = emu.add_chat("group", title="观梅", creator=wang)
        async with stack(emu, sqlite_url) as linli:
            running = await linli.start()
            emu.user_says(group, wang, "大家好")
            emu.user_says(group, wang, "/设置社区 观梅社区")  # not a command to Telegram: never delivered
            emu.user_says(group, wang, "/setup 观梅社区")
            [reply] = await emu.wait_for_sent(1)
            assert reply.plain_text == SETUP_REPLY
            assert [e.text for e in running.events] == ["/setup 观梅社区"]
            assert len(emu.filtered) == 2


async def test_a_photo_is_evidence_fetched_only_when_asked_for(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    picture = tiny_png(640, 480)
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        update_id = emu.user_sends_photo(hood.group, hood.zhang, picture, caption="/done 1 单车都挪好了")
        await emu.wait_confirmed(update_id)
        await running.app.settle()  # confirmed once stored; handled from the inbox after
        [event] = running.events
        assert event.text == "/done 1 单车都挪好了"
        [photo] = event.attachments
        assert (photo.kind, photo.caption) == ("photo", "/done 1 单车都挪好了")
        assert emu.calls_of("getFile") == [], "nothing downloaded until a plugin asks"
        assert await running.adapter.fetch_attachment(photo.ref) == picture
        assert emu.calls_of("getFile")[0].params["file_id"] == photo.ref
        assert emu.injected[update_id]["message"]["photo"][-1]["file_id"] == photo.ref, "the largest size"


async def test_a_reply_and_a_mention_reach_the_core(emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str) -> None:
    emu.set_member(hood.group, emu.bot, "administrator")  # an admin bot sees plain chat, privacy mode or not
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        first = emu.user_says(hood.group, hood.zhang, "大家好")
        await emu.wait_confirmed(first)
        replied = emu.injected[first]["message"]["message_id"]
        second = emu.user_says(hood.group, hood.wang, "谢谢 @zhangsan 和 李四", reply_to=replied,
                               text_mentions={"李四": hood.li})
        await emu.wait_confirmed(second)
        await running.app.settle()  # confirmed once stored; handled from the inbox after
        event = running.events[-1]
        assert event.reply_to_message_id == str(replied)
        assert {m.display_name for m in event.mentions} == {"张三", "李四"}


async def test_an_expired_button_is_answered_and_goes_no_further(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        old_buttons = ((Button("认领", "/claim 1"),),)
        await running.adapter.send(OutgoingMessage(channel(hood.group), "旧消息", buttons=old_buttons))
        [old] = await emu.wait_for_sent(1)
        pressed = emu.user_presses(hood.group, hood.zhang, old.message_id, "~0123456789abcdef", check_button=False)
        [answer] = await emu.wait_for_callback_answers(1)
        assert answer.text == "这个按钮已过期，请重新发送命令。"
        await emu.wait_confirmed(pressed)
        assert running.events == []


# -- outbound details ----------------------------------------------------------------------------------
async def test_a_long_text_is_split_at_line_ends_with_the_buttons_under_the_last_part(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    lines = [f"#{n} 整治共享单车，把门口的单车挪到停车线里" for n in range(400)]
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        await adapter.send(OutgoingMessage(channel(hood.group), "\n".join(lines), reply_to_message_id="1",
                                           buttons=((Button("认领 #1", "/claim 1"),),)))
        await adapter.flush()
    assert len(emu.sent) >= 3
    assert all(len(s.plain_text or "") <= 4096 for s in emu.sent)
    assert "\n".join(s.plain_text or "" for s in emu.sent) == "\n".join(lines)
    assert [s.reply_markup is not None for s in emu.sent] == [False] * (len(emu.sent) - 1) + [True]
    assert emu.calls_of("sendMessage")[0].params["reply_parameters"] == {
        "message_id": 1, "allow_sending_without_reply": True}
    assert all("reply_parameters" not in c.params for c in emu.calls_of("sendMessage")[1:])


async def test_the_core_can_edit_the_bots_own_messages(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    buttons = ((Button("认领 #1", "/claim 1"),),)
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        await adapter.send(OutgoingMessage(channel(hood.group), "剩余名额 2/2", buttons=buttons))
        await adapter.flush()
        mid = str(emu.sent[0].message_id)
        for _ in range(2):  # the second edit changes nothing: Telegram says "not modified", which is fine
            edit = OutgoingMessage(channel(hood.group), "剩余名额 1/2", buttons=buttons, edit_message_id=mid)
            await adapter.send(edit)
        await adapter.send(OutgoingMessage(channel(hood.group), "新消息", edit_message_id="999"))
        await adapter.flush()
    assert [e.plain_text for e in emu.edits] == ["剩余名额 1/2"]
    assert emu.edits[0].reply_markup == {"inline_keyboard": [[{"text": "认领 #1", "callback_data": "/claim 1"}]]}
    assert [s.plain_text for s in emu.sent] == ["剩余名额 2/2", "新消息"], "an edit that cannot be made is sent"


async def test_a_group_upgraded_to_a_supergroup_keeps_its_community(emu: BotApiEmulator, sqlite_url: str) -> None:
    wang = emu.add_user("王书记")
    old = emu.add_chat("group", title="老邻居群", creator=wang)
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        emu.user_says(old, wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        new = emu.migrate_to_supergroup(old)
        await emu.wait_confirmed(max(emu.injected))
        emu.user_says(new, wang, "/setup 观梅社区")
        [_, again] = await emu.wait_for_sent(2)
        assert again.chat_id == new.id and again.plain_text == "本群已经属于观梅社区。"

        await linli.stop()
        adapter = (await linli.start()).adapter  # a fresh process knows nothing of the move...
        await adapter.send(OutgoingMessage(channel(old), "通知：周六大扫除"))
        await adapter.flush()
    assert (emu.sent[-1].chat_id, emu.sent[-1].plain_text) == (new.id, "通知：周六大扫除"), "...Telegram tells it"


# -- when things go wrong ------------------------------------------------------------------------------
async def test_a_rejected_token_stops_start_up_with_a_clear_error(emu: BotApiEmulator, sqlite_url: str) -> None:
    wrong = "4242424242:AAWrongWrongWrongWrongWrongWrongWro"
    async with stack(emu, sqlite_url, token=SecretStr(wrong)) as linli:
        with pytest.raises(ConfigError) as caught:
            await linli.start()
    message = str(caught.value)
    assert message.startswith("telegram: the bot token in LINLI_TELEGRAM__TOKEN was rejected by Telegram")
    assert wrong not in message and "AAWrong" not in message


def test_configuration_mistakes_name_the_setting() -> None:
    host = Application(Settings(), load_builtins=False, load_entry_points=False).adapter_services
    with pytest.raises(ConfigError, match="LINLI_TELEGRAM__TOKEN"):
        TelegramAdapter(host, TelegramSettings())
    with pytest.raises(ConfigError, match="must start with /telegram/"):
        TelegramAdapter(host, TelegramSettings(token=SecretStr("1:x"), mode="webhook",
                                               webhook_url="https://example.org/hook"))
    no_web = Application(Settings(web=WebSettings(enabled=False)), load_builtins=False, load_entry_points=False)
    with pytest.raises(ConfigError, match="needs linli's web server"):
        TelegramAdapter(no_web.adapter_services, TelegramSettings(
            token=SecretStr("1:x"), mode="webhook", webhook_url="https://example.org/telegram/hook"))


async def test_a_second_poller_is_reported_and_polling_recovers(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        await emu.wait_until(lambda: emu.long_polling, what="the long poll")
        async with Bot(emu.token, base_url=emu.base_url) as intruder:
            await intruder.get_updates(timeout=0)  # Telegram ends our long poll with 409 Conflict
        await emu.wait_until(lambda: running.adapter.conflicts >= 1, what="the conflict")
        assert "another program is receiving this bot's updates" in caplog.text
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
    assert emu.token not in caplog.text, "the token never reaches a log"
    assert emu.token.split(":")[1] not in caplog.text


async def test_network_errors_and_5xx_are_retried(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu.fail_next("getUpdates", status=502, raw_body="<html>502 Bad Gateway</html>")
    emu.drop_next("getUpdates")
    emu.fail_next("getUpdates", status=500)
    emu.fail_next("sendMessage", status=500, times=2)
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        [reply] = await emu.wait_for_sent(1)
        await emu.wait_confirmed(update_id)
    assert reply.plain_text == SETUP_REPLY
    assert [c.status for c in emu.calls_of("getUpdates")][:3] == [502, None, 500]
    assert [c.status for c in emu.calls_of("sendMessage")] == [500, 500, 200]
    assert caplog.text.count("cannot fetch updates") == 1, "reported once, not once per retry"


async def test_a_send_whose_answer_was_lost_is_sent_again_after_the_longest_pause(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """Telegram has no idempotency key: a lost answer means the message may show twice. It is never
    silently lost, and the second copy waits ``delivery.retry_cap`` so a short glitch costs one copy."""
    emu.drop_next("sendMessage", after_processing=True, chat_id=hood.group.id)
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        await running.post(OutgoingMessage(channel(hood.group), "周六大扫除"))
    assert [s.plain_text for s in emu.sent] == ["周六大扫除", "周六大扫除"]
    first, second = emu.calls_of("sendMessage")
    assert second.time - first.time >= linli.settings.delivery.retry_cap * 0.99


async def test_a_send_during_an_outage_is_retried_until_telegram_is_back_and_shows_once(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    """Connections dropped before anything was handled, far more often than the old six attempts: while
    Telegram answers nothing at all, a lost answer does not count towards the duplicate bound."""
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        emu.drop_next("*", times=12)
        await running.post(OutgoingMessage(channel(hood.group), "周六大扫除"))
    assert [s.plain_text for s in emu.sent] == ["周六大扫除"]
    statuses = [c.status for c in emu.calls_of("sendMessage")]
    assert statuses[-1] == 200 and statuses.count(None) >= 2, statuses


async def test_the_webhook_wants_the_secret_and_a_failure_makes_telegram_retry(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url, webhook=True) as linli:
        running = await linli.start()
        url = f"http://127.0.0.1:{linli.port}/telegram/hook"
        update_id = emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        assert await emu.deliver_webhook(url, secret_token="") == 401
        assert await emu.deliver_webhook(url, secret_token="wrong") == 401
        async with failing_commits(running, lambda n: True):
            assert await emu.deliver_webhook() == 500
        assert not emu.is_confirmed(update_id) and emu.sent == []
        assert await emu.deliver_webhook() == 200
        [reply] = await emu.wait_for_sent(1)
        assert reply.plain_text == SETUP_REPLY
        assert len(running.events) == 1


async def test_a_command_said_just_before_the_upgrade_is_answered_for_its_community(
        emu: BotApiEmulator, db_url: str) -> None:
    """The command and the news of the upgrade arrive in one batch: the adapter moves the binding while
    reading the batch, before the core handles the command from its inbox. The command still belongs to
    the community (not "this group has no community yet") and is answered in the supergroup."""
    wang = emu.add_user("王书记")
    old = emu.add_chat("group", title="老邻居群", creator=wang)
    async with stack(emu, db_url) as linli:
        await linli.start()
        emu.user_says(old, wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        emu.user_says(old, wang, "/whoami")  # no await in between: one getUpdates answer holds both
        new = emu.migrate_to_supergroup(old)
        [_, who] = await emu.wait_for_sent(2)
    assert who.plain_text is not None and "还没有设置社区" not in who.plain_text, who.plain_text
    assert "观梅社区" in who.plain_text and who.chat_id == new.id
