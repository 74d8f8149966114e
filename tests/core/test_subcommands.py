"""Subcommands: ``/badge request party`` and ``/badge 申请 party`` run one declared subcommand.

Each subcommand has its own arguments, role and Chinese aliases; usage lines and ``/help`` are generated
from the declaration, and a word that is no subcommand gets the list of the ones there are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.plugin import N_, Arg, CommandContext, PluginManifest, Role, Text, command, group, hookimpl, sub
from core.testing import Harness


class Badges:
    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="badges", title_zh="标识", title_en="Badges", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("requestbadge", args=(Arg("badge", Text(20), label=N_("badge")),), help=N_("Ask for a badge"))
        async def request(ctx: CommandContext, badge: str) -> None:
            ctx.reply(f"requested {badge}")

        @command("pendingbadges", role=Role.ORGANIZER, help=N_("Badges waiting for a decision"))
        async def pending(ctx: CommandContext) -> None:
            ctx.reply("nothing pending")

        badge = group("badge", aliases=("标识",), help=N_("Badges"), subcommands=(
            sub(request, "request", "申请"),
            sub(pending, "pending", "待审"),
        ))
        return [request, badge]


@pytest.fixture
async def badges(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url, plugins=[Badges()], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h


async def test_a_subcommand_runs_by_its_name_or_its_chinese_alias(badges: Harness) -> None:
    h = badges
    assert await h.say("张三", "/badge request 党员") == "requested 党员"
    assert await h.say("张三", "/badge 申请 党员") == "requested 党员"
    assert await h.say("张三", "/标识 申请 党员") == "requested 党员"
    assert await h.say("张三", "/badge REQUEST 党员") == "requested 党员", "as case-blind as commands"
    assert await h.say("张三", "/requestbadge 党员") == "requested 党员", "the same handler as a command of its own"


async def test_an_unknown_subcommand_gets_the_choices_and_the_usage_line(badges: Harness) -> None:
    h = badges
    assert await h.say("张三", "/badge foo") == "foo 不是可选项之一：申请、待审\n用法：/badge <申请|待审> …"
    assert await h.say("张三", "/badge") == "要用哪一项？\n用法：/badge <申请|待审> …"


async def test_a_subcommand_has_its_own_arguments_and_role(badges: Harness) -> None:
    h = badges
    assert await h.say("张三", "/badge 申请") == "缺少参数 <badge>。\n用法：/badge 申请 <badge>"
    assert await h.say("张三", "/badge 申请 a b") == "多余的参数：b\n用法：/badge 申请 <badge>"
    assert await h.say("张三", "/badge pending") == "抱歉，/badge pending 只有组织者可以使用。"
    assert await h.say("王书记", "/badge 待审") == "nothing pending"


async def test_help_lists_the_subcommands_the_caller_may_use(badges: Harness) -> None:
    h = badges
    resident = await h.say("张三", "/help badge")
    assert resident.splitlines() == [
        "/badge (/标识): Badges",
        "用法：/badge <申请|待审> …",
        "• /badge 申请 <badge> — Ask for a badge",
    ]
    organizer = await h.say("王书记", "/help badge")
    assert "• /badge 待审 — Badges waiting for a decision" in organizer.splitlines()


async def test_in_english_the_subcommands_read_in_english(badges: Harness) -> None:
    h = badges
    await h.send("王书记", "/language en")
    assert await h.say("张三", "/badge foo") == (
        "foo is not one of: request, pending\nUsage: /badge <request|pending> …")
    assert await h.say("张三", "/badge 申请 党员") == "requested 党员", "the Chinese alias still works"


async def test_help_on_one_subcommand_shows_its_usage(badges: Harness) -> None:
    h = badges
    assert (await h.say("张三", "/help badge 申请")).splitlines() == [
        "/badge request: Ask for a badge", "用法：/badge 申请 <badge>"]
    assert await h.say("张三", "/help badge foo") == "没有 /badge foo 这个命令。发送 /help 查看可用命令。"
    assert (await h.say("张三", "/help badge pending")).startswith("没有 /badge pending"), "not offered to a resident"
