"""Telegram objects ↔ the core's neutral model, on updates shaped by the emulator (no network)."""

from __future__ import annotations

import pytest
from telegram import Update

from adapters.telegram.mapping import (
    addressed_text,
    channel_of,
    group_admins_of,
    identity_of,
    language_of,
    mentions_of,
    photo_of,
    split_text,
    text_and_entities,
    thread_of,
    utf16_len,
    writes_as_group,
)
from core.events import IdentityRef
from tests.support.telegram_emulator import BotApiEmulator, tiny_png


@pytest.fixture
def world() -> BotApiEmulator:
    return BotApiEmulator()  # never started: only its world model and update shapes are used


def update(emu: BotApiEmulator, update_id: int) -> Update:
    parsed = Update.de_json(emu.injected[update_id], None)
    assert parsed is not None
    return parsed


def test_chats_and_people(world: BotApiEmulator) -> None:
    alice = world.add_user("Alice", last_name="Li", username="alice", language_code="en-GB")
    group = world.add_chat("supergroup", title="邻里", members=[alice])
    message = update(world, world.user_says(group, alice, "hi")).message
    assert message is not None and message.from_user is not None
    assert channel_of(message.chat).key == f"telegram:{group.id}"
    assert channel_of(message.chat).title == "邻里" and not channel_of(message.chat).is_direct
    assert identity_of(message.from_user, is_admin=True) == IdentityRef(
        "telegram", str(alice.id), "Alice Li", username="alice", is_chat_admin=True, language="en")
    private = update(world, world.user_says(world.private_chat(alice), alice, "hi")).message
    assert private is not None and channel_of(private.chat).is_direct
    assert channel_of(private.chat).title == "Alice Li"


def test_topics_and_anonymous_admins(world: BotApiEmulator) -> None:
    alice = world.add_user("Alice")
    forum = world.add_chat("supergroup", title="街道", creator=alice, is_forum=True)
    plain = world.add_chat("supergroup", title="邻里", creator=alice)
    topic = world.create_topic(forum, alice, "志愿服务")
    in_topic = update(world, world.user_says(forum, alice, "/claim 1", thread=topic)).message
    in_general = update(world, world.user_says(forum, alice, "/claim 1")).message
    first = world.user_says(plain, alice, "hi")
    reply = update(world, world.user_says(plain, alice, "/claim 1",
                                          reply_to=world.injected[first]["message"]["message_id"])).message
    assert in_topic is not None and in_general is not None and reply is not None
    assert thread_of(in_topic) == str(topic) and thread_of(in_general) is None
    assert thread_of(reply) is None, "a reply outside forums is no topic"
    assert channel_of(in_topic.chat, thread_of(in_topic)).key == channel_of(in_general.chat).key, "one binding"
    anonymous = update(world, world.admin_says_anonymously(forum, alice, "/setup 观梅")).message
    assert anonymous is not None and writes_as_group(anonymous) and not writes_as_group(in_topic)
    admins = group_admins_of(anonymous.chat, "街道的管理员")
    assert admins.as_group and admins.is_chat_admin and not admins.user_id.lstrip("-").isdigit()


@pytest.mark.parametrize(("code", "language"), [("zh-hans", "zh_CN"), ("zh-TW", "zh_CN"), ("en", "en"),
                                                ("ru", None), (None, None)])
def test_client_languages(code: str | None, language: str | None) -> None:
    assert language_of(code) == language


@pytest.mark.parametrize(("text", "handed"), [
    ("/help", "/help"),
    ("/help@linli_test_bot", "/help"),
    ("/claim@Linli_Test_Bot 3 A1", "/claim 3 A1"),
    ("/help@other_bot", None),
    ("/claim@other_bot 3", None),
    ("hello @linli_test_bot", "hello @linli_test_bot"),
    ("／认领 1", "／认领 1"),
])
def test_commands_addressed_to_this_bot_or_another(text: str, handed: str | None) -> None:
    assert addressed_text(text, "linli_test_bot") == handed


def test_mentions_with_and_without_a_username(world: BotApiEmulator) -> None:
    alice = world.add_user("Alice", username="alice")
    bob = world.add_user("Bob")  # no username: mentioned by picking him from the member list
    group = world.add_chat("group", members=[alice, bob])
    message = update(world, world.user_says(group, alice, "/thanks Bob @carol @alice @linli_test_bot",
                                            text_mentions={"Bob": bob})).message
    assert message is not None
    _, entities = text_and_entities(message)
    known = {"alice": identity_of(message.from_user)} if message.from_user else {}
    found = mentions_of(entities, known=lambda name: known.get(name.lower()), bot_username="linli_test_bot")
    assert [(m.user_id, m.display_name) for m in found] == [(str(bob.id), "Bob"), (str(alice.id), "Alice")]


def test_photo_is_its_largest_size_with_the_caption(world: BotApiEmulator) -> None:
    alice = world.add_user("Alice")
    chat = world.private_chat(alice)
    message = update(world, world.user_sends_photo(chat, alice, tiny_png(900, 600), caption="/done 1 搞定")).message
    assert message is not None
    attachment = photo_of(message)
    assert attachment is not None and attachment.kind == "photo"
    assert attachment.ref == message.photo[-1].file_id and message.photo[-1].width == 900
    assert text_and_entities(message)[0] == "/done 1 搞定"


def test_split_text_at_line_ends_within_the_limit() -> None:
    assert split_text("short") == ["short"]
    assert split_text("   \n  ") == []
    lines = [f"{n:04d} " + "邻" * 90 for n in range(200)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text, "nothing lost, lines kept whole"
    exact = "x" * 4096
    assert split_text(exact) == [exact]


def test_split_text_cuts_an_endless_line_and_counts_emoji_as_two() -> None:
    emoji = "🎉" * 3000  # 6000 UTF-16 units in one line
    chunks = split_text(emoji)
    assert [utf16_len(c) for c in chunks] == [4096, 6000 - 4096]
    words = " ".join(["邻里"] * 3000)
    cut = split_text(words)
    assert all(utf16_len(c) <= 4096 for c in cut)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in cut), "cut at a space"
