"""The thanks plugin as residents meet it: a thanks earns the neighbour a point once a day per giver,
nobody thanks themselves, organizers set what a thanks is worth or switch it off."""

from __future__ import annotations

from datetime import timedelta

from core.testing import Harness


async def neighbours(h: Harness) -> Harness:
    """张三 and 李四 have spoken in the group, so the bot knows them by name."""
    await h.send("张三", "/whoami")
    await h.send("李四", "/whoami")
    return h


async def test_a_thanks_earns_the_neighbour_a_point(community: Harness) -> None:
    h = await neighbours(community)
    assert await h.say("张三", "/points @李四") == "李四 有 0 积分。"
    assert await h.say("张三", "/感谢 @李四 帮忙搬共享单车") == "张三 感谢 李四！"
    assert await h.say("张三", "/points @李四") == "李四 有 1 积分。"
    assert await h.say("张三", "/points") == "张三 有 0 积分。", "the one who thanks earns nothing"


async def test_the_same_thanks_again_today_earns_nothing_more_and_says_so(community: Harness) -> None:
    h = await neighbours(community)
    await h.send("张三", "/thanks @李四")
    h.clock.advance(timedelta(hours=13, minutes=50))  # 23:50 in Shanghai: still the same day there
    assert await h.say("张三", "/thanks @李四 又帮了一次") == (
        "张三 感谢 李四！您今天的感谢已经让 李四 得过积分，这次不再加分。")
    assert await h.say("李四", "/points") == "李四 有 1 积分。"
    # Another giver's thanks is another thanks: it earns the point.
    assert await h.say("王书记", "/thanks @李四") == "王书记 感谢 李四！"
    assert await h.say("李四", "/points") == "李四 有 2 积分。"


async def test_the_next_day_in_the_community_a_thanks_earns_again(community: Harness) -> None:
    h = await neighbours(community)
    await h.send("张三", "/thanks @李四")
    h.clock.advance(timedelta(days=1))
    assert await h.say("张三", "/thanks @李四") == "张三 感谢 李四！"
    assert await h.say("李四", "/points") == "李四 有 2 积分。"


async def test_the_day_ends_at_local_midnight_not_at_midnight_utc(community: Harness) -> None:
    h = await neighbours(community)
    h.clock.advance(timedelta(hours=13, minutes=50))  # 23:50 in Shanghai, 15:50 UTC
    await h.send("张三", "/thanks @李四")
    h.clock.advance(timedelta(minutes=20))  # 00:10 in Shanghai; still the same day in UTC
    assert await h.say("张三", "/thanks @李四") == "张三 感谢 李四！"
    assert await h.say("李四", "/points") == "李四 有 2 积分。"


async def test_thanking_yourself_is_refused_and_earns_nothing(community: Harness) -> None:
    h = await neighbours(community)
    assert await h.say("张三", "/thanks @张三") == "感谢自己不算数哦，不过心意收到了。"
    assert await h.say("张三", "/points") == "张三 有 0 积分。"


async def test_an_unknown_name_is_refused_with_the_usage_line(community: Harness) -> None:
    h = await neighbours(community)
    assert await h.say("张三", "/thanks @赵六") == (
        "本社区里还没有 @赵六 这个人：有人在这里发过言我才认识。"
        "请对方在这里发送一次 /我是谁，或者点他的名字来提及他。\n"
        "用法：/thanks <@用户> [原因…]")
    assert await h.say("张三", "/thanks") == "缺少参数 <@用户>。\n用法：/thanks <@用户> [原因…]"


async def test_an_organizer_sets_what_a_thanks_is_worth(community: Harness) -> None:
    h = await neighbours(community)
    assert await h.say("王书记", "/config thanks points 3") == "“感谢”：points 已改为 3。"
    await h.send("张三", "/thanks @李四")
    assert await h.say("李四", "/points") == "李四 有 3 积分。"
    assert await h.say("张三", "/config thanks points 5") == "抱歉，/config 只有组织者可以使用。"


async def test_switched_off_thanks_answer_that_they_are_off(community: Harness) -> None:
    h = await neighbours(community)
    await h.send("王书记", "/disable thanks")
    assert await h.say("张三", "/thanks @李四") == "本社区未启用“感谢”功能；组织者可以发送 /enable thanks 启用。"
    assert await h.say("李四", "/points") == "李四 有 0 积分。"
    await h.send("王书记", "/enable thanks")
    assert await h.say("张三", "/thanks @李四") == "张三 感谢 李四！"


async def test_in_an_english_community(community: Harness) -> None:
    h = await neighbours(community)
    assert await h.say("王书记", "/language en") == "From now on I speak English in this community."
    assert await h.say("张三", "/thanks @李四") == "张三 thanks 李四!"
    assert await h.say("张三", "/thanks @李四") == (
        "张三 thanks 李四! Your thanks earned 李四 points today already, so this one earns nothing more.")
    assert await h.say("李四", "/points") == "李四 has 1 point."
    assert await h.say("李四", "/thanks @李四") == "Thanking yourself does not count, but it is a nice thought."
    assert await h.say("李四", "/thanks @nobody") == (
        "I don't know @nobody in this community yet: I get to know people when they write here. Ask them to send "
        "/whoami here once, or tap their name to mention them.\nUsage: /thanks <@user> [reason…]")
