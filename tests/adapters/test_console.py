"""The console adapter: line forms, rooms, private replies, numbered buttons that can be pressed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.console import ConsoleAdapter
from core.plugin import N_, Arg, Button, CommandContext, PluginManifest, Refusal, Text, command, hookimpl
from core.testing import Harness


class Menu:
    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="menu", title_zh="菜单", title_en="Menu", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("menu", help="menu")
        async def menu(ctx: CommandContext) -> None:
            ctx.reply("选一个：", buttons=[[Button("苹果", "/pick 苹果"), Button("梨", "/pick 梨")],
                                         [Button("榴莲", "/pick 榴莲")]])

        @command("pick", args=(Arg("fruit", Text(10)),), help="pick")
        async def pick(ctx: CommandContext, fruit: str) -> None:
            if fruit == "榴莲":
                raise Refusal(N_("{fruit} is sold out."), fruit=fruit)
            ctx.reply("收到：" + fruit)
            ctx.reply("只有你能看到这条。", private=True)

        return [menu, pick]


@pytest.fixture
async def console(db_url: str) -> AsyncIterator[tuple[ConsoleAdapter, io.StringIO]]:
    async with Harness.create(db_url, plugins=[Menu()]) as h:
        out = io.StringIO()
        adapter = ConsoleAdapter(h.app.adapter_services, stdin=io.StringIO(""), stdout=out)
        h.app.adapters["console"] = adapter
        yield adapter, out


async def feed(adapter: ConsoleAdapter, out: io.StringIO, *lines: str) -> list[str]:
    start = len(out.getvalue().splitlines())
    for line in lines:
        await adapter.feed(line)
    return out.getvalue().splitlines()[start:]


async def test_buttons_are_numbered_and_pressable_and_private_replies_are_marked(
    console: tuple[ConsoleAdapter, io.StringIO],
) -> None:
    adapter, out = console
    assert await feed(adapter, out, "# a comment", "", "王书记: /setup 观梅社区") == [
        "[main] bot: 观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"]
    assert await feed(adapter, out, "张三: /menu") == [
        "[main] bot: 选一个：", "[main] bot:   [1] 苹果", "[main] bot:   [2] 梨", "[main] bot:   [3] 榴莲"]
    assert await feed(adapter, out, "张三: !press 2") == [
        "[main] bot: 收到：梨", "[main] bot → 张三: 只有你能看到这条。"]
    assert await feed(adapter, out, "张三: !press 9") == ["(console) there is no button 9 in main"]
    assert await feed(adapter, out, "李四: !press 3") == ["[main] bot → 李四: 榴莲 is sold out."], (
        "a refused press is the presser's pop-up, not a message to the room")
    assert await feed(adapter, out, "李四: /pick 榴莲") == ["[main] bot: 榴莲 is sold out."], "a typed one is not"


async def test_rooms_are_separate_chats(console: tuple[ConsoleAdapter, io.StringIO]) -> None:
    adapter, out = console
    await feed(adapter, out, "王书记: /setup 观梅社区")
    lines = await feed(adapter, out, "@room 二号楼", "张三: /points")
    assert lines == ["[二号楼] bot: 这个群还没有设置社区。群管理员可以发送 /setup <社区名称> 开始。"]
    assert await feed(adapter, out, "this line has no speaker") == [
        "(console) not understood: 'this line has no speaker'; write NAME: TEXT, @room ROOM or # comment"]


async def test_script_mode_reads_to_the_end_and_finishes(console: tuple[ConsoleAdapter, io.StringIO]) -> None:
    adapter, out = console
    adapter.stdin = io.StringIO("王书记: /setup 观梅社区\n张三: /whoami\n")
    await adapter.start()
    await adapter.run_until_done()
    assert out.getvalue().splitlines()[-1] == "[main] bot: 您是观梅社区的 张三。角色：居民。积分：0。"
