"""Dialogs that forgive: a command with missing arguments is completed step by step.

A bad answer gets the reason and the same question again (the dialog stays open, up to three tries),
optional parts are asked too and can be skipped (``跳过`` / ``skip``), every question says where the
dialog is (2/4), and the state is in the database, so a restart in the middle loses nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from core.dialogs import PendingDialog
from core.plugin import N_, Arg, CommandContext, Date, Int, PluginManifest, Rest, Text, command, hookimpl
from core.testing import Harness

STOP = "（发送 /cancel 取消）"
SKIP = "（发送“跳过”跳过这一项，发送 /cancel 取消）"


class Events:
    """``/event`` needs a title and a day; the number of places and a note are optional."""

    def __init__(self) -> None:
        self.created: list[tuple[str, date, int | None, str | None]] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="events", title_zh="活动", title_en="Events", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("event", aliases=("活动",), dialog=True, help="event", args=(
            Arg("title", Text(30), label=N_("title"), prompt=N_("What is it called?")),
            Arg("day", Date(), label=N_("date"), prompt=N_("On which day?")),
            Arg("places", Int(minimum=1, maximum=50), optional=True, label=N_("places"),
                prompt=N_("How many places?")),
            Arg("note", Rest(100), optional=True, label=N_("note"), prompt=N_("Anything else to say?")),
        ))
        async def event(ctx: CommandContext, title: str, day: date, places: int | None, note: str | None) -> None:
            self.created.append((title, day, places, note))
            ctx.reply(f"{title} {day.isoformat()} {places} {note}")

        return [event]


@pytest.fixture
async def events(db_url: str) -> AsyncIterator[tuple[Harness, Events]]:
    plugin = Events()
    async with Harness.create(db_url, plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h, plugin


async def test_every_part_is_asked_in_turn_and_says_where_it_is(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    assert await h.say("张三", "/event") == f"(1/4) What is it called?\n{STOP}"
    assert await h.say("张三", "“义剪 活动”") == f"(2/4) On which day?\n{STOP}", "quotes around an answer go"
    assert await h.say("张三", "12-31") == f"(3/4) How many places?\n{SKIP}", "optional parts are asked too"
    assert await h.say("张三", "8") == f"(4/4) Anything else to say?\n{SKIP}"
    assert await h.say("张三", "带上 梳子") == "义剪 活动 2026-12-31 8 带上 梳子"
    assert plugin.created == [("义剪 活动", date(2026, 12, 31), 8, "带上 梳子")]
    assert await h.send("张三", "more chatter") == [], "the dialog is over"


async def test_optional_parts_can_be_skipped_in_either_language(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    assert await h.say("张三", "/event 义剪") == f"(2/4) On which day?\n{STOP}", "what was typed is not asked"
    await h.send("张三", "明天")
    assert await h.say("张三", "跳过") == f"(4/4) Anything else to say?\n{SKIP}"
    assert await h.say("张三", "skip") == "义剪 2026-11-24 None None"
    assert plugin.created == [("义剪", date(2026, 11, 24), None, None)]


async def test_a_bad_answer_gets_the_reason_and_the_same_question(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    await h.send("张三", "/event 义剪")
    assert await h.say("张三", "下下周") == (
        f"下下周 不是日期（可以写 2026-12-31 或 12-31）\n(2/4) On which day?\n{STOP}")
    assert await h.say("张三", "12-31") == f"(3/4) How many places?\n{SKIP}", "the dialog stayed open"
    assert await h.say("张三", "500") == f"500 太大了（最多 50）\n(3/4) How many places?\n{SKIP}"
    assert await h.say("张三", "5") == f"(4/4) Anything else to say?\n{SKIP}", "each question has its own tries"
    assert await h.say("张三", "跳过") == "义剪 2026-12-31 5 None"
    assert len(plugin.created) == 1


async def test_after_three_bad_answers_the_dialog_stops_and_says_so(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    await h.send("张三", "/event 义剪")
    for _ in range(2):
        assert (await h.say("张三", "whenever")).endswith(f"(2/4) On which day?\n{STOP}")
    assert await h.say("张三", "whenever") == (
        "whenever 不是日期（可以写 2026-12-31 或 12-31）\n试的次数用完了，什么都没有做。发送 /活动 重新开始。"
    ), "the way to start again is spelled in the community's language"
    assert await h.send("张三", "12-31") == [], "no question is open any more"
    assert plugin.created == [] and await PendingDialog.all().count() == 0


async def test_typed_arguments_are_checked_before_anything_is_asked(events: tuple[Harness, Events]) -> None:
    h, _ = events
    assert await h.say("张三", "/event 义剪 someday") == (
        "someday 不是日期（可以写 2026-12-31 或 12-31）\n用法：/event <title> <date> [places] [note…]")
    assert await PendingDialog.all().count() == 0


async def test_a_dialog_survives_a_restart_midway(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    await h.send("张三", "/event 义剪")
    await h.send("张三", "12-31")
    await h.restart()
    assert await h.say("张三", "bad") == f"bad 不是整数\n(3/4) How many places?\n{SKIP}", (
        "the answers and the step came back from the database")
    await h.restart()
    await h.send("张三", "3")
    assert await h.say("张三", "无") == "义剪 2026-12-31 3 None"
    assert plugin.created == [("义剪", date(2026, 12, 31), 3, None)]


async def test_dialogs_are_per_person_and_per_chat(events: tuple[Harness, Events]) -> None:
    h, _ = events
    await h.send("张三", "/event 义剪")
    assert await h.send("李四", "12-31") == [], "someone else's message does not answer 张三's question"
    assert await h.send("张三", "12-31", room="other") == [], "nor does 张三 in another chat"
    assert await h.say("张三", "12-31") == f"(3/4) How many places?\n{SKIP}"


async def test_where_only_latin_commands_reach_the_bot_the_hint_is_latin(events: tuple[Harness, Events]) -> None:
    """As on Telegram in privacy mode: the bot never suggests a command the platform would not deliver."""
    h, _ = events
    h.adapter.latin_commands_only = True
    await h.send("张三", "/活动 义剪")
    for _ in range(2):
        await h.send("张三", "whenever")
    assert (await h.say("张三", "whenever")).endswith("发送 /event 重新开始。")


async def test_an_answer_is_kept_exactly_as_typed_unless_it_is_one_quoted_phrase(
    events: tuple[Harness, Events]
) -> None:
    h, plugin = events
    await h.send("张三", "/event")
    await h.send("张三", "Rock'n'roll")
    await h.send("张三", "12-31")
    await h.send("张三", "跳过")
    await h.send("张三", r'a\b "c"')
    assert plugin.created == [("Rock'n'roll", date(2026, 12, 31), None, r'a\b "c"')]


async def test_a_required_question_cannot_be_skipped(events: tuple[Harness, Events]) -> None:
    h, plugin = events
    await h.send("张三", "/event")
    assert await h.say("张三", "跳过") == f"这一项不能跳过。\n(1/4) What is it called?\n{STOP}"
    await h.send("张三", "义剪")
    assert await h.say("张三", "12-31") == f"(3/4) How many places?\n{SKIP}"
    assert plugin.created == []
