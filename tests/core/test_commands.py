"""The command router: parsing, aliases, typed arguments, usage, roles, help and suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from core.arguments import split_words
from core.commands import parse_line
from core.plugin import (
    N_,
    Arg,
    Choice,
    CommandContext,
    Date,
    Int,
    Mention,
    PluginManifest,
    Rest,
    Role,
    User,
    command,
    hookimpl,
)
from core.testing import Harness


def test_split_words_honours_ascii_and_chinese_quotes_and_fullwidth_spaces() -> None:
    assert split_words('a "b c" d') == ["a", "b c", "d"]
    assert split_words("整治 “共享 单车” 3") == ["整治", "共享 单车", "3"]
    assert split_words("甲\u3000乙") == ["甲", "乙"]
    assert split_words('unbalanced "quote') == ["unbalanced", '"quote']


def test_parse_line_strips_the_bot_name_and_accepts_fullwidth_slash() -> None:
    parsed = parse_line("/claim@linli_bot 3 A1")
    assert parsed is not None and parsed.name == "claim" and parsed.words == ["3", "A1"]
    parsed = parse_line("／认领 3")
    assert parsed is not None and parsed.name == "认领"
    assert parse_line("hello /claim") is None


class Echo:
    """A test plugin with one command of every argument type."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="echo", title_zh="回声", title_en="Echo", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command(
            "echo",
            aliases=("回声",),
            args=(
                Arg("count", Int(minimum=1, maximum=100), label=N_("count")),
                Arg("when", Date(), label=N_("date")),
                Arg("who", Mention(), label=N_("user")),
                Arg("mood", Choice({"happy": "happy", "开心": "happy", "sad": "sad"}, shown=("happy", "sad")),
                    label=N_("mood")),
                Arg("note", Rest(50), optional=True, label=N_("note")),
            ),
            role=Role.VOLUNTEER,
            help=N_("Echo typed arguments"),
        )
        async def echo(ctx: CommandContext, count: int, when: date, who: User, mood: str, note: str | None) -> None:
            ctx.reply(f"{count}|{when.isoformat()}|{who.display_name}|{mood}|{note}")

        return [echo]


@pytest.fixture
async def echo(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url, plugins=[Echo()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        await h.send("王书记", "/grant @张三 volunteer")
        yield h


async def test_typed_arguments_are_converted(echo: Harness) -> None:
    reply = await echo.say("张三", '/echo 3 2026-12-31 @王书记 开心 "a note" here')
    assert reply == "3|2026-12-31|王书记|happy|\"a note\" here", "the rest of the line is kept as typed"
    assert await echo.say("张三", "/回声 #4 12-01 @张三 sad") == "4|2026-12-01|张三|sad|None"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/echo three 12-31 @王书记 happy", "three 不是整数"),
        ("/echo 1000 12-31 @王书记 happy", "1000 太大了（最多 100）"),
        ("/echo 0 12-31 @王书记 happy", "0 太小了（至少 1）"),
        ("/echo 1 31-31 @王书记 happy", "31-31 不是日期"),
        ("/echo 1 12-31 @nobody happy", "本社区里还没有 @nobody 这个人"),
        ("/echo 1 12-31 @王书记 angry", "angry 不是可选项之一：happy、sad"),
        ("/echo 1", "缺少参数 <date>。"),
    ],
)
async def test_malformed_arguments_get_the_error_and_the_usage_line(echo: Harness, line: str, error: str) -> None:
    reply = await echo.say("张三", line)
    assert reply.startswith(error), reply
    assert reply.endswith("用法：/echo <count> <date> <@用户> <happy|sad> [note…]")


async def test_role_is_checked_before_arguments(echo: Harness) -> None:
    assert await echo.say("李四", "/echo nonsense") == "抱歉，/echo 只有志愿者可以使用。"


async def test_non_organizers_are_refused_enable_and_grant(echo: Harness) -> None:
    assert await echo.say("张三", "/disable echo") == "抱歉，/disable 只有组织者可以使用。"
    assert await echo.say("张三", "/grant @张三 organizer") == "抱歉，/grant 只有组织者可以使用。"
    assert "组织者" not in await echo.say("张三", "/whoami")


async def test_typos_get_a_suggestion_and_unknown_commands_a_pointer_to_help(echo: Harness) -> None:
    assert await echo.say("张三", "/ecko 1") == "没有 /ecko 这个命令。您是想用 /echo 吗？"
    assert await echo.say("张三", "/xyzzy") == "没有 /xyzzy 这个命令。发送 /help 查看可用命令。"


async def test_help_lists_only_what_the_caller_may_use_here(echo: Harness) -> None:
    resident_help = await echo.say("李四", "/help")
    volunteer_help = await echo.say("张三", "/help")
    organizer_help = await echo.say("王书记", "/help")
    assert "/echo" not in resident_help and "/echo" in volunteer_help
    assert "/grant" not in volunteer_help and "/grant" in organizer_help
    await echo.send("王书记", "/disable echo")
    assert "/echo" not in await echo.say("张三", "/help")
    assert await echo.say("张三", "/help whoami") == (
        "/whoami (/我是谁): 查看我的名字、角色和积分\n用法：/whoami"
    )


async def test_help_lists_no_chinese_alias_where_only_latin_commands_reach_the_bot(echo: Harness) -> None:
    """As in a Telegram group in privacy mode, where ``/我是谁`` never reaches the bot."""
    echo.adapter.latin_commands_only = True
    listing = await echo.say("张三", "/help")
    assert "/whoami — 查看我的名字、角色和积分" in listing.splitlines()
    assert "(/" not in listing
    assert await echo.say("张三", "/help whoami") == "/whoami: 查看我的名字、角色和积分\n用法：/whoami"


async def test_commands_outside_a_community_point_to_setup(harness: Harness) -> None:
    assert await harness.say("张三", "/points") == (
        "这个群还没有设置社区。群管理员可以发送 /setup <社区名称> 开始。"
    )
    assert await harness.say("张三", "/setup 观梅社区") == "只有本群的管理员才能把它设置为社区。"


async def test_english_after_language_switch(echo: Harness) -> None:
    assert await echo.say("王书记", "/language en") == "From now on I speak English in this community."
    assert await echo.say("张三", "/echo x") == (
        "x is not a whole number\nUsage: /echo <count> <date> <@user> <happy|sad> [note…]"
    )
    assert await echo.say("王书记", "/语言 中文") == "好的，以后我在本社区说中文。"


def test_free_text_after_a_quoted_phrase_starts_after_it() -> None:
    parsed = parse_line("/new “整治 共享单车” 3 把门口的 单车挪走")
    assert parsed is not None
    assert parsed.words[:2] == ["整治 共享单车", "3"]
    assert parsed.rests[2] == "把门口的 单车挪走"


async def test_dates_are_read_in_the_local_time_zone(echo: Harness) -> None:
    echo.clock.current = echo.clock.current.replace(hour=17)  # 01:00 next day in Shanghai
    assert (await echo.say("张三", "/echo 1 今天 @张三 sad")).startswith("1|2026-11-24|")
    assert (await echo.say("张三", "/echo 1 后天 @张三 sad")).startswith("1|2026-11-26|")
