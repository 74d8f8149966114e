"""Dead letters: an event set aside after failing is listed, replayed once the bug is gone, and answered."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core.arguments import Rest
from core.commands import Arg, Command, command
from core.context import CommandContext
from core.deadletters import DEAD_LETTER_AFTER, DeadLetter, encode_event
from core.events import ChannelRef, IdentityRef, MessageReceived
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.testing import Harness
from tests.core.test_cli import linli


def test_a_dead_letter_is_listed_then_replayed_and_its_reply_waits_for_the_bot(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'linli.db'}"
    assert linli("migrate", cwd=tmp_path, LINLI_DATABASE_URL=db).returncode == 0
    event = MessageReceived(event_id="console:dead-1", channel=ChannelRef("console", "main", "main"),
                            sender=IdentityRef("console", "王书记", "王书记", is_chat_admin=True),
                            text="/setup 观梅社区", message_id="7")
    with sqlite3.connect(tmp_path / "linli.db") as conn:
        conn.execute("INSERT INTO linli_dead_letter (event_id, payload, error, created_at) VALUES (?, ?, ?, ?)",
                     (event.event_id, json.dumps(encode_event(event)), "RuntimeError: a bug",
                      "2026-11-30 10:00:00+00:00"))
    listed = linli("deadletters", "list", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert listed.returncode == 0, listed.stderr
    assert "console:dead-1" in listed.stdout and "王书记: '/setup 观梅社区'" in listed.stdout
    assert "RuntimeError: a bug" in listed.stdout

    replayed = linli("deadletters", "replay", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.strip() == "1: handled"
    with sqlite3.connect(tmp_path / "linli.db") as conn:
        assert conn.execute("SELECT name FROM linli_community").fetchall() == [("观梅社区",)]
        [(payload,)] = conn.execute("SELECT payload FROM linli_outbox").fetchall()
    assert "观梅社区" in json.loads(payload)["text"], "the reply waits in the outbox for the running bot"
    again = linli("deadletters", "replay", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert again.stdout.strip() == "no dead letters"
    assert linli("deadletters", "list", cwd=tmp_path, LINLI_DATABASE_URL=db).stdout.strip() == "no dead letters"


class SecretBallot:
    """``/ballot <words>``: a command whose words are nobody's business but the voter's."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="ballot", title_zh="投票", title_en="Ballot", version="1.0.0")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        @command("ballot", args=(Arg("words", Rest(200)),), private_words=True)
        async def ballot(ctx: CommandContext, words: str) -> None:
            ctx.reply("noted")

        return [ballot]


async def test_a_private_command_set_aside_keeps_no_words(db_url: str) -> None:
    async with Harness.create(db_url, plugins=[SecretBallot()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        original, tries = h.app.transaction, []

        def broken() -> object:
            if len(tries) < DEAD_LETTER_AFTER:
                tries.append(1)
                raise RuntimeError("a bug in the core")
            return original()

        h.app.transaction = broken  # type: ignore[method-assign]
        event = h.event("张三", "/ballot 物业 1 星 王经理收红包")
        for _ in range(DEAD_LETTER_AFTER - 1):
            with pytest.raises(RuntimeError):
                await h.app.adapter_services.receive(event)
        assert await h.app.adapter_services.receive(event) is True
        h.app.transaction = original  # type: ignore[method-assign]
        await h.app.settle()
        [letter] = await DeadLetter.all()
        assert letter.payload["text"] == "" and "王经理" not in letter.error
        assert "请稍后再试" in h.adapter.sent[-1].text, "the voter still gets the apology"


def test_a_replayed_dead_letter_keeps_every_field_but_its_button_token() -> None:
    """A dead letter read back for replay is the event that failed: an edit stays an edit (core.edits),
    an over-long text stays refused unread (``over_limit``), a forum topic's reply goes back into it."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from core.deadletters import decode_event
    from core.events import Attachment

    event = MessageReceived(
        event_id="telegram:1:9", channel=ChannelRef("telegram", "-100", "观梅", thread_id="7"),
        sender=IdentityRef("telegram", "42", "张三", username="zhangsan", language="zh", as_group=False),
        text="/thanks " + "谢" * 100, message_id="9", mentions=(IdentityRef("telegram", "43", "李四"),),
        attachments=(Attachment("photo", "file-1", caption="好"),), button_data="verify:1",
        button_token="press-1", edited=True, editable=True, reply_to_message_id="8",
        received_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC), over_limit=4096,
    )
    stored = json.loads(json.dumps(encode_event(event)))  # as the JSON column holds it
    assert decode_event(stored) == replace(event, button_token=None)
