"""The Bot API emulator, driven by the real python-telegram-bot client.

These tests pin the Telegram behaviour the adapter relies on (offset confirmation, 409 conflicts,
error mapping, flood control...) as PTB actually experiences it, so that the adapter's own tests can
trust the emulator instead of telegram.org.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.support.telegram_emulator import (
    ApiError,
    BotApiEmulator,
    EmuChat,
    EmuUser,
    RateLimits,
    parse_html,
    parse_markdown_v2,
    tiny_png,
    utf16_len,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB >= 22.2 warns on every RetryAfter unless retry_after is opted in as a timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """Lenient on purpose: these tests look at one method each (the strict defaults have tests of their own)."""
    async with BotApiEmulator(privacy_mode=False, rate_limits=None, callback_timeout=None) as emulator:
        yield emulator


@pytest.fixture
def alice(emu: BotApiEmulator) -> EmuUser:
    return emu.add_user("Alice", username="alice", language_code="zh")


@pytest.fixture
def group(emu: BotApiEmulator, alice: EmuUser) -> EmuChat:
    return emu.add_chat("supergroup", title="邻里 Neighbours", creator=alice)


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@contextlib.asynccontextmanager
async def running_app(
    emu: BotApiEmulator, *handlers: BaseHandler[Any, Any, Any], allowed_updates: Sequence[str] | None = None
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """An Application polling inside the test's loop, the way the adapter embeds it (no run_polling)."""
    app = ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    for handler in handlers:
        app.add_handler(handler)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=2), allowed_updates=allowed_updates)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def collect_into(queue: asyncio.Queue[Update]) -> MessageHandler[Any, None]:
    async def put(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await queue.put(update)

    return MessageHandler(filters.ALL, put)


async def test_get_me(bot: Bot, emu: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.id == emu.bot.id
    assert me.username == "linli_test_bot"
    assert me.is_bot
    assert emu.calls_of("getMe")[0].status == 200


async def test_polled_message_is_confirmed_and_never_redelivered(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot
) -> None:
    received: asyncio.Queue[Update] = asyncio.Queue()
    text = "/start@linli_test_bot 你好 🎉 @bob #tag"
    async with running_app(emu, collect_into(received)):
        first = emu.user_says(group, alice, text)
        update = await asyncio.wait_for(received.get(), 5)
        assert update.update_id == first
        assert update.message is not None
        assert update.message.text == text
        assert update.effective_user is not None and update.effective_user.id == alice.id
        parsed = update.message.parse_entities()
        assert sorted(parsed.values()) == ["#tag", "/start@linli_test_bot", "@bob"]
        assert {e.type for e in parsed} == {
            MessageEntity.BOT_COMMAND,
            MessageEntity.MENTION,
            MessageEntity.HASHTAG,
        }

        # PTB confirms with offset = last update_id + 1 on its next getUpdates.
        await emu.wait_confirmed(first)
        assert any(c.params.get("offset") == first + 1 for c in emu.calls_of("getUpdates"))
        assert emu.pending_updates == []

        second = emu.user_says(group, alice, "second")
        update = await asyncio.wait_for(received.get(), 5)
        assert update.update_id == second
    assert received.empty()
    # The updater's shutdown confirmed the last update: a restarted bot gets nothing again.
    assert await bot.get_updates(timeout=0) == ()


async def test_get_updates_long_poll_offset_and_limit(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot
) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: emu.long_polling, what="a long poll")
    started = emu.clock()
    first = emu.user_says(group, alice, "one")
    updates = await polling
    assert [u.update_id for u in updates] == [first]
    assert emu.clock() - started < 1, "a long poll must return as soon as an update arrives"

    second = emu.user_says(group, alice, "two")
    # Not confirmed yet: the first update comes again, in order, and limit applies.
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert emu.is_confirmed(first) and emu.is_confirmed(second)

    started = emu.clock()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.3)) == ()
    assert emu.clock() - started >= 0.25, "an empty long poll waits for its timeout"


