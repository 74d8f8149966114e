"""Forum topics: a district's supergroup split into topics. A command in a topic is answered in it; each
kind of announcement goes to the topic an organizer chose with ``/setup topic <kind>`` (else General);
a topic renamed, closed or deleted since breaks nothing. Files go into topics too."""

from __future__ import annotations

from dataclasses import replace

from core.events import OutgoingFile, OutgoingMessage
from tests.adapters.telegram.conftest import Neighbourhood, channel, stack
from tests.support.telegram_emulator import BotApiEmulator, EmuChat, EmuUser, SentMessage, tiny_png


def forum(emu: BotApiEmulator, hood: Neighbourhood) -> EmuChat:
    return emu.add_chat("supergroup", title="观梅街道", creator=hood.wang, members=[hood.zhang, hood.li],
                        is_forum=True)


async def says(emu: BotApiEmulator, chat: EmuChat, user: EmuUser, text: str, *, thread: int | None = None,
               answers: int = 1) -> list[SentMessage]:
    """``user`` writes ``text``; returns the ``answers`` messages the bot sent after it."""
    before = len(emu.sent)
    emu.user_says(chat, user, text, thread=thread)
    await emu.wait_for_sent(before + answers)
    return emu.sent[before:]


async def test_a_claim_in_a_topic_is_answered_in_that_topic(emu: BotApiEmulator, hood: Neighbourhood,
                                                            db_url: str) -> None:
    group = forum(emu, hood)
    async with stack(emu, db_url) as linli:
        await linli.start()
        topic = emu.create_topic(group, hood.wang, "志愿服务")
        [setup] = await says(emu, group, hood.wang, "/setup 观梅社区")
        assert setup.thread_id is None, "General stays General"
        [announced] = await says(emu, group, hood.wang, "/newproject 整治共享单车 2 无", thread=topic)
        assert announced.thread_id is None, "no topic chosen for projects yet: General"
        [claimed] = await says(emu, group, hood.zhang, "/claim 1", thread=topic)
        assert (claimed.plain_text or "").startswith("✅ 张三 认领了 #1")
        assert claimed.thread_id == topic, "answered in the topic it was asked in"
        assert claimed.message["is_topic_message"] is True


async def test_announcements_go_to_the_topic_the_organizer_chose(emu: BotApiEmulator, hood: Neighbourhood,
                                                                 db_url: str) -> None:
    group = forum(emu, hood)
    async with stack(emu, db_url) as linli:
        await linli.start()
        projects = emu.create_topic(group, hood.wang, "志愿服务")
        await says(emu, group, hood.wang, "/setup 观梅社区")
        [chosen] = await says(emu, group, hood.wang, "/setup topic projects", thread=projects)
        assert chosen.plain_text == "从现在起，项目通知发到本话题。"
        assert chosen.thread_id == projects
        [refused] = await says(emu, group, hood.zhang, "/setup topic results", thread=projects)
        assert refused.thread_id == projects and "组织者" in (refused.plain_text or ""), "organizers only"

        [announced] = await says(emu, group, hood.wang, "/newproject 整治共享单车 2 无")  # sent in General
        assert (announced.plain_text or "").startswith("📢 新项目 #1")
        assert announced.thread_id == projects, "the announcement went to the chosen topic"

        emu.rename_topic(group, hood.wang, projects, "志愿服务（新）")
        [again] = await says(emu, group, hood.wang, "/newproject 清理楼道 1 无")
        assert again.thread_id == projects, "a renamed topic keeps its thread"

        emu.delete_topic(group, projects)
        [fallback] = await says(emu, group, hood.wang, "/newproject 修剪树枝 1 无")
        assert (fallback.plain_text or "").startswith("📢 新项目 #3")
        assert fallback.thread_id is None, "the topic is gone: General instead, nothing lost"
        refusals = [c for c in emu.calls_of("sendMessage") if c.status == 400]
        assert [c.error for c in refusals] == ["Bad Request: message thread not found"]


async def test_a_closed_topic_sends_to_general_and_the_general_topic_resets_the_choice(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    group = forum(emu, hood)
    async with stack(emu, sqlite_url) as linli:
        await linli.start()
        projects = emu.create_topic(group, hood.wang, "志愿服务")
        await says(emu, group, hood.wang, "/setup 观梅社区")
        await says(emu, group, hood.wang, "/setup topic 项目", thread=projects)
        emu.close_topic(group, hood.wang, projects)
        [announced] = await says(emu, group, hood.wang, "/newproject 整治共享单车 2 无")
        assert announced.thread_id is None, "closed to the bot (it is no admin): General"
        [reset] = await says(emu, group, hood.wang, "/setup topic projects")
        assert reset.plain_text == "从现在起，项目通知发到群里（“General”话题）。"
        emu.reopen_topic(group, hood.wang, projects)
        [again] = await says(emu, group, hood.wang, "/newproject 清理楼道 1 无")
        assert again.thread_id is None


async def test_a_certificate_goes_as_a_document_and_a_photo_as_a_photo_into_a_topic(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    group = forum(emu, hood)
    certificate = OutgoingFile("志愿服务证书.pdf", b"%PDF-1.4 certificate", kind="document",
                               mime_type="application/pdf")
    photo = OutgoingFile("qr.png", tiny_png(), kind="photo", mime_type="image/png")
    async with stack(emu, sqlite_url) as linli:
        running = await linli.start()
        topic = emu.create_topic(group, hood.wang, "证书")
        await running.post(OutgoingMessage(replace(channel(group), thread_id=str(topic)), "张三的志愿服务证书",
                                           files=(certificate, photo)))
    document, picture = emu.sent
    assert (document.method, document.file_name, document.mime_type) == ("sendDocument", "志愿服务证书.pdf",
                                                                         "application/pdf")
    assert document.file_data == certificate.data and document.plain_text == "张三的志愿服务证书"
    assert picture.method == "sendPhoto"
    assert document.thread_id == picture.thread_id == topic
    assert all(c.status == 200 for c in emu.calls if c.method.startswith("send")), "within the flood limits"
