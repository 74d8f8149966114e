"""Inputs made safe at the core's door (core.inputs): control characters, names, and over-long messages.

End to end on SQLite and PostgreSQL (which refuses NUL in text): what a person with a NUL in their name, or
a NUL in an argument, sees; and a 1 MB line refused in bounded memory, before any parsing.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace

import pytest
from tortoise import Tortoise

from core.config import ConfigError, load_settings
from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived
from core.inputs import HEAD_CHARS, MAX_NAME_CHARS, clean_event, clean_line, clean_text
from core.points import PointsEntry
from core.storage import close_database, is_sqlite, tortoise_config
from core.testing import Harness
from tests.test_console_tour import ROOT, linli

TOO_LONG = "这条消息太长了：我最多只读 4096 个字符。请发一条短一些的。"


# -- the rules -------------------------------------------------------------------------------------


def test_control_characters_are_removed_and_tabs_and_line_breaks_kept() -> None:
    assert clean_text("a\x00b\x07c\x1b[31md\x7fe\x9bf") == "abc[31mdef"
    assert clean_text("第一行\n\t第二行") == "第一行\n\t第二行"
    assert clean_text("one\r\ntwo\rthree\x0bfour\x0cfive\x85six") == "one\ntwo\nthree\nfour\nfive\nsix"
    assert clean_text("lone \ud800 surrogate") == "lone  surrogate"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # emoji joined by zero-width joiners
    assert clean_text(f"他说“小王's 车” {family}") == f"他说“小王's 车” {family}"
    text = "nothing to clean"
    assert clean_text(text) is text


def test_names_are_one_line_without_overrides_and_cut_to_what_is_stored() -> None:
    assert clean_line("张\x00三\n\t(楼长)", 128) == "张三 (楼长)"
    assert clean_line("\u202eevil\u202c name\u2066x\u2069", 128) == "evil namex"
    assert clean_line("名" * 1000, MAX_NAME_CHARS) == "名" * MAX_NAME_CHARS


def test_every_string_of_an_event_is_cleaned_and_a_clean_event_is_left_alone() -> None:
    dirty = IdentityRef("console", "u\x001", "王\x00书记", username="wang\x00", language="zh\x00")
    event = MessageReceived(
        event_id="console:\x001", channel=ChannelRef("console", "g\x00", "观梅\n社区"), sender=dirty,
        text="/setup 观\x00梅", message_id="m\x00", mentions=(dirty,),
        attachments=(Attachment("photo", "ref\x00", caption="照\x00片"),), button_data="/claim\x00 1",
        button_token="t\x00", reply_to_message_id="r\x00",
    )
    clean = clean_event(event, 4096)
    assert clean.sender == IdentityRef("console", "u1", "王书记", username="wang", language="zh")
    assert clean.mentions == (clean.sender,)
    assert (clean.event_id, clean.text, clean.message_id, clean.button_data, clean.button_token,
            clean.reply_to_message_id) == ("console:1", "/setup 观梅", "m", "/claim 1", "t", "r")
    assert clean.channel == ChannelRef("console", "g", "观梅 社区")
    assert clean.attachments == (Attachment("photo", "ref", caption="照片"),)
    assert clean.over_limit is None
    assert clean_event(clean, 4096) is clean


def test_a_name_that_was_only_control_characters_falls_back_to_the_username() -> None:
    event = MessageReceived("e", ChannelRef("console", "g"), IdentityRef("console", "7", "\x00\x01", username="li"))
    assert clean_event(event, 4096).sender.display_name == "li"


def test_a_text_over_the_limit_keeps_only_its_start_and_says_the_limit() -> None:
    event = MessageReceived("e", ChannelRef("console", "g"), IdentityRef("console", "7", "李四"),
                            text="/thanks " + "字 " * 5000)
    cut = clean_event(event, 4096)
    assert cut.over_limit == 4096 and len(cut.text) == HEAD_CHARS and cut.text.startswith("/thanks 字")
    exactly = replace(event, text="字" * 4096)
    assert clean_event(exactly, 4096) is exactly


def test_the_limit_is_a_setting_with_a_range() -> None:
    assert load_settings(None, environ={}).bus.max_message_chars == 4096
    assert load_settings(None, environ={"LINLI_BUS__MAX_MESSAGE_CHARS": "500"}).bus.max_message_chars == 500
    for wrong in ("10", "1000000", "inf"):
        with pytest.raises(ConfigError, match=r"bus\.max_message_chars"):
            load_settings(None, environ={"LINLI_BUS__MAX_MESSAGE_CHARS": wrong})


# -- end to end, SQLite and PostgreSQL ---------------------------------------------------------------


def person(h: Harness, name: str, display_name: str, text: str) -> MessageReceived:
    """``name``'s account, showing ``display_name`` (as the platform sends it), says ``text``."""
    event = h.event(name, text)
    return replace(event, sender=replace(event.sender, display_name=display_name))


async def test_a_person_with_nul_in_their_name_can_use_commands(community: Harness) -> None:
    h = community
    replies = await h.deliver(person(h, "张三", "张\x00三", "/whoami"))
    assert [r.text for r in replies] == [await h.say("张三", "/whoami")]
    assert "张三" in replies[0].text and "\x00" not in replies[0].text
    # the adapters' own door (AdapterServices.receive, what Telegram and the console use) cleans too
    before = len(h.adapter.sent)
    assert await h.app.adapter_services.receive(person(h, "李四", "李\x00四\u202e", "/thanks @张三 帮忙\x00搬家"))
    await h.app.settle()
    assert [m.text for m in h.adapter.sent[before:]] == ["李四 感谢 张三！"]
    assert await h.say("李四", "/points @张三") == "张三 有 1 积分。"