async def test_overlapping_get_updates_is_conflict(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_until(lambda: emu.long_polling, what="a long poll")
    async with Bot(emu.token, base_url=emu.base_url) as other_instance:
        assert await other_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_send_message_with_inline_keyboard_is_recorded(emu: BotApiEmulator, group: EmuChat, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="vote:yes"),
                InlineKeyboardButton("Site", url="https://example.org"),
            ]
        ]
    )
    message = await bot.send_message(group.id, "  <b>Vote</b> &amp; win  ", parse_mode="HTML", reply_markup=keyboard)

    assert message.text == "Vote & win"  # parsed and trimmed, like Telegram
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 4),)
    assert message.reply_markup == keyboard
    [sent] = await emu.wait_for_sent(1)
    assert sent.chat_id == group.id
    assert sent.message_id == message.message_id
    assert sent.text == "  <b>Vote</b> &amp; win  "
    assert sent.plain_text == "Vote & win"
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "vote:yes"}, {"text": "Site", "url": "https://example.org"}]
        ]
    }
    assert sent.callback_data == ["vote:yes"]
    assert 0 <= emu.clock() - sent.time < 5
    # PTB sends a form body where objects are JSON strings; the record holds them decoded.
    assert isinstance(emu.calls_of("sendMessage")[0].params["reply_markup"], dict)

    reply = await bot.send_message(group.id, "re", reply_to_message_id=message.message_id)
    assert reply.reply_to_message is not None and reply.reply_to_message.message_id == message.message_id
    assert emu.sent[-1].reply_to_message_id == message.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(group.id, "re", reply_to_message_id=999)


async def test_callback_query_is_answered_and_message_edited(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat
) -> None:
    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"Thanks for {query.data}")
        await query.edit_message_text("Voted ✅")

    async with running_app(emu, CallbackQueryHandler(on_press)) as app:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="vote:yes")]])
        message = await app.bot.send_message(group.id, "Vote?", reply_markup=keyboard)
        with pytest.raises(ValueError, match="no button"):
            emu.user_presses(group, alice, message.message_id, "vote:no")
        emu.user_presses(group, alice, message.message_id, "vote:yes")

        [answer] = await emu.wait_for_callback_answers(1)
        assert answer.text == "Thanks for vote:yes"
        assert (answer.data, answer.user_id, answer.message_id) == ("vote:yes", alice.id, message.message_id)
        await emu.wait_until(lambda: len(emu.edits) == 1, what="the edit")

        current = emu.message(group, message.message_id)
        assert current is not None and current["text"] == "Voted ✅"
        assert "reply_markup" not in current, "editMessageText without reply_markup drops the keyboard"
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await app.bot.answer_callback_query(answer.callback_query_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text("Voted ✅", chat_id=group.id, message_id=message.message_id)


async def test_an_expired_callback_query_cannot_be_answered(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="vote:yes")]])
    message = await bot.send_message(group.id, "Vote?", reply_markup=keyboard)
    emu.user_presses(group, alice, message.message_id, "vote:yes")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert emu.expire_callback_queries() == 1
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(update.callback_query.id, text="late", show_alert=True)
    assert emu.callback_answers == []


async def test_photo_get_file_and_download(emu: BotApiEmulator, alice: EmuUser, bot: Bot) -> None:
    chat = emu.private_chat(alice)
    picture = tiny_png(400, 300)
    update_id = emu.user_sends_photo(chat, alice, picture, caption="our garden")
    [update] = await bot.get_updates()
    assert update.update_id == update_id and update.message is not None
    sizes = update.message.photo
    assert len(sizes) == 3 and (sizes[-1].width, sizes[-1].height) == (400, 300)
    assert sizes[0].width == 90
    file = await bot.get_file(sizes[-1].file_id)
    assert file.file_path is not None and file.file_path.startswith(emu.base_file_url)
    assert bytes(await file.download_as_bytearray()) == picture

    uploaded = tiny_png(20, 10)
    sent = await bot.send_photo(chat.id, uploaded, caption="<i>map</i>", parse_mode="HTML")
    assert sent.caption == "map"
    assert emu.sent[-1].photo_file_id == sent.photo[-1].file_id
    downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == uploaded
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(chat.id, b"definitely not an image")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_send_document_stores_the_bytes_and_checks_the_caption(
    emu: BotApiEmulator, group: EmuChat, bot: Bot
) -> None:
    pdf = b"%PDF-1.4\n%linli test\n"
    sent = await bot.send_document(group.id, pdf, filename="证书.pdf", caption="服务证书")
    assert sent.document is not None
    assert (sent.document.file_name, sent.caption) == ("证书.pdf", "服务证书")
    [record] = emu.sent
    assert (record.method, record.file_name, record.mime_type, record.plain_text) == (
        "sendDocument", "证书.pdf", "application/pdf", "服务证书")
    assert record.file_data == pdf
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == pdf
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(group.id, b"a,b\n", filename="x.csv", caption="长" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)must be non-empty"):
        await bot.send_document(group.id, b"", filename="empty.csv")
    assert len(emu.sent) == 1


async def test_429_surfaces_as_retry_after(emu: BotApiEmulator, group: EmuChat, bot: Bot) -> None:
    emu.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group.id, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert emu.sent == []
    await bot.send_message(group.id, "hi")  # the fault was used up
    assert [c.status for c in emu.calls_of("sendMessage")] == [429, 200]
    assert emu.calls_of("sendMessage")[0].error == "Too Many Requests: retry after 7"


