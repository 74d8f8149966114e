"""The hot path: what a command needs is served from memory, chatter costs no transaction, and neither
ever serves something stale (a role given, a question asked, a name changed is seen by the next message)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from core.storage import dialect
from core.testing import Harness


@contextmanager
def statements(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (Tortoise logs each at DEBUG)."""
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        caplog.clear()
        yield seen
        seen.extend(str(r.args[0]) if r.args else r.getMessage() for r in caplog.records
                    if r.name.startswith("tortoise.db_client"))


async def test_a_second_command_reads_no_identity_chat_or_membership(community: Harness,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    h = community
    await h.send("张三", "/whoami")
    with statements(caplog) as sent:
        reply = await h.say("张三", "/whoami")
    assert "张三" in reply
    looked_up = [s for s in sent if any(t in s for t in ("linli_identity", "linli_channel", "linli_membership"))]
    assert looked_up == [], looked_up


async def test_a_role_given_is_seen_by_the_very_next_command(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    assert "居民" in await h.say("张三", "/whoami")
    await h.send("王书记", "/grant @张三 组织者")
    assert "组织者" in await h.say("张三", "/whoami")


async def test_a_new_display_name_is_seen_at_once(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    renamed: Any = h.event("张三", "/whoami")
    renamed = type(renamed)(**{**renamed.__dict__, "sender": type(renamed.sender)(
        **{**renamed.sender.__dict__, "display_name": "张三丰"})})
    [reply] = await h.deliver(renamed)
    assert "张三丰" in reply.text


async def test_plain_chat_sends_no_query_yet_answers_an_open_question(community: Harness,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    h = community
    if dialect() != "sqlite":
        pytest.skip("with PostgreSQL several workers may share a chat: chatter is checked in the database")
    await h.send("李四", "今天天气不错")  # the first message may load what is cached (a roster's usernames)
    with statements(caplog) as sent:
        await h.send("李四", "今天天气不错")
        await h.send("张三", "大家好")
    assert sent == [], sent
    question = await h.say("王书记", "/发布项目")
    assert "1/" in question, question
    follow_up = await h.say("王书记", "整治共享单车")
    assert "2/" in follow_up, follow_up
    await h.restart()  # what is open is read back at start
    assert "3/" in await h.say("王书记", "5")
    with statements(caplog) as sent:
        await h.send("李四", "有人吗")
    assert sent == [], sent


def test_an_in_list_of_no_values_is_refused_on_every_database() -> None:
    from core.plugin import placeholders

    assert placeholders(3) == "?, ?, ?"
    with pytest.raises(ValueError, match="at least one value"):
        placeholders(0)  # `IN ()` works on SQLite and fails on PostgreSQL: a plugin would find out in production
