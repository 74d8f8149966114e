"""The first hour in chat (issue 8): what a new organizer typed and did not get a clear answer to, each
pinned here as the organizer sees it, on SQLite and PostgreSQL."""

from __future__ import annotations

from core.testing import Harness

USAGE = "用法：/newproject <标题> <名额> <截止日期> [详情…]"
POINTS_RANGE = "每次完成的积分在 0 到 1000 之间。"


async def test_an_option_with_a_bad_number_is_refused_with_the_reason_not_taken_as_description(
    community: Harness,
) -> None:
    h = community
    for word in ("-10分", "99999999999分", "积分:-3", "9" * 500 + "分"):
        assert await h.send("王书记", f"/发布项目 扫地 3 12-31 {word} 把楼道扫干净") == [f"{POINTS_RANGE}\n{USAGE}"]
    assert (await h.say("王书记", "/发布项目 扫地 3 12-31 党员优先-5")).startswith("党员优先时段在 0 到 ")
    assert (await h.say("王书记", "/发布项目 扫地 3 12-31 每人0")).endswith(USAGE)
    assert await h.send("张三", "/项目") == ["现在没有可认领的项目。"], "nothing was published"


async def test_the_plain_word_party_is_description_not_an_option(community: Harness) -> None:
    replies = await community.send("王书记", "/发布项目 扫地 3 12-31 party24 party members first")
    assert replies[0].splitlines()[1] == "party members first"


async def test_a_deadline_typed_on_a_chinese_keyboard_and_yesterday(community: Harness) -> None:
    h = community
    posted = await h.send("王书记", "/发布项目 扫地 3 １２－３１ 把楼道扫干净")
    assert "截止 12月31日" in posted[0]
    assert await h.say("王书记", "/发布项目 扫地 3 昨天 把楼道扫干净") == (
        "昨天 已经过去了，截止日期要在以后\n" + USAGE)


async def test_a_very_long_name_is_a_refusal_not_a_crash(community: Harness) -> None:
    reply = await community.say("王书记", "/grant @" + "长" * 129 + " volunteer")
    assert reply.startswith("名字太长了（最多 128 个字）。")
    assert "抱歉" not in reply


async def test_setup_join_without_a_name_asks_which_community(harness: Harness) -> None:
    assert await harness.say("王书记", "/setup join") == "要把本群加入哪个社区？请发送 /setup join <社区名称>。"


async def test_someone_who_only_chatted_can_be_granted_a_role_and_thanked(community: Harness) -> None:
    h = community
    assert await h.send("张三", "大家好") == [], "plain chat still gets no answer"
    assert await h.say("王书记", "/grant @张三 volunteer") == "张三 现在是志愿者了。"
    assert await h.send("李四", "谢谢张三") == []
    assert await h.say("李四", "/thanks @张三") == "李四 感谢 张三！"
    assert await h.say("张三", "/points") == "张三 有 1 积分。"


async def test_plain_chat_writes_nothing_for_a_speaker(community: Harness) -> None:
    from core.identity import Identity
    from core.processed import ProcessedEvent

    before = (await Identity.all().count(), await ProcessedEvent.all().count())
    await community.send("赵六", "今天天气不错")
    assert (await Identity.all().count(), await ProcessedEvent.all().count()) == before


async def test_someone_nobody_saw_is_explained_with_what_to_do(community: Harness) -> None:
    reply = await community.say("王书记", "/grant @张三 volunteer")
    assert reply.splitlines()[0] == ("本社区里还没有 @张三 这个人：有人在这里发过言我才认识。"
                                     "请对方在这里发送一次 /我是谁，或者点他的名字来提及他。")