async def test_5xx_is_network_error_and_dropped_connections(emu: BotApiEmulator, group: EmuChat, bot: Bot) -> None:
    emu.fail_next("sendMessage", status=502, raw_body="<html>502 Bad Gateway</html>")
    emu.fail_next("sendMessage", status=500)
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(group.id, "hi")
        assert type(caught.value) is NetworkError  # not BadRequest, which subclasses NetworkError

    emu.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(group.id, "lost before")
    assert emu.sent == []

    emu.drop_next("sendMessage", after_processing=True)
    with pytest.raises(NetworkError):
        await bot.send_message(group.id, "lost after")
    assert [s.plain_text for s in emu.sent] == ["lost after"], "the message went out, only the answer was lost"


async def test_ptb_rate_limiter_retries_after_429(emu: BotApiEmulator, group: EmuChat) -> None:
    emu.fail_next("sendMessage", retry_after=0.2)  # Telegram sends whole seconds; fractions keep this fast
    limiter = AIORateLimiter(max_retries=1)
    async with ExtBot(emu.token, base_url=emu.base_url, rate_limiter=limiter) as bot:
        await bot.send_message(group.id, "eventually")
    assert [c.status for c in emu.calls_of("sendMessage")] == [429, 200]
    calls = emu.calls_of("sendMessage")
    assert calls[1].time - calls[0].time >= 0.2


async def test_timed_out_call_still_takes_effect(emu: BotApiEmulator, group: EmuChat) -> None:
    emu.delay_next("sendMessage", 0.4)
    impatient = HTTPXRequest(read_timeout=0.1)
    async with Bot(emu.token, base_url=emu.base_url, request=impatient) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(group.id, "slow")
    [sent] = await emu.wait_for_sent(1)
    assert sent.plain_text == "slow", "Telegram delivers a message whose answer the client gave up on"


async def test_add_method_serves_unemulated_methods(emu: BotApiEmulator, group: EmuChat, bot: Bot) -> None:
    with pytest.raises(InvalidToken):  # PTB's reading of a 404 outside do_api_request
        await bot.get_chat_member_count(group.id)

    def member_count(params: dict[str, Any]) -> int:
        if params["chat_id"] != group.id:
            raise ApiError(400, "Bad Request: chat not found")
        return 42

    emu.add_method("getChatMemberCount", member_count)
    assert await bot.get_chat_member_count(group.id) == 42
    with pytest.raises(BadRequest):
        await bot.get_chat_member_count(-5)