async def test_nul_in_an_argument_is_removed_before_the_command_reads_it(harness: Harness) -> None:
    h = harness
    assert await h.say("王书记", "/setup 观梅\x00社区") == await_setup_reply()
    await h.send("张三", "/whoami")
    assert await h.say("王书记", "/thanks @张三 修好了\x00路灯\x1b") == "王书记 感谢 张三！"
    reasons = [e.reason for e in await PointsEntry.all()]
    assert not any("\x00" in r or "\x1b" in r for r in reasons)


def await_setup_reply() -> str:
    return "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"


async def test_a_1_mb_command_is_refused_in_bounded_memory_naming_the_limit(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    line = "/thanks @张三 " + "谢 " * 500_000  # 1,000,000 characters of one-letter words
    short = h.event("李四", "/thanks @张三")
    await h.deliver(short)  # warm up: the same path with a line that fits
    event = h.event("李四", line)
    tracemalloc.start()
    try:
        replies = await h.deliver(event)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.text for r in replies] == [TOO_LONG], "refused once, naming the limit, never echoing the line"
    assert peak < 512 * 1024, f"{peak} bytes traced for a 1 MB line: it was copied or parsed"
    assert await h.say("李四", "/points @张三") == "张三 有 1 积分。", "nothing was booked for the long line"


async def test_a_long_message_that_is_no_command_is_not_read_nor_answered(community: Harness) -> None:
    assert await community.send("张三", "聊天 " * 3000) == []


async def test_a_lower_limit_applies_to_every_command(db_url: str) -> None:
    async with Harness.create(db_url, settings={"bus": {"max_message_chars": 100}}) as h:
        assert await h.say("王书记", "/setup " + "观" * 100) == (
            "这条消息太长了：我最多只读 100 个字符。请发一条短一些的。")
        assert await h.say("王书记", "/setup 观梅社区") == await_setup_reply()


async def test_a_too_long_answer_to_a_question_is_refused_and_the_question_stays_open(community: Harness) -> None:
    h = community
    assert (await h.say("王书记", "/发布项目")).startswith("(1/5) 项目叫什么名字？")
    assert await h.say("王书记", "单车" * 3000) == TOO_LONG
    assert (await h.say("王书记", "整治共享单车")).startswith("(2/5) 需要几个名额？")


@pytest.fixture
def console_database(db_url: str) -> Iterator[str]:
    """An empty database for ``linli migrate`` (a PostgreSQL one is created first, and dropped after)."""
    if is_sqlite(db_url):
        yield db_url
        return

    async def create(drop: bool) -> None:
        await Tortoise.init(config=tortoise_config(db_url, {}), _create_db=not drop)
        await close_database(drop=drop)

    asyncio.run(create(False))
    yield db_url
    asyncio.run(create(True))


MEASURED = """\
import atexit, resource, runpy, sys
atexit.register(lambda: print(f"maxrss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
sys.argv = ["linli", *sys.argv[1:]]
runpy.run_module("core.cli", run_name="__main__")
"""


def run_console(database: str, script: str) -> tuple[list[str], int]:
    """``linli run`` on the console reading ``script``: what it printed, and its peak resident size (KiB)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": database,
           "LINLI_WEB__ENABLED": "false", "LINLI_ADAPTERS": '["console"]'}
    result = subprocess.run([sys.executable, "-c", MEASURED, "--settings", str(ROOT / "settings.toml"), "run"],
                            input=script, capture_output=True, text=True, env=env, check=False, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    match = re.search(r"maxrss_kib=(\d+)", result.stderr)
    assert match is not None, result.stderr
    return result.stdout.splitlines(), int(match.group(1))


def test_the_console_refuses_a_1_mb_line_and_serves_a_name_with_nul(console_database: str) -> None:
    """`linli run` on the console (no platform caps a line there), on SQLite and PostgreSQL: the long line
    is refused by the core unparsed, so the process grows only by what reading the line costs."""
    database = console_database
    assert linli(["migrate"], database).returncode == 0
    script = "王书记: /setup 观梅社区\n张\x00三: /whoami\n李四: /thanks @张三 {}\n张\x00三: /points\n"
    long, long_kib = run_console(database, script.format("谢 " * 500_000))
    assert long == ["[main] bot: 观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。",
                    "[main] bot: 您是观梅社区的 张三。角色：居民。积分：0。",
                    f"[main] bot: {TOO_LONG}",
                    "[main] bot: 张三 有 0 积分。"]
    short, short_kib = run_console(database, script.format("修好了\x00路灯"))
    assert short == ["[main] bot: 本群已经属于观梅社区。",
                     "[main] bot: 您是观梅社区的 张三。角色：居民。积分：0。",
                     "[main] bot: 李四 感谢 张三！",
                     "[main] bot: 张三 有 1 积分。"]
    assert long_kib - short_kib < 48 * 1024, f"{long_kib - short_kib} KiB more for one 1 MB line"
