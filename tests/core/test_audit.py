"""The audit log: every privileged command leaves exactly one row (refused or redelivered: none), /audit
filters by person and plugin, the CLI exports CSV, and /forgetme keeps the rows under the pseudonym."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from core.audit import AuditEntry, privileged
from core.commands import Command
from core.identity import User
from core.testing import Harness

#: One line that succeeds, for every command of the core that needs more than the resident role.
CORE_EXAMPLES = {
    "grant": "/grant @张三 volunteer",
    "revoke": "/revoke @李四 volunteer",
    "enable": "/enable ratings",
    "disable": "/disable claims",
    "config": "/config claims stale_after_days 10",
    "language": "/language zh",
    "verifyresident": "/verifyresident @张三 3-2-301",
    "unverifyresident": "/unverifyresident @李四",
    "resident verify": "/resident verify @张三 3-2-302",
    "resident unverify": "/resident unverify @李四",
    "correct": "/correct points 1 wrong person",
    "setup": "/setup 梅园社区",
}
#: Where an example runs when not in the community's group: /setup needs a chat of its own.
ROOMS = {"setup": "新群"}


def flattened(commands: list[Command]) -> list[Command]:
    out = []
    for cmd in commands:
        out += [cmd, *flattened(list(cmd.subcommands))]
    return out


@pytest.fixture
async def hood(community: Harness) -> AsyncIterator[Harness]:
    """观梅社区: 王书记 organizes; 张三 and 李四 are members; 李四 is a volunteer and a verified resident, and
    has one ledger entry (#1)."""
    h = community
    await h.send("张三", "/whoami")
    await h.send("李四", "/whoami")
    await h.send("王书记", "/grant @李四 volunteer")
    await h.send("王书记", "/verifyresident @李四 1-1-101")
    await h.send("王书记", "/disable ratings")
    from core.points import award

    user = await User.get(display_name="李四")
    await award(1, user.id, 3, "thanks", "thanks", "thanks:test:1", zone=community.app.timezone)
    await AuditEntry.all().delete()
    yield h


def core_privileged(h: Harness) -> list[str]:
    return sorted({c.path for c in flattened(h.app.router.table.commands) if c.plugin == "core" and privileged(c)})


#: Privileged commands other engineers are adding right now (issue 17's imports, topics): examples to come.
IN_PROGRESS = {"import", "setup topic", "board private", "board public", "board slug"}


async def test_every_privileged_core_command_has_an_example(hood: Harness) -> None:
    missing = set(core_privileged(hood)) - set(CORE_EXAMPLES) - IN_PROGRESS
    assert not missing, f"a privileged command needs an example line here: {sorted(missing)}"
    assert set(CORE_EXAMPLES) <= set(core_privileged(hood))


@pytest.mark.parametrize("path", sorted(CORE_EXAMPLES))
async def test_each_privileged_command_writes_one_row_and_a_refused_one_none(hood: Harness, path: str) -> None:
    h = hood
    line = CORE_EXAMPLES[path]
    refused = await h.say("张三", line, room=ROOMS.get(path, "group"))
    assert refused.startswith(("抱歉", "只有本群的管理员")), f"a resident is refused: {refused}"
    assert await AuditEntry.all().count() == 0, "a refused command leaves no row"
    event = h.event("王书记", line, room=ROOMS.get(path, "group"))
    replies = await h.deliver(event)
    assert replies, line
    rows = await AuditEntry.all()
    assert [r.action for r in rows] == ["correct" if path == "correct" else path], [r.text for r in replies]
    organizer = await User.get(display_name="王书记")
    assert rows[0].actor_user_id == organizer.id and rows[0].community_id == (2 if path == "setup" else 1)
    await h.deliver(event)
    assert await AuditEntry.all().count() == 1, "a redelivered command records once"


async def test_rows_name_the_target_and_the_reason_and_audit_filters(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/grant @张三 organizer")
    await h.send("王书记", "/disable claims")
    await h.send("王书记", "/correct points 1 给错人了")
    zhang, li = await User.get(display_name="张三"), await User.get(display_name="李四")
    grant = await AuditEntry.get(action="grant")
    assert (grant.target_user_id, grant.details) == (zhang.id, {"role": "organizer"})
    correction = await AuditEntry.get(action="correct")
    assert (correction.target_user_id, correction.reason, correction.details["points"]) == (li.id, "给错人了", -3)
    about_zhang = await h.say("王书记", "/审计 @张三")
    assert "/grant → 张三" in about_zhang and "/disable" not in about_zhang and "李四" not in about_zhang
    core_only = await h.say("王书记", "/audit core month")
    assert "/grant" in core_only and "/disable" in core_only and "给错人了" in core_only
    assert "原因：给错人了" in core_only
    assert "claims" not in (await h.say("王书记", "/audit thanks"))
    assert await h.say("王书记", "/audit thanks") == "审计日志里没有相关记录。"
    assert (await h.say("王书记", "/audit 谁也不是")).startswith("谁也不是 既不是这里的成员")


async def test_audit_is_paged(hood: Harness) -> None:
    h = hood
    for _ in range(8):
        await h.send("王书记", "/disable claims")
        await h.send("王书记", "/enable claims")
    first = (await h.deliver(h.event("王书记", "/audit")))[0]
    assert first.text.startswith("审计日志，全部记录（第 1–15 条，共 16 条）") and first.buttons, first.text
    second = await h.press("王书记", "下一页")
    assert "（第 16–16 条，共 16 条）" in second[0], "reading the log is no step of its own (core.audit.reads)"


async def test_readings_leave_no_row_and_a_config_that_changes_does(hood: Harness) -> None:
    """Review: /residents, /audit and /config that only shows were each recorded as a privileged step, so an
    organizer looking at the log filled it with their own looks."""
    h = hood
    for line in ("/residents", "/audit", "/审计 @张三", "/config claims", "/config claims stale_after_days"):
        assert await h.send("王书记", line), line
    assert await AuditEntry.all().count() == 0
    await h.send("王书记", "/config claims stale_after_days 10")
    assert [(r.action, r.details) for r in await AuditEntry.all()] == [
        ("config", {"plugin": "claims", "key": "stale_after_days", "value": "10"})]


async def test_forgetme_keeps_the_rows_under_the_pseudonym(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/grant @张三 volunteer")
    await h.send("王书记", "/revoke @张三 volunteer")
    await h.send("王书记", "/correct points 1 张三 说是给张三的")
    mydata = (await h.deliver(h.event("张三", "/mydata", direct=True)))[0]
    data = json.loads(mydata.files[0].data)
    assert [r["action"] for r in data["core"]["audit"]] == ["grant", "revoke"]
    await h.send("张三", "/forgetme 确认")
    zhang = await User.get(display_name__startswith="已注销用户#")
    log = await h.say("王书记", "/audit")
    assert f"/grant → {zhang.display_name}" in log and "张三" not in log, log
    assert await AuditEntry.filter(target_user_id=zhang.id).count() == 2
    assert not await AuditEntry.filter(reason__contains="张三").exists()


async def test_cli_exports_csv_and_records_the_operator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.cli import main

    db = tmp_path / "linli.db"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "sqlite://{db}"\n', encoding="utf-8")
    async with Harness.create(f"sqlite://{db}") as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        await h.send("王书记", "/grant @张三 volunteer")
    def linli(*words: str) -> int:
        return main(["--settings", str(settings), *words])

    assert await asyncio.to_thread(linli, "plugins", "disable", "claims", "--community", "观梅社区") == 0
    out = tmp_path / "audit.csv"
    assert await asyncio.to_thread(linli, "audit", "--community", "观梅社区", "--format", "csv", "--output",
                                   str(out)) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["action"], r["by"], r["about"]) for r in rows] == [
        ("setup", "王书记", ""), ("grant", "王书记", "张三"), ("disable", "the operator (CLI)", "claims")]
    assert await asyncio.to_thread(linli, "audit", "--community", "观梅社区", "--since", "2999-01-01",
                                   "--format", "csv", "--output", str(out)) == 0
    assert len(list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))) == 0