async def test_webhook_conflicts_with_polling_and_delivers_with_secret(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        ok = request.headers.get("X-Telegram-Bot-Api-Secret-Token") == "s3cret"
        return web.Response(status=200 if ok else 403)

    receiver = web.Application()
    receiver.router.add_post("/tg", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
            await bot.set_webhook("http://bot.example.org/tg")
        assert await bot.set_webhook("https://bot.example.org/tg", secret_token="s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()

        update_id = emu.user_says(group, alice, "via webhook")
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == ("https://bot.example.org/tg", 1)

        assert await emu.deliver_webhook(f"http://127.0.0.1:{port}/tg", "wrong") == 403
        assert emu.pending_updates != [], "a refused update stays pending"
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"

        assert await emu.deliver_webhook(f"http://127.0.0.1:{port}/tg", "s3cret") == 200
        assert received[-1] == ("s3cret", emu.injected[update_id])
        assert emu.pending_updates == [] and emu.is_confirmed(update_id)
        assert await emu.deliver_webhook(f"http://127.0.0.1:{port}/tg", "s3cret") is None
    finally:
        await runner.cleanup()

    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_wrong_token_and_unknown_method(emu: BotApiEmulator, bot: Bot) -> None:
    for token in ("4242424242:AAWrongWrongWrongWrongWrongWrongWro", "not-a-token"):
        async with contextlib.AsyncExitStack() as stack:
            with pytest.raises(InvalidToken):
                await stack.enter_async_context(Bot(token, base_url=emu.base_url))
    assert [c.status for c in emu.calls_of("getMe")][-2:] == [401, 404]
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_rate_limit_mode(emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot) -> None:
    emu.set_rate_limits(RateLimits(per_chat_interval=10))
    await bot.send_message(group.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group.id, "two")
    assert caught.value.retry_after == dtm.timedelta(seconds=10)
    await bot.send_message(emu.private_chat(alice).id, "another chat is fine")
    emu.set_rate_limits(None)
    await bot.send_message(group.id, "limits off")
    assert [s.plain_text for s in emu.sent] == ["one", "another chat is fine", "limits off"]


async def test_telegram_rejections(emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r'(?i)can.t parse entities: unsupported start tag "br"'):
        await bot.send_message(group.id, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(group.id, "*Done*.", parse_mode="MarkdownV2")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(group.id, "hi", reply_markup=too_long)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-1, "hi")

    stranger = emu.add_user("Stranger")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(emu.private_chat(stranger, started=False).id, "hi")
    private = emu.private_chat(alice)
    emu.member_update(private, emu.bot, "kicked", actor=alice)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(private.id, "hi")

    old_group = emu.add_chat("group", title="old", members=[alice])
    new_group = emu.migrate_to_supergroup(old_group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(old_group.id, "hi")
    assert caught.value.new_chat_id == new_group.id


async def test_commands_per_scope_and_language(emu: BotApiEmulator, group: EmuChat, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("points", "Show points")])
    scope = BotCommandScopeChat(group.id)
    await bot.set_my_commands([BotCommand("points", "查看积分")], scope=scope, language_code="zh")

    assert [c.description for c in await bot.get_my_commands()] == ["Show points"]
    assert [c.description for c in await bot.get_my_commands(scope=scope, language_code="zh")] == ["查看积分"]
    assert await bot.get_my_commands(scope=scope) == ()  # no fallback between scopes or languages
    assert emu.commands_for("chat", chat_id=group.id, language_code="zh") == [("points", "查看积分")]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Points!", "bad")])


async def test_chat_members_and_administrators(emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot) -> None:
    bob = emu.add_user("Bob")
    carol = emu.add_user("Carol")
    emu.add_admin(group, bob)
    emu.set_member(group, carol, "member")

    assert (await bot.get_chat_member(group.id, alice.id)).status == "creator"
    assert (await bot.get_chat_member(group.id, carol.id)).status == "member"
    outsider = emu.add_user("Dan")
    assert (await bot.get_chat_member(group.id, outsider.id)).status == "left"
    admins = await bot.get_chat_administrators(group.id)
    assert [(a.user.id, a.status) for a in admins] == [(alice.id, "creator"), (bob.id, "administrator")]
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(emu.private_chat(alice).id)


async def test_member_updates_follow_allowed_updates_and_admin_rule(
    emu: BotApiEmulator, alice: EmuUser, group: EmuChat, bot: Bot
) -> None:
    bob = emu.add_user("Bob", username="bobby")
    emu.member_update(group, bob, "member")
    assert "opt-in" in emu.filtered[-1].reason
    assert await bot.get_updates(allowed_updates=Update.ALL_TYPES) == ()

    emu.member_update(group, bob, "left")
    assert "administrators" in emu.filtered[-1].reason
    promoted = emu.member_update(group, emu.bot, "administrator", actor=alice)
    joined = emu.member_update(group, bob, "member", actor=bob)
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [promoted, joined]
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == "administrator"
    assert updates[1].chat_member is not None
    assert (updates[1].chat_member.old_chat_member.status, updates[1].chat_member.new_chat_member.status) == (
        "left",
        "member",
    )


async def test_privacy_mode_hides_plain_group_chatter() -> None:
    async with BotApiEmulator(privacy_mode=True) as emu:
        alice = emu.add_user("Alice")
        group = emu.add_chat("group", members=[alice])
        emu.user_says(group, alice, "just chatting")
        emu.user_says(group, alice, "/help@other_bot")
        command = emu.user_says(group, alice, "/help")
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            assert not (await bot.get_me()).can_read_all_group_messages
            assert [u.update_id for u in await bot.get_updates()] == [command]
        assert len(emu.filtered) == 2


async def test_reaches_bot_in_group_follows_privacy_mode() -> None:
    private = BotApiEmulator(privacy_mode=True)
    assert private.reaches_bot_in_group("/claim 1")
    assert private.reaches_bot_in_group("/claim@linli_test_bot 1")
    assert not private.reaches_bot_in_group("/认领 1"), "not a command to Telegram"
    assert not private.reaches_bot_in_group("/claim@other_bot 1")
    assert not private.reaches_bot_in_group("请发送 /claim 1"), "a command only counts at the start"
    assert BotApiEmulator(privacy_mode=False).reaches_bot_in_group("/认领 1")


async def test_text_parsers_use_utf16_offsets() -> None:
    text, entities = parse_html("🎉 <b>邻里</b> <a href='https://x.org'>link</a>")
    assert text == "🎉 邻里 link"
    assert entities == [
        {"offset": 3, "length": 2, "type": "bold"},
        {"offset": 6, "length": 4, "type": "text_link", "url": "https://x.org"},
    ]
    text, entities = parse_markdown_v2(r"*bold _both_* \. [a](https://x.org/\(1\))")
    assert text == "bold both . a"
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link"]
    assert entities[2]["url"] == "https://x.org/(1)"
    assert utf16_len("🎉a") == 3
    assert json.loads(json.dumps(entities)) == entities
