"""The bot speaks each community's language all the way: plural-correct English, Chinese choices in usage
lines, and short translated sentences instead of pydantic's English when a /config value does not fit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import plugins.thanks
from core.testing import Harness


@pytest.fixture
async def neighbours(db_url: str) -> AsyncIterator[Harness]:
    """观梅社区 with the thanks plugin (a way to earn points) and three people who have spoken."""
    async with Harness.create(db_url, plugins=[plugins.thanks], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        await h.send("李四", "/whoami")
        yield h


async def test_english_has_plural_forms_and_articles(neighbours: Harness) -> None:
    h = neighbours
    assert await h.say("王书记", "/language en") == "From now on I speak English in this community."
    assert await h.say("王书记", "/points") == "王书记 has 0 points."
    await h.send("张三", "/thanks @王书记")
    assert await h.say("王书记", "/points") == "王书记 has 1 point."
    await h.send("李四", "/thanks @王书记")
    assert await h.say("张三", "/points @王书记") == "王书记 has 2 points."
    assert await h.say("王书记", "/grant @张三 organizer") == "张三 is now an organizer."
    assert await h.say("王书记", "/grant @张三 organizer") == "张三 is already an organizer."
    assert await h.say("王书记", "/grant @李四 volunteer") == "李四 is now a volunteer."
    assert await h.say("张三", "/revoke @李四 volunteer") == "李四 is no longer a volunteer."
    assert await h.say("李四", "/grant @李四 organizer") == "Sorry, /grant is for organizers only."


async def test_chinese_has_one_form_and_no_articles(neighbours: Harness) -> None:
    h = neighbours
    await h.send("张三", "/thanks @王书记")
    await h.send("李四", "/thanks @王书记")
    assert await h.say("王书记", "/积分") == "王书记 有 2 积分。"
    assert await h.say("王书记", "/grant @张三 组织者") == "张三 现在是组织者了。"
    assert await h.say("李四", "/grant @李四 组织者") == "抱歉，/grant 只有组织者可以使用。"


async def test_chinese_usage_lines_show_the_choices_people_may_type(neighbours: Harness) -> None:
    h = neighbours
    roles = "志愿者|组织者|物业|管理员"
    assert await h.say("王书记", "/grant @张三") == f"缺少参数 <{roles}>。\n用法：/grant <@用户> <{roles}>"
    assert await h.say("王书记", "/授予 @张三 老板") == (
        f"老板 不是可选项之一：志愿者、组织者、物业、管理员\n用法：/grant <@用户> <{roles}>")
    assert await h.say("王书记", "/grant @张三 物业") == "张三 现在是物业了。", "what the usage line shows works"
    assert await h.say("张三", "/top foo") == (
        "foo 不是可选项之一：本周、本月、本季度、今年、全部\n用法：/top [本周|本月|本季度|今年|全部]")
    assert await h.say("张三", "/排行 本周") == "积分排行榜（本周）：\n还没有人获得积分。"
    assert await h.say("王书记", "/语言 法语") == "法语 不是可选项之一：中文、英文\n用法：/language <中文|英文>"


async def test_english_usage_lines_show_the_english_choices(neighbours: Harness) -> None:
    h = neighbours
    await h.send("王书记", "/language en")
    assert await h.say("王书记", "/grant @张三") == (
        "Missing <volunteer|organizer|property_manager|admin>.\n"
        "Usage: /grant <@user> <volunteer|organizer|property_manager|admin>")
    assert await h.say("张三", "/top 本周") == "Points ranking, this week:\nNo points yet.", "Chinese still works"
    assert await h.say("张三", "/top foo") == (
        "foo is not one of: week, month, quarter, year, all\nUsage: /top [week|month|quarter|year|all]")


async def test_config_validation_errors_are_short_sentences_in_the_communitys_language(neighbours: Harness) -> None:
    h = neighbours
    assert await h.say("王书记", "/config thanks points abc") == "未修改：abc 不是整数。"
    assert await h.say("王书记", "/config thanks points 500") == "未修改：500 太大了（最多 100）。"
    assert await h.say("王书记", "/config thanks points -1") == "未修改：-1 太小了（至少 0）。"
    assert (await h.say("王书记", "/config thanks points")).startswith("points = 1 — "), "nothing was changed"
    await h.send("王书记", "/language en")
    assert await h.say("王书记", "/config thanks points abc") == "Not changed: abc is not a whole number."
    assert await h.say("王书记", "/config thanks points 2") == "Thanks: points is now 2."
