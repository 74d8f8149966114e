"""A third-party plugin written against ``core.plugin`` alone works on the console and on Telegram.

The ``Reminder`` plugin below is what an outside author would write: it uses nothing from linli but
``core.plugin`` (a test checks every name its code reads), schedules a one-shot job from a command and,
when the job runs, tells the person privately. The tests run it on the real console adapter and on the
real Telegram adapter talking to the Bot API emulator, and check that neither its command context nor its
job context offers a way around the public API (no ``app``), and that no hook is handed the application.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import textwrap
from datetime import timedelta

import core.plugin
from adapters.console import ConsoleAdapter
from core import hookspecs
from core.app import Application
from core.plugin import (
    N_,
    Arg,
    Command,
    CommandContext,
    Int,
    JobContext,
    JobSpec,
    PluginManifest,
    Rest,
    Scope,
    command,
    hookimpl,
)
from core.testing import Harness
from tests.adapters.telegram.conftest import (
    Neighbourhood,
    Stack,
    emu,  # noqa: F401  (fixture)
    hood,  # noqa: F401  (fixture)
    ptb_timedelta,  # noqa: F401  (autouse fixture)
)
from tests.support.telegram_emulator import BotApiEmulator


class Reminder:
    """``/remindme <minutes> <text>``: the bot reminds you privately, once, after that many minutes."""

    def __init__(self) -> None:
        #: Every scope the plugin's code ran in, so the tests can look at what a plugin is handed.
        self.scopes: list[Scope] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="reminder", title_zh="提醒", title_en="Reminders", version="1.0.0")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        @command(
            "remindme",
            args=(Arg("minutes", Int(1, 7 * 24 * 60), label=N_("minutes")), Arg("text", Rest(200), label=N_("text"))),
            help=N_("Remind me privately in a few minutes"),
        )
        async def remindme(ctx: CommandContext, minutes: int, text: str) -> None:
            self.scopes.append(ctx)
            at = ctx.now() + timedelta(minutes=minutes)
            # Keyed by the chat message: a redelivered message moves the same reminder instead of adding one.
            await ctx.schedule("remind", at, key=ctx.event.event_id, payload={"user_id": ctx.user.id, "text": text})
            ctx.reply(ctx.t("I will remind you privately at {time}.", time=ctx.when(at)))

        return [remindme]

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        async def remind(job: JobContext) -> None:
            self.scopes.append(job)
            await job.notify(int(job.payload["user_id"]), job.t("⏰ Reminder: {text}", text=job.payload["text"]))

        return [JobSpec("remind", remind)]


# -- the tests ----------------------------------------------------------------------------------------------
def names_used_by(cls: type) -> set[str]:
    """Every global name the class's code reads (its own parameters and local names left out)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    local = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    local |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    local |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - local - set(dir(builtins))


def test_the_reminder_plugin_uses_nothing_but_the_public_api() -> None:
    outside = names_used_by(Reminder) - set(core.plugin.__all__) - {"timedelta"}
    assert outside == set(), f"the plugin reaches past core.plugin: {outside}"


def assert_no_way_around_the_api(plugin: Reminder) -> None:
    kinds = {type(scope) for scope in plugin.scopes}
    assert kinds == {CommandContext, JobContext}, kinds
    for scope in plugin.scopes:
        assert not hasattr(scope, "app"), f"{type(scope).__name__} hands the plugin the application"


def test_no_hook_is_handed_the_application() -> None:
    for name, spec in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("linli_"):
            continue
        for parameter in inspect.signature(spec).parameters.values():
            assert parameter.name != "app", f"{name} takes the application"
            assert "Application" not in str(parameter.annotation), f"{name}({parameter.name}) is the application"


async def test_a_reminder_on_the_console_is_printed_as_a_private_notice(db_url: str) -> None:
    plugin = Reminder()
    async with Harness.create(db_url, plugins=[plugin]) as h:
        out = io.StringIO()
        console = ConsoleAdapter(h.app.adapter_services, stdin=io.StringIO(""), stdout=out)
        h.app.adapters["console"] = console

        async def feed(line: str) -> list[str]:
            start = len(out.getvalue().splitlines())
            await console.feed(line)
            await h.app.settle()
            return out.getvalue().splitlines()[start:]

        await feed("王书记: /setup 观梅社区")
        await feed("王书记: /language en")  # the plugin ships no Chinese translation
        assert await feed("张三: /remindme 30 给阳台的花浇水") == [
            "[main] bot: I will remind you privately at 11/23 10:30."]
        await h.run_jobs(timedelta(minutes=29))
        assert out.getvalue().splitlines()[-1].endswith("10:30."), "not yet"
        await h.run_jobs(timedelta(minutes=1))
        assert out.getvalue().splitlines()[-1] == "[main] bot → 张三: ⏰ Reminder: 给阳台的花浇水"
        await h.run_jobs(timedelta(hours=1))
        assert out.getvalue().count("Reminder:") == 1, "a one-shot job runs once"
    assert_no_way_around_the_api(plugin)


class ReminderStack(Stack):
    """The Telegram stack of ``tests/adapters/telegram`` with the reminder plugin installed."""

    def __init__(self, emulator: BotApiEmulator, db_url: str, plugin: Reminder) -> None:
        super().__init__(emulator, db_url)
        self.plugin = plugin

    def build(self) -> Application:
        return Application(self.settings, clock=self.clock, plugins=[self.plugin], load_entry_points=False)


async def test_a_reminder_on_telegram_arrives_as_a_direct_message(
    emu: BotApiEmulator, hood: Neighbourhood, db_url: str,  # noqa: F811
) -> None:
    plugin = Reminder()
    linli = ReminderStack(emu, db_url, plugin)
    await linli.open()
    try:
        running = await linli.start()
        emu.user_says(hood.group, hood.wang, "/setup@linli_test_bot 观梅社区")
        emu.user_says(hood.group, hood.wang, "/language en")  # the plugin ships no Chinese translation
        await emu.wait_for_sent(2)
        private = emu.private_chat(hood.zhang)
        emu.user_says(private, hood.zhang, "/start")  # 张三 has started the bot, so it may write to him
        await emu.wait_for_sent(3)
        emu.user_says(hood.group, hood.zhang, "/remindme 30 给阳台的花浇水")
        reply = (await emu.wait_for_sent(4))[3]
        assert (reply.chat_id, reply.plain_text) == (hood.group.id, "I will remind you privately at 11/23 10:30.")

        linli.clock.advance(timedelta(minutes=30))
        await running.app.scheduler.run_due()
        reminder = (await emu.wait_for_sent(5))[4]
        assert (reminder.chat_id, reminder.plain_text) == (private.id, "⏰ Reminder: 给阳台的花浇水")
        assert [s.chat_id for s in emu.sent].count(hood.group.id) == 3, "nothing about it in the group"
    finally:
        await linli.close()
    assert_no_way_around_the_api(plugin)
