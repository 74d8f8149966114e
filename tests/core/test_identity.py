"""Communities, chats, roles: /setup, /setup join, /grant, /revoke, /whoami, and step-by-step dialogs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from core.events import IdentityRef
from core.identity import Channel, Community, Identity, cached_group_chats, identity_cache
from core.plugin import N_, Arg, CommandContext, Int, PluginManifest, Rest, command, hookimpl
from core.testing import Harness


async def test_setup_creates_the_community_once(harness: Harness) -> None:
    assert await harness.say("王书记", "/setup 观梅社区") == (
        "观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。"
    )
    assert await harness.say("王书记", "/setup 别的名字") == "本群已经属于观梅社区。"
    assert await harness.say("王书记", "/setup 观梅社区", room="lobby") == (
        "已经有名为观梅社区的社区了。该社区的组织者可以发送 /setup join 观梅社区 把本群加入。"
    )
    assert await harness.say("王书记", "/setup 观梅社区", direct=True) == (
        "请在社区的群聊里发送 /setup，不要在私聊里发送。"
    )
    assert await Community.all().count() == 1


async def test_setup_join_binds_a_second_chat_for_organizers_only(community: Harness) -> None:
    h = community
    assert await h.say("张三", "/setup join 观梅社区", room="二号楼") == "只有观梅社区的组织者才能把群加入该社区。"
    assert await h.say("王书记", "/setup 加入 观梅社区", room="二号楼") == "本群现在属于观梅社区。"
    assert await h.say("王书记", "/setup join 不存在", room="三号楼") == "没有名为不存在的社区。"
    assert await Channel.filter(community__name="观梅社区").count() == 2
    await h.send("张三", "/thanks @王书记", room="二号楼")
    assert await h.say("王书记", "/points") == "王书记 有 1 积分。", "one community, whichever chat"


async def test_grant_and_revoke_roles(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    assert await h.say("王书记", "/grant @张三 organizer") == "张三 现在是组织者了。"
    assert await h.say("王书记", "/grant @张三 组织者") == "张三 已经是组织者了。"
    assert await h.say("张三", "/revoke @王书记 organizer") == "王书记 不再是组织者了。"
    assert await h.say("张三", "/revoke @张三 organizer") == "张三 是最后一位组织者，请先把组织者角色授予其他人。"
    assert await h.say("张三", "/grant @张三 admin") == "只有管理员才能更改管理员角色。"
    assert await h.say("张三", "/revoke @张三 resident") == "社区里每个人都是居民，无需更改。"
    assert await h.say("王书记", "/grant @张三 volunteer") == "抱歉，/grant 只有组织者可以使用。"


async def test_a_person_keeps_their_identity_when_their_display_name_changes(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    identity = await Identity.get(platform_user_id="张三")
    await Identity.filter(id=identity.id).update(display_name="旧名字")
    assert "张三" in await h.say("张三", "/whoami")
    assert await Identity.filter(platform_user_id="张三").count() == 1


class Survey:
    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="survey", title_zh="问卷", title_en="Survey", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("ask", dialog=True, help="ask", args=(
            Arg("age", Int(minimum=0, maximum=150), prompt=N_("How old are you?")),
            Arg("story", Rest(100), prompt=N_("Tell me a story.")),
        ))
        async def ask(ctx: CommandContext, age: int, story: str) -> None:
            ctx.reply(f"{age}: {story}")

        return [ask]


@pytest.fixture
async def survey(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url, plugins=[Survey()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        yield h


async def test_missing_arguments_are_asked_for_one_by_one(survey: Harness) -> None:
    h = survey
    assert await h.say("张三", "/ask") == "(1/2) How old are you?\n（发送 /cancel 取消）"
    assert await h.send("李四", "42") == [], "someone else's message does not answer 张三's dialog"
    assert await h.say("张三", "abc") == "abc 不是整数\n(1/2) How old are you?\n（发送 /cancel 取消）", (
        "a bad answer gets the reason and the same question")
    assert await h.say("张三", "/ask 30") == "(2/2) Tell me a story.\n（发送 /cancel 取消）"
    assert await h.say("张三", "从前 有座山") == "30: 从前 有座山"
    assert await h.send("张三", "more chatter") == []


async def test_a_dialog_survives_a_restart_and_can_be_cancelled(survey: Harness) -> None:
    h = survey
    await h.send("张三", "/ask")
    await h.restart()
    assert await h.say("张三", "7") == "(2/2) Tell me a story.\n（发送 /cancel 取消）"
    assert await h.say("张三", "/取消") == "已取消。"
    assert await h.send("张三", "no longer an answer") == []
    assert await h.say("张三", "/cancel") == "没有正在进行的操作。"


async def test_an_ambiguous_name_is_not_guessed(community: Harness) -> None:
    h = community
    for account, username in (("zhangwei-1", "zw1"), ("zhangwei-2", "zw2")):  # two people, one display name
        await h.deliver(replace(h.event("张伟", "/whoami"), sender=IdentityRef("console", account, "张伟", username)))
    reply = await h.say("王书记", "/grant @张伟 organizer")
    assert reply.startswith("这里有好几位叫 @张伟 的人")
    assert await h.say("王书记", "/grant @zw2 organizer") == "张伟 现在是组织者了。", "a username is unambiguous"


async def test_a_redelivered_dialog_answer_counts_once(survey: Harness) -> None:
    h = survey
    await h.send("张三", "/ask 30")
    answer = h.event("张三", "从前有座山", event_id="console:answer-1")
    assert [m.text for m in await h.deliver(answer)] == ["30: 从前有座山"]
    assert await h.deliver(answer) == []


async def test_more_people_than_the_cache_holds_are_all_still_known(tmp_path: Any) -> None:
    from core.identity import identity_cache

    settings = {"database": {"url": f"sqlite://{tmp_path / 'linli.db'}", "cache_entries": 100}}
    async with Harness.create(f"sqlite://{tmp_path / 'linli.db'}", settings=settings) as h:
        await h.send("王书记", "/setup 观梅社区")
        names = [f"居民{i}" for i in range(150)]
        for _round in range(2):  # the second round reads back the ones the first pushed out
            for name in names:
                assert name in (await h.send(name, "/whoami"))[-1]
        assert len(identity_cache._rows) <= 100, "the cache stays within database.cache_entries"


async def test_a_communitys_group_chats_come_from_memory_and_follow_every_binding(community: Harness) -> None:
    """What every suggested command (``/认领 1``, ``/claim 1``) is spelled for: asked on each such reply."""
    h = community
    cid = (await Community.get(name="观梅社区")).id
    chats = await cached_group_chats(cid, lambda keep: keep())
    hits = identity_cache.hits
    assert await cached_group_chats(cid, lambda keep: keep()) == chats and identity_cache.hits == hits + 1
    assert len(chats) == 1 and not chats[0].is_direct
    await h.send("王书记", "/setup join 观梅社区", room="二号楼")
    both = await cached_group_chats(cid, lambda keep: keep())
    assert [c.chat_id for c in both] == [chats[0].chat_id, "二号楼"]
    await h.send("张三", "/whoami", direct=True)  # a private chat is no group chat: the list stays
    assert await cached_group_chats(cid, lambda keep: keep()) == both
    await (await Channel.get(chat_id="二号楼")).delete()
    assert await cached_group_chats(cid, lambda keep: keep()) == chats
    assert await h.app.move_channel(chats[0].platform, chats[0].chat_id, "升级后的群")  # a supergroup now
    assert [c.chat_id for c in await cached_group_chats(cid, lambda keep: keep())] == ["升级后的群"]