async def test_a_job_writes_its_own_row_through_the_scope(community: Harness) -> None:
    """Outside a command (a job, a subscriber with a scope) ``ctx.audit`` writes one row at once."""
    from core.unit_of_work import UnitOfWork

    scope = await community.app.job_context(UnitOfWork(), "ratings", 1, {}, [1])
    await scope.audit("rating close", target="period 3", reason="the end date passed")
    row = await AuditEntry.get(action="rating close")
    assert (row.plugin, row.actor_kind, row.actor_user_id, row.target) == ("ratings", "system", None, "period 3")


async def test_the_csv_keeps_a_reason_that_looks_like_a_formula_as_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Review: a reason typed in chat (``=HYPERLINK(…)``) went into the CSV as it was, and a spreadsheet
    opening the export ran it as a formula."""
    from core.cli import main
    from core.points import award

    db = tmp_path / "linli.db"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "sqlite://{db}"\n', encoding="utf-8")
    async with Harness.create(f"sqlite://{db}") as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        zhang = await User.get(display_name="张三")
        await award(1, zhang.id, 3, "thanks", "thanks", "thanks:test:1", zone=h.app.timezone)
        await h.send("王书记", '/correct points 1 =HYPERLINK("http://evil.example","点我")')
    out = tmp_path / "audit.csv"
    assert await asyncio.to_thread(main, ["--settings", str(settings), "audit", "--community", "观梅社区",
                                          "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["reason"] for r in rows if r["action"] == "correct"] == ["'=HYPERLINK(\"http://evil.example\",\"点我\")"]
