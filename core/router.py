"""The command router: ``/name args`` (a Chinese alias, a subcommand, a button press, a dialog answer) to a
plugin's handler.

For every message the router finds the command, checks that its plugin is enabled in this community and
that the caller's role allows it, converts the arguments, and calls the handler inside the event's
transaction, in a savepoint. Whatever says no on the way is a :class:`core.refusal.Refusal`, answered in one
place: translated, with the usage line when it is about arguments, as a pop-up when a button was pressed,
and with the handler's changes rolled back. Never a traceback, never silence. A command declared with
``dialog=True`` is completed step by step (:mod:`core.dialogs`) when arguments are missing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core import edits
from core.arguments import Offer, Text, unquote_phrase
from core.audit import AuditNote, record_command
from core.commands import Command, ParsedLine, is_command, parse_line
from core.context import CommandContext
from core.dialogs import SKIP_WORDS, Dialogs, PendingDialog
from core.events import Button, MessageReceived, OutgoingMessage
from core.i18n import N_, Translator
from core.metrics import UNOWNED, Metrics
from core.open_dialogs import open_dialogs
from core.permissions import ROLE_PLURALS, Role
from core.refusal import Refusal
from core.scope import community_mark
from core.speakers import RecentSpeakers
from core.storage import is_unavailable
from core.unit_of_work import UnitOfWork

NOT_SET_UP = N_("This chat is not set up yet. A chat admin can start with /setup <community name>.")
NEEDS_PERSON = N_("/{name} needs to know who you are, and you are writing anonymously as the group. Turn off "
                  "“Remain anonymous” in your admin rights to use it.")
#: What the chat's admins may do as the chat itself (Telegram's anonymous admins), for commands without a person.
GROUP_ADMIN_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER, Role.ORGANIZER})


class RouterHost(Protocol):
    """What the router needs from the application around it."""

    def now(self) -> datetime: ...

    def plugin_enabled(self, community_id: int | None, plugin: str) -> bool: ...

    def plugin_title(self, plugin: str, language: str) -> str: ...

    def translator(self, language: str | None, plugin: str | None = None) -> Translator: ...

    async def command_context(self, event: MessageReceived, uow: UnitOfWork) -> CommandContext: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...


@dataclass
class CommandTable:
    """All commands by every spelling; filled when plugins are loaded."""

    commands: list[Command] = field(default_factory=list)
    by_spelling: dict[str, Command] = field(default_factory=dict)

    def add(self, cmd: Command) -> None:
        for spelling in cmd.spellings:
            key = spelling.lower()
            if key in self.by_spelling and self.by_spelling[key].plugin != cmd.plugin:
                raise ValueError(
                    f"command /{spelling} of plugin {cmd.plugin} clashes with plugin {self.by_spelling[key].plugin}"
                )
            self.by_spelling[key] = cmd
        self.commands.append(cmd)

    def find(self, name: str) -> Command | None:
        return self.by_spelling.get(name.lower())

    def find_path(self, path: str) -> Command | None:
        """A command by its path (``project new``), as a dialog stored it."""
        head, _, rest = path.partition(" ")
        cmd = self.find(head)
        return cmd.subcommand(rest) if cmd is not None and rest else cmd

    def suggest(self, name: str, visible: Callable[[Command], bool], *, latin_only: bool = False) -> str | None:
        spellings = [s for s, c in self.by_spelling.items() if visible(c) and (s.isascii() or not latin_only)]
        close = difflib.get_close_matches(name.lower(), spellings, n=1, cutoff=0.6)
        return close[0] if close else None


class Router:
    """Subscribes to :class:`MessageReceived` and turns commands into handler calls."""

    def __init__(self, host: RouterHost, dialogs: Dialogs) -> None:
        self.host = host
        self.dialogs = dialogs
        self.table = CommandTable()
        #: Who spoke where, in memory: plain chat writes nothing, yet its speakers can be named (core.speakers).
        self.speakers = RecentSpeakers()
        self.metrics: Metrics = UNOWNED

    def visible(self, cmd: Command, ctx: CommandContext) -> bool:
        """Whether ``cmd`` may be offered to this caller here (enabled plugin, sufficient role)."""
        if ctx.community is None:
            return not cmd.needs_community
        if not self.host.plugin_enabled(ctx.community.id, cmd.plugin):
            return False
        if ctx.event.sender.as_group:  # the same rule as _check: what the chat's admins may do as the chat
            return not cmd.needs_person and ctx.event.sender.is_chat_admin and cmd.role in GROUP_ADMIN_ROLES
        return ctx.has_role(cmd.role)

    def is_quiet(self, event: MessageReceived) -> bool:
        """Whether ``event`` is plain chatter that answers no open question: handling it only notes the
        speaker, so the bus runs it without a transaction (``Subscription.quiet``)."""
        if event.over_limit is not None or event.button_data is not None or not event.text.strip():
            return False
        return not is_command(event.text) and not open_dialogs.may_be_open(event)

    # -- entry -------------------------------------------------------------------------------------
    async def on_message(self, event: MessageReceived, uow: UnitOfWork) -> None:
        if event.over_limit is not None:  # refused before any parsing, so its length costs nothing
            await self._too_long(event, uow, event.over_limit)
            return
        text = community_mark(event.button_data)[1] if event.button_data is not None else event.text
        parsed = parse_line(text)
        if parsed is None and event.edited:  # edited chatter or a dialog answer: what it said first stands
            return
        if parsed is None:
            self.speakers.saw(event)
            if text.strip():
                await self._answer(event, uow, text.strip())
            return
        if not await uow.mark_processed():  # a redelivered command: it was handled already
            return
        ctx = await self.host.command_context(event, uow)
        secret = getattr(self.table.find(parsed.name), "private_words", False)  # leaves no mark (core.edits)
        if event.edited and (secret or not await edits.was_refused(event, ctx.user.id, ctx.now())):
            ctx.reply(ctx.t(edits.EDIT_NOTE))  # done, asked, erased or unknown: never applied twice
            return
        if await self.dispatch(ctx, parsed):
            if event.edited:
                await edits.done(event, ctx.user.id)
        elif not secret:
            await edits.note_refused(event, ctx.user.id, ctx.now())

    async def _too_long(self, event: MessageReceived, uow: UnitOfWork, limit: int) -> None:
        """A message over ``bus.max_message_chars``: refused when it is a command or the answer to a question
        (saying the limit, never echoing it); chatter that long is simply not read."""
        if not event.text.lstrip().startswith(("/", "／")) and await self.dialogs.pending(event) is None:
            return
        if not await uow.mark_processed():
            return
        ctx = await self.host.command_context(event, uow)
        await self._refuse(ctx, None, Refusal(N_("That message is too long: I read at most {limit} characters. "
                                                 "Please send a shorter one."), limit=limit))

    async def dispatch(self, ctx: CommandContext, parsed: ParsedLine) -> bool:
        """Run the command; False when it was refused (so nothing was done)."""
        cmd = self.table.find(parsed.name)
        try:
            if cmd is None:
                raise self._unknown(parsed.name, ctx, await ctx.latin_commands_only())
            while cmd.subcommands and parsed.words:
                chosen = cmd.subcommand(parsed.words[0])
                if chosen is None:
                    break
                self._check(cmd, ctx)
                cmd, parsed = chosen, parsed.shifted()
            self._check(cmd, ctx)
            if cmd.handler is None:  # a group named without (a known) subcommand
                if parsed.words:
                    raise Refusal(N_("{value} is not one of: {choices}"), usage=True, value=parsed.words[0],
                                  choices=ctx.t(", ").join(cmd.subcommand_names(ctx.t)))
                raise Refusal(N_("Which one?"), usage=True)
            raws = cmd.split(parsed.words, parsed.rests)
            missing = cmd.first_missing(raws)
            if missing is not None:
                await self._missing(ctx, cmd, raws, missing)
                return True
            values = await cmd.convert(raws, ctx)
            await self._call(ctx, cmd, values)
        except Refusal as refusal:
            await self._refuse(ctx, cmd, refusal)
            return False
        return True

    def _unknown(self, name: str, ctx: CommandContext, latin_only: bool) -> Refusal:
        """A pointer to the closest command this caller may use here (a Latin spelling where only those
        reach the bot), or to /help."""
        suggestion = self.table.suggest(name, lambda c: self.visible(c, ctx), latin_only=latin_only)
        if suggestion:
            return Refusal(N_("Unknown command /{name}. Did you mean /{suggestion}?"), name=name,
                           suggestion=suggestion)
        return Refusal(N_("Unknown command /{name}. Send /help to see what I can do."), name=name)

    def _check(self, cmd: Command, ctx: CommandContext) -> None:
        """The command may run here, for this person; speaks the plugin's language from here on."""
        if cmd.needs_community and ctx.community is None:
            raise Refusal(NOT_SET_UP)
        if ctx.community is not None and not self.host.plugin_enabled(ctx.community.id, cmd.plugin):
            raise Refusal(N_("{plugin} is switched off in this community; an organizer can /enable {name}."),
                          plugin=self.host.plugin_title(cmd.plugin, ctx.t.language), name=cmd.plugin)
        sender = ctx.event.sender
        if sender.as_group and cmd.needs_person:  # the chat's admins, anonymously: nobody in particular
            raise Refusal(NEEDS_PERSON, name=cmd.path)
        group_admins = sender.as_group and sender.is_chat_admin and cmd.role in GROUP_ADMIN_ROLES
        if cmd.needs_community and not (ctx.has_role(cmd.role) or group_admins):
            raise Refusal(N_("Sorry, /{name} is for {roles} only."), name=cmd.path, roles=ctx.t(ROLE_PLURALS[cmd.role]))
        ctx.plugin = cmd.plugin
        ctx.t = self.host.translator(ctx.t.language, cmd.plugin)

    async def _call(self, ctx: CommandContext, cmd: Command, values: dict[str, Any]) -> None:
        """Run the handler in a savepoint: a refusal undoes what it had changed, and is answered."""
        assert cmd.handler is not None
        mark = ctx.uow.mark()
        try:
            async with self.host.transaction():
                ctx.audit_note = AuditNote()
                with self.metrics.timed(cmd.plugin):
                    await cmd.handler(ctx, **values)
                await record_command(ctx, cmd, values)  # the audit row, in the same savepoint (core.audit)
        except Refusal:
            ctx.uow.rollback_to(mark)
            self.metrics.command(cmd.plugin, "refused")
            raise
        except Exception as error:
            if not is_unavailable(error):  # a bug of the plugin's, not the database being away
                self.metrics.command(cmd.plugin, "error")
                self.metrics.plugin_error(cmd.plugin)
            raise
        self.metrics.command(cmd.plugin, "ok")

    async def _refuse(self, ctx: CommandContext, cmd: Command | None, refusal: Refusal) -> None:
        text = await ctx.refusal_text(refusal)
        if refusal.usage and cmd is not None:
            text += "\n" + ctx.t("Usage: {usage}", usage=cmd.usage(ctx.t))
        event = ctx.event
        if event.button_data is not None:  # a pop-up on the button, not a message in the group
            ctx.uow.send(OutgoingMessage(channel=event.channel, text=text, private_to=event.sender,
                                         popup_for=event.button_token or ""))
            return
        ctx.reply(text)

    # -- dialogs -----------------------------------------------------------------------------------
    async def _question(self, ctx: CommandContext, cmd: Command,
                        index: int) -> tuple[str, tuple[tuple[Button, ...], ...]]:
        """The question for argument ``index``; an argument type with an ``offer`` (the choices depend on the
        community) adds its lines and numbered options, the options also as buttons that answer it."""
        arg = cmd.args[index]
        steps = cmd.prompted()
        where = f"({steps.index(index) + 1}/{len(steps)}) " if len(steps) > 1 else ""
        lines = [where + ctx.t(arg.prompt or arg.name)]
        offer_of = getattr(arg.type, "offer", None)
        offer: Offer = await offer_of(ctx) if offer_of is not None else Offer()
        lines += [*offer.lines, *(f"{n}. {option}" for n, option in enumerate(offer.options, 1))]
        stop = N_("(send skip to skip this one, /cancel to stop)") if arg.optional else N_("(send /cancel to stop)")
        lines.append(ctx.t(stop))
        return "\n".join(lines), tuple((Button(option, option),) for option in offer.options)

    async def _missing(self, ctx: CommandContext, cmd: Command, raws: dict[str, str | None], index: int) -> None:
        arg = cmd.args[index]
        await cmd.convert(raws, ctx)  # what was typed must be right before anything is asked or missed
        if not (cmd.dialog and arg.prompt):
            raise Refusal(N_("Missing {argument}."), usage=True, argument=arg.usage(ctx.t))
        given: dict[str, str | None] = {name: raw for name, raw in raws.items() if raw is not None}
        step = self._next_step(cmd, given, 0)
        assert step is not None
        question, buttons = await self._question(ctx, cmd, step)  # may refuse (not here): then nothing is open
        await self.dialogs.open(ctx.event, cmd.path, given, step, ctx.now())
        ctx.reply(question, buttons=buttons, asks=True)

    @staticmethod
    def _next_step(cmd: Command, answers: dict[str, Any], start: int) -> int | None:
        """The next argument to ask for: prompted, not answered (or skipped) yet."""
        return next((i for i in cmd.prompted() if i >= start and cmd.args[i].name not in answers), None)

    async def _answer(self, event: MessageReceived, uow: UnitOfWork, text: str) -> None:
        """A plain message: the answer to this person's open question here, if there is one."""
        if not open_dialogs.may_be_open(event):  # surely none: no query (core.open_dialogs)
            return
        dialog = await self.dialogs.pending(event)
        if dialog is None or not await uow.mark_processed():
            return
        if dialog.expires_at < self.host.now():
            await self.dialogs.close(dialog)
            return
        ctx = await self.host.command_context(event, uow)
        cmd = self.table.find_path(dialog.line)
        if cmd is None or dialog.step >= len(cmd.args):  # the plugin is gone: forget the question
            await self.dialogs.close(dialog)
            return
        try:
            self._check(cmd, ctx)
        except Refusal as refusal:
            await self.dialogs.close(dialog)
            await self._refuse(ctx, cmd, refusal)
            return
        arg = cmd.args[dialog.step]
        answer: str | None = unquote_phrase(text)
        skip = answer is not None and answer.lower() in SKIP_WORDS
        try:
            if skip and arg.optional:
                answer = None
            elif skip and isinstance(arg.type, Text):  # free text would take "跳过" as the answer
                raise Refusal(N_("This one cannot be skipped."))
            elif answer is not None:
                try:
                    await arg.type.convert(answer, ctx)
                except Refusal:
                    if skip:  # "-" or "无" may be a value of its own ("no deadline"); otherwise say why not
                        raise Refusal(N_("This one cannot be skipped.")) from None
                    raise
        except Refusal as refusal:
            reason = await ctx.refusal_text(refusal)
            if await self.dialogs.failed(dialog, ctx.now()):
                question, buttons = await self._question(ctx, cmd, dialog.step)
                ctx.reply(reason + "\n" + question, buttons=buttons, asks=True)
            else:
                again = await ctx.hint(cmd.path)  # spelled so that it reaches the bot on this platform
                ctx.reply(reason + "\n" + ctx.t("That was the last try; nothing was done. Send {usage} to start "
                                               "again.", usage=again))
            return
        dialog.answers = {**dialog.answers, arg.name: answer}
        step = self._next_step(cmd, dialog.answers, dialog.step + 1)
        if step is not None:
            await self.dialogs.advance(dialog, step, ctx.now())
            question, buttons = await self._question(ctx, cmd, step)
            ctx.reply(question, buttons=buttons, asks=True)
            return
        await self.dialogs.close(dialog)
        try:
            missing = cmd.first_missing(dict(dialog.answers))
            if missing is not None:  # a required argument no question asks for
                raise Refusal(N_("Missing {argument}."), usage=True, argument=cmd.args[missing].usage(ctx.t))
            values = await cmd.convert(dict(dialog.answers), ctx)
            await self._call(ctx, cmd, values)
        except Refusal as refusal:
            await self._refuse(ctx, cmd, refusal)


__all__ = ["CommandTable", "PendingDialog", "Router", "RouterHost"]
