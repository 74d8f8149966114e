"""The scheduler: jobs survive restarts, run once across processes, missed runs happen at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from core.plugin import (
    ChannelRef,
    CommandContext,
    JobContext,
    JobSpec,
    OutgoingMessage,
    PluginManifest,
    command,
    hookimpl,
)
from core.scheduler import ScheduledJob, Scheduler
from core.testing import Harness


class Reminder:
    def __init__(self) -> None:
        self.runs: list[tuple[str, int | None, dict[str, Any]]] = []

    def ran(self, *names: str) -> list[tuple[str, int | None, dict[str, Any]]]:
        return [r for r in self.runs if r[0] in names]

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="reminder", title_zh="提醒", title_en="Reminder", version="1")

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        async def remind(ctx: JobContext) -> None:
            self.runs.append(("remind", ctx.community_id if ctx.has_community else None, ctx.payload))
            ctx.uow.send(OutgoingMessage(channel=_channel(), text=f"reminder {ctx.payload['n']}"))

        async def daily(ctx: JobContext) -> None:
            self.runs.append(("daily", None, {}))

        async def flaky(ctx: JobContext) -> None:
            self.runs.append(("flaky", None, {}))
            raise RuntimeError("temporary")

        async def again(ctx: JobContext) -> None:
            self.runs.append(("again", None, ctx.payload))
            await ctx.schedule("again", ctx.now() + timedelta(days=1), key="again",
                               payload={"n": ctx.payload["n"] + 1})

        async def each(ctx: JobContext) -> None:
            self.runs.append(("each", ctx.community_id, {}))
            await ctx.announce(f"sweeping {ctx.community_id}")
            if ctx.community_id == 1:
                raise RuntimeError("community 1 is broken")

        return [JobSpec("reminder.remind", remind), JobSpec("reminder.daily", daily, every=timedelta(days=1)),
                JobSpec("reminder.flaky", flaky), JobSpec("reminder.again", again),
                JobSpec("reminder.each", each, every=timedelta(hours=1), per_community=True)]

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("again", help="again")
        async def again(ctx: CommandContext) -> None:
            await ctx.schedule("again", ctx.now(), key="again", payload={"n": 1})
            ctx.reply("scheduled")

        @command("later", help="later")
        async def later(ctx: CommandContext) -> None:
            await ctx.schedule("remind", ctx.now() + timedelta(hours=1), key="later", payload={"n": 8})
            ctx.reply("scheduled")

        @command("never", help="never")
        async def never(ctx: CommandContext) -> None:
            await ctx.cancel("later")
            ctx.reply("cancelled")

        return [again, later, never]


def _channel() -> ChannelRef:
    return ChannelRef("console", "group", "group")


@pytest.fixture
async def reminders(db_url: str) -> AsyncIterator[tuple[Harness, Reminder]]:
    plugin = Reminder()
    async with Harness.create(db_url, plugins=[plugin], load_builtins=False) as h:  # only this plugin's jobs
        await h.send("王书记", "/setup 观梅社区")
        yield h, plugin


async def test_one_shot_job_runs_once_when_due_and_its_message_is_sent(reminders: tuple[Harness, Reminder]) -> None:
    h, plugin = reminders
    await h.app.scheduler.schedule("reminder.remind", h.clock() + timedelta(hours=2), key="r:1", community_id=1,
                                   payload={"n": 1})
    assert await h.run_jobs(after=timedelta(hours=1)) == 0
    assert await h.run_jobs(after=timedelta(hours=1)) == 1
    assert await h.run_jobs(after=timedelta(hours=1)) == 0
    assert [r for r in plugin.runs if r[0] == "remind"] == [("remind", 1, {"n": 1})]
    assert h.said()[-1] == "reminder 1"


async def test_rescheduling_the_same_key_moves_the_job(reminders: tuple[Harness, Reminder]) -> None:
    h, plugin = reminders
    await h.app.scheduler.schedule("reminder.remind", h.clock() + timedelta(hours=1), key="r:2", payload={"n": 2})
    await h.app.scheduler.schedule("reminder.remind", h.clock() + timedelta(hours=5), key="r:2", payload={"n": 3})
    await h.run_jobs(after=timedelta(hours=2))
    assert plugin.ran("remind") == []
    await h.run_jobs(after=timedelta(hours=4))
    assert plugin.ran("remind") == [("remind", None, {"n": 3})]


async def test_jobs_survive_a_restart_and_a_missed_periodic_run_happens_at_start(
    reminders: tuple[Harness, Reminder],
) -> None:
    h, plugin = reminders
    await h.app.scheduler.schedule("reminder.remind", h.clock() + timedelta(hours=1), key="r:3", payload={"n": 4})
    await h.restart()
    h.clock.advance(timedelta(days=3))  # the process was down for three days
    await h.restart()
    await h.run_jobs()
    assert sorted(r[0] for r in plugin.ran("daily", "remind")) == ["daily", "remind"], (
        "the missed daily run happens once, not 3×")
    job = await ScheduledJob.get(key="reminder.daily")
    assert job.run_at == h.clock() + timedelta(days=1)


async def test_two_processes_sharing_the_database_run_a_due_job_once(reminders: tuple[Harness, Reminder]) -> None:
    h, plugin = reminders
    await h.app.scheduler.schedule("reminder.remind", h.clock(), key="r:4", payload={"n": 5})
    other = Scheduler(h.app)  # a second worker process: same jobs, its own lease owner id
    other.specs = h.app.scheduler.specs
    first = await h.app.scheduler.run_due()
    second = await other.run_due()
    assert first + second == 1
    assert len([r for r in plugin.runs if r[0] == "remind"]) == 1


async def test_a_leased_job_is_not_taken_by_another_worker(reminders: tuple[Harness, Reminder]) -> None:
    h, _ = reminders
    await h.app.scheduler.schedule("reminder.remind", h.clock(), key="r:5", payload={"n": 6})
    await ScheduledJob.filter(key="r:5").update(lease_owner="elsewhere", lease_until=h.clock() + timedelta(minutes=5))
    assert await h.run_jobs() == 0
    assert await h.run_jobs(after=timedelta(minutes=6)) == 1, "an expired lease (crashed worker) is taken over"


async def test_a_failing_job_is_retried_with_backoff(reminders: tuple[Harness, Reminder]) -> None:
    h, plugin = reminders
    await h.app.scheduler.schedule("reminder.flaky", h.clock(), key="f:1")
    await h.run_jobs()
    job = await ScheduledJob.get(key="f:1")
    assert job.attempts == 1 and "temporary" in (job.last_error or "")
    assert await h.run_jobs() == 0
    await h.run_jobs(after=timedelta(minutes=1))
    assert [r[0] for r in plugin.runs].count("flaky") == 2


async def test_a_community_job_of_a_disabled_plugin_waits_instead_of_being_lost(
    reminders: tuple[Harness, Reminder],
) -> None:
    h, plugin = reminders
    await h.send("王书记", "/disable reminder")
    await h.app.scheduler.schedule("reminder.remind", h.clock(), key="r:6", community_id=1, payload={"n": 7})
    await h.run_jobs()
    assert plugin.ran("remind", "each") == []
    await h.send("王书记", "/enable reminder")
    await h.run_jobs(after=timedelta(hours=1, minutes=1))
    assert [r[0] for r in plugin.ran("remind")] == ["remind"]


async def test_a_job_that_reschedules_itself_keeps_its_next_run(reminders: tuple[Harness, Reminder]) -> None:
    h, plugin = reminders
    assert await h.say("张三", "/again") == "scheduled"
    await h.run_jobs()
    await h.run_jobs(after=timedelta(days=1))
    await h.run_jobs(after=timedelta(days=1))
    assert [r[2]["n"] for r in plugin.runs if r[0] == "again"] == [1, 2, 3]
    assert await ScheduledJob.filter(spec="reminder.again").count() == 1, "one row, moved each time"


async def test_a_plugin_schedules_and_cancels_its_own_jobs_from_its_scope(
    reminders: tuple[Harness, Reminder],
) -> None:
    h, plugin = reminders
    assert await h.say("张三", "/later") == "scheduled"
    assert await h.run_jobs(after=timedelta(hours=2)) == 1
    assert plugin.ran("remind") == [("remind", 1, {"n": 8})], "the job runs in the command's community"
    assert await h.say("张三", "/later") == "scheduled"
    assert await h.say("张三", "/never") == "cancelled"
    assert await h.run_jobs(after=timedelta(hours=2)) == 0
    assert len(plugin.ran("remind")) == 1


async def test_job_keys_are_per_plugin_and_a_plugin_runs_only_its_own_jobs(db_url: str) -> None:
    class Other:
        """Uses the same key as the reminder plugin, and tries to schedule the reminder's job."""

        @hookimpl
        def linli_manifest(self) -> PluginManifest:
            return PluginManifest(name="other", title_zh="其他", title_en="Other", version="1")

        @hookimpl
        def linli_jobs(self) -> list[JobSpec]:
            async def remind(ctx: JobContext) -> None:
                return None

            return [JobSpec("other.remind", remind)]

        @hookimpl
        def linli_commands(self) -> list[Any]:
            @command("mine", help="mine")
            async def mine(ctx: CommandContext) -> None:
                await ctx.schedule("remind", ctx.now() + timedelta(hours=5), key="later")
                ctx.reply("mine")

            @command("theirs", help="theirs")
            async def theirs(ctx: CommandContext) -> None:
                await ctx.schedule("reminder.remind", ctx.now(), key="x", payload={"n": 0})

            return [mine, theirs]

    plugin = Reminder()
    async with Harness.create(db_url, plugins=[plugin, Other()], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/later")
        await h.send("张三", "/mine")
        assert await ScheduledJob.filter(spec__in=["reminder.remind", "other.remind"]).count() == 2, (
            "the same key in two plugins is two jobs")
        assert await h.run_jobs(after=timedelta(hours=2)) == 1
        assert plugin.ran("remind") == [("remind", 1, {"n": 8})]
        assert await h.send("张三", "/theirs") == [
            "抱歉，处理这条消息时出了点问题，什么都没有改变。请稍后再试。"], "another plugin's job is not reachable"
        assert await h.run_jobs(after=timedelta(hours=1)) == 0


async def test_per_community_jobs_run_separately_and_a_failure_stays_in_its_community(
    reminders: tuple[Harness, Reminder],
) -> None:
    h, plugin = reminders
    await h.send("王书记", "/setup 第二社区", room="other")
    await h.run_jobs(after=timedelta(hours=1, minutes=1))
    assert sorted(r[1] or 0 for r in plugin.runs if r[0] == "each") == [1, 2]
    assert "sweeping 2" in h.said("other"), "community 2's work committed and was sent"
    assert "sweeping 1" not in h.said("group"), "community 1's failed run sent nothing"