async def test_a_chat_admin_revoked_by_another_organizer_gets_organizer_back(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("王书记", "/grant @张三 organizer")
    assert await h.say("张三", "/revoke @王书记 organizer") == "王书记 不再是组织者了。"
    assert await h.say("王书记", "/setup 观梅社区") == "您是本群的管理员，所以又成为 观梅社区 的组织者了。"
    assert await h.say("王书记", "/grant @张三 volunteer") == "张三 现在是志愿者了。"
    assert await h.say("王书记", "/setup 观梅社区") == "本群已经属于观梅社区。"
    assert await h.say("张三", "/setup 观梅社区") == "本群已经属于观梅社区。", "not a chat admin: no change"


async def test_a_second_thanks_the_same_day_says_it_earns_nothing(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    assert (await h.say("王书记", "/config thanks points 2")) == "“感谢”：points 已改为 2。"
    assert await h.say("王书记", "/thanks @张三") == "王书记 感谢 张三！"
    assert await h.say("王书记", "/thanks @张三") == (
        "王书记 感谢 张三！您今天的感谢已经让 张三 得过积分，这次不再加分。")
    assert await h.say("张三", "/points") == "张三 有 2 积分。"


async def test_mine_with_two_places_of_one_project_is_one_line(community: Harness) -> None:
    h = community
    await h.send("王书记", "/发布项目 扫地 3 12-31 每人2")
    await h.send("张三", "/认领 1")
    await h.send("张三", "/认领 1")
    lines = (await h.say("张三", "/我的认领")).splitlines()
    assert len(lines) == 2 and lines[1].endswith("×2"), lines


async def test_a_space_after_the_slash_still_runs_the_command(community: Harness) -> None:
    h = community
    await h.send("王书记", "/发布项目 扫地 3 12-31")
    assert (await h.say("张三", "/ claim 1")).startswith("✅ 张三 认领了 #1「扫地」")


async def test_chinese_quotes_in_free_text_are_kept(community: Harness) -> None:
    replies = await community.send("王书记", "/发布项目 挪车 2 12-31 他说“小王's 车”")
    assert replies[0].splitlines()[1] == "他说“小王's 车”"


async def test_a_quoted_title_then_free_text(community: Harness) -> None:
    replies = await community.send("王书记", "/发布项目 “挪 车” 2 12-31 “先”打电话 再挪")
    assert replies[0].splitlines()[:2] == ["📢 新项目 #1「挪 车」", "“先”打电话 再挪"]


async def test_too_many_arguments_echoes_only_an_excerpt(community: Harness) -> None:
    reply = await community.say("张三", "/whoami " + "词 " * 1500)
    assert reply.startswith("多余的参数：词 词")
    assert len(reply) < 200


async def test_a_user_id_of_another_community_is_not_found(harness: Harness) -> None:
    h = harness
    await h.send("王书记", "/setup 观梅社区", room="a")
    await h.send("秘密邻居", "/whoami", room="a")
    await h.send("王书记", "/setup 竹园社区", room="b")
    from core.identity import User

    other = await User.get(display_name="秘密邻居")
    await h.send("王书记", "/发布项目 扫地 3 12-31", room="b")
    reply = await h.say("王书记", f"/验收 1 uid:{other.id}", room="b")
    assert "秘密邻居" not in reply
    assert reply.startswith(f"本社区里还没有 uid:{other.id} 这个人")


def test_parsing_a_long_line_takes_memory_in_proportion_to_it() -> None:
    """100 kB of one-character words (issue 9: the parser kept the rest of the line after every word, 9.5 GiB)."""
    import tracemalloc

    from core.commands import parse_line

    line = "/thanks " + "词 " * 50_000
    tracemalloc.start()
    parsed = parse_line(line)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert parsed is not None and len(parsed.words) == 50_000
    assert parsed.rests[49_999] == "词" and parsed.rests[1][:3] == "词 词"
    # a few objects per word (the quadratic parser needed gigabytes here)
    assert peak < 200 * len(line), f"{peak} bytes for a {len(line)}-character line"


def test_many_unclosed_quotes_do_not_make_parsing_quadratic() -> None:
    import tracemalloc

    from core.arguments import split_words

    tracemalloc.start()
    words = split_words("“a " * 30_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert words[:2] == ["“a", "“a"] and len(words) == 60_000 // 2
    assert peak < 10_000_000


async def test_a_flood_after_a_command_is_refused_with_a_short_reply(community: Harness) -> None:
    reply = await community.say("张三", "/thanks @王书记 " + "谢" * 4000)
    assert len(reply) < 300, reply[:300]
