"""The command router: ``/name args`` (or a Chinese alias, or a button press) to a plugin's handler.

For every message the router finds the command, checks that its plugin is enabled in this community and
that the caller's role allows it, converts the arguments, and calls the handler inside the event's
transaction. Whatever goes wrong on the way is answered with a short translated message and, for bad
arguments, the usage line: never a traceback, never silence. A command that declares prompts can also
be completed step by step (see :mod:`core.dialogs`) when its arguments are missing.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.arguments import Arg, ArgError, Rest, split_with_rests, split_words
from core.i18n import N_, Translator
from core.permissions import ROLE_LABELS, Role

if TYPE_CHECKING:
    from core.context import CommandContext

CommandHandler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    role: Role = Role.RESIDENT
    help: str = ""
    #: False for commands that work in a chat not yet bound to a community (/setup, /help, /whoami).
    needs_community: bool = True
    #: Ask for missing arguments one by one instead of answering with the usage line.
    dialog: bool = False
    plugin: str = "core"

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def usage(self, t: Translator) -> str:
        parts = [f"/{self.name}", *(arg.usage(t) for arg in self.args)]
        return " ".join(parts)

    def title(self, t: Translator) -> str:
        alias = next((a for a in self.aliases if not a.isascii()), None)
        return f"/{self.name}" + (f" (/{alias})" if alias and t.language != "en" else "")

    async def convert(self, words: Sequence[str], rests: Sequence[str], ctx: CommandContext) -> dict[str, Any]:
        """Typed values for the handler's keyword arguments; raises ArgError or MissingArgument."""
        values: dict[str, Any] = {}
        position = 0
        for index, arg in enumerate(self.args):
            if isinstance(arg.type, Rest):
                text = _unquote(rests[position] if position < len(rests) else "")
                if not text and not arg.optional:
                    raise MissingArgument(index)
                values[arg.name] = await arg.type.convert(text, ctx) if text else None
                position = len(words)
                continue
            if position >= len(words):
                if not arg.optional:
                    raise MissingArgument(index)
                values[arg.name] = None
                continue
            values[arg.name] = await arg.type.convert(words[position], ctx)
            position += 1
        if position < len(words):
            raise ArgError(N_("too many arguments: {extra}"), extra=" ".join(words[position:]))
        return values


class MissingArgument(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _unquote(text: str) -> str:
    """Free text that is one quoted phrase (as a dialog answer is) loses its quotes; anything else is kept."""
    words = split_words(text)
    return words[0] if len(words) == 1 else text


def command(
    name: str,
    *,
    args: Iterable[Arg] = (),
    aliases: Iterable[str] = (),
    role: Role = Role.RESIDENT,
    help: str = "",
    needs_community: bool = True,
    dialog: bool = False,
) -> Callable[[CommandHandler], Command]:
    """Declare a chat command; the decorated coroutine receives ``ctx`` and the converted arguments."""

    def declare(handler: CommandHandler) -> Command:
        return Command(
            name=name,
            handler=handler,
            args=tuple(args),
            aliases=tuple(aliases),
            role=role,
            help=help,
            needs_community=needs_community,
            dialog=dialog,
        )

    return declare


@dataclass
class ParsedLine:
    name: str
    words: list[str]
    #: ``rests[i]``: the text after the first ``i`` words, as typed (for free-text arguments).
    rests: list[str]

    @property
    def rest(self) -> str:
        """Everything after the command name."""
        return self.rests[0] if self.rests else ""


def parse_line(text: str) -> ParsedLine | None:
    """``/cmd@bot a "b c"`` → name 'cmd', words ['a', 'b c']; None when the text is no command."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/／":
        return None
    head, _, rest = stripped[1:].replace("\u3000", " ").partition(" ")
    name = head.split("@", 1)[0]
    if not name:
        return None
    words, rests = split_with_rests(rest)
    return ParsedLine(name=name, words=words, rests=rests)


@dataclass
class CommandTable:
    """All commands by every spelling; rebuilt when plugins are loaded."""

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

    def suggest(self, name: str, visible: Callable[[Command], bool]) -> str | None:
        spellings = [s for s, c in self.by_spelling.items() if visible(c)]
        close = difflib.get_close_matches(name.lower(), spellings, n=1, cutoff=0.6)
        return close[0] if close else None


def role_label(t: Translator, role: Role) -> str:
    return t(ROLE_LABELS[role])


class Router:
    """Subscribes to :class:`MessageReceived` and turns commands into handler calls."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.table = CommandTable()

    def visible(self, cmd: Command, ctx: CommandContext) -> bool:
        """Whether ``cmd`` may be offered to this caller here (enabled plugin, sufficient role)."""
        if ctx.community is None:
            return not cmd.needs_community
        if cmd.plugin != "core" and not self.app.plugins.is_enabled(ctx.community.id, cmd.plugin):
            return False
        return ctx.has_role(cmd.role)

    async def on_message(self, event: MessageReceived, uow: UnitOfWork) -> None:
        text = event.button_data if event.button_data is not None else event.text
        parsed = parse_line(text)
        if parsed is None:
            if text.strip():
                await self.app.dialogs.answer(self, event, uow, text.strip())
            return
        if not await uow.claim_event():  # a redelivered command: it was handled already
            return
        ctx = await self.app.context_for(event, uow)
        await self.run(ctx, parsed)

    async def run(self, ctx: CommandContext, parsed: ParsedLine) -> None:
        t = ctx.t
        cmd = self.table.find(parsed.name)
        if cmd is None:
            suggestion = self.table.suggest(parsed.name, lambda c: self.visible(c, ctx))
            if suggestion:
                ctx.reply(t("Unknown command /{name}. Did you mean /{suggestion}?", name=parsed.name,
                            suggestion=suggestion))
            else:
                ctx.reply(t("Unknown command /{name}. Send /help to see what I can do.", name=parsed.name))
            return
        if cmd.needs_community and ctx.community is None:
            ctx.reply(t("This chat is not set up yet. A chat admin can start with /setup <community name>."))
            return
        if ctx.community is not None and not self.app.plugins.is_enabled(ctx.community.id, cmd.plugin):
            title = self.app.plugins.manifests[cmd.plugin].title(t.language)
            ctx.reply(t("{plugin} is switched off in this community; an organizer can /enable {name}.",
                        plugin=title, name=cmd.plugin))
            return
        if cmd.needs_community and not ctx.has_role(cmd.role):
            ctx.reply(t("Sorry, /{name} is for {role}s only.", name=cmd.name, role=role_label(t, cmd.role)))
            return
        ctx.plugin = cmd.plugin
        ctx.t = t = self.app.translator(t.language, cmd.plugin)
        try:
            values = await cmd.convert(parsed.words, parsed.rests, ctx)
        except ArgError as error:
            ctx.reply(t(error.message, **error.values) + "\n" + t("Usage: {usage}", usage=cmd.usage(t)))
            return
        except MissingArgument as missing:
            arg = cmd.args[missing.index]
            if cmd.dialog and arg.prompt:
                await self.app.dialogs.ask(ctx, cmd, parsed, arg)
                return
            ctx.reply(t("Missing {argument}.", argument=arg.usage(t)) + "\n" + t("Usage: {usage}",
                                                                              usage=cmd.usage(t)))
            return
        await cmd.handler(ctx, **values)


if TYPE_CHECKING:
    from core.app import Application
    from core.events import MessageReceived
    from core.unit_of_work import UnitOfWork
