"""How a plugin declares a chat command: name, aliases, typed arguments, role, help, subcommands.

``/project new 整治共享单车 3 12-31`` is the command ``project`` with the subcommand ``new``; each
subcommand is a full command of its own (arguments, role, aliases such as ``新建``), so usage lines and
help are generated from the declaration instead of hand-parsed text. The router (:mod:`core.router`) does
the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from core.arguments import Arg, Rest, excerpt, split_with_rests, unquote_phrase
from core.i18n import N_, Translator
from core.permissions import Role
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.context import CommandContext

CommandHandler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler | None
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    role: Role = Role.RESIDENT
    help: str = ""
    #: False for commands that work in a chat not yet bound to a community (/setup, /help, /whoami).
    needs_community: bool = True
    #: Ask for missing arguments one by one instead of answering with the usage line.
    dialog: bool = False
    plugin: str = "core"
    #: ``/project new …``: the first word picks one of these; without a match the command's own handler runs.
    subcommands: tuple[Command, ...] = ()
    #: The parent's name for a subcommand (``project``), so usage reads ``/project new <title>``.
    parent: str | None = None
    #: What people type after it is theirs alone (an anonymous rating): if the core ever sets the message
    #: aside as a dead letter, its words are not kept.
    private_words: bool = False
    #: False for what a chat's admins may run as the chat itself, without being a person (Telegram's anonymous
    #: admins): /setup, /enable, /help. Anything that must know who asks (claiming, rating) keeps True.
    needs_person: bool = True

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def path(self) -> str:
        """``project new`` for a subcommand, ``claim`` for a command: how a dialog remembers it."""
        return f"{self.parent} {self.name}" if self.parent else self.name

    def subcommand_names(self, t: Translator) -> list[str]:
        """The subcommands as people of this language type them (``申请`` in Chinese, ``request`` in English)."""
        return [self._shown_name(s, t) for s in self.subcommands]

    def usage(self, t: Translator) -> str:
        if self.handler is None and self.subcommands:
            choices = "|".join(self.subcommand_names(t))
            return f"/{self._shown_name(self, t)} <{choices}> …"
        head = [f"/{self.parent}", self._shown_name(self, t)] if self.parent else [f"/{self._shown_name(self, t)}"]
        return " ".join([*head, *(arg.usage(t) for arg in self.args if not arg.dialog_only)])

    @staticmethod
    def _shown_name(cmd: Command, t: Translator) -> str:
        """The spelling people of this language type: the first non-Latin alias in Chinese."""
        if t.language != "en" and cmd.parent:
            return next((a for a in cmd.aliases if not a.isascii()), cmd.name)
        return cmd.name

    def title(self, t: Translator, *, latin_only: bool = False) -> str:
        """``/whoami (/我是谁)`` in Chinese; the alias is left out where it would not reach the bot."""
        alias = next((a for a in self.aliases if not a.isascii()), None)
        shown = alias and t.language != "en" and not self.parent and not latin_only
        return f"/{self.path}" + (f" (/{alias})" if shown else "")

    def subcommand(self, word: str) -> Command | None:
        key = word.lower()
        return next((s for s in self.subcommands if key in (x.lower() for x in s.spellings)), None)

    def prompted(self) -> list[int]:
        """Indexes of the arguments a dialog asks for, in order."""
        return [i for i, arg in enumerate(self.args) if arg.prompt]

    def split(self, words: Sequence[str], rests: Sequence[str]) -> dict[str, str | None]:
        """The raw text typed for each argument (None: not given); raises Refusal for extra words."""
        raws: dict[str, str | None] = {}
        position = 0
        for arg in self.args:
            if arg.dialog_only:
                raws[arg.name] = None
            elif isinstance(arg.type, Rest):
                text = unquote_phrase(rests[position] if position < len(rests) else "")
                raws[arg.name] = text or None
                position = len(words)
            elif position < len(words):
                raws[arg.name] = words[position]
                position += 1
            else:
                raws[arg.name] = None
        if position < len(words):
            extra = excerpt(" ".join(words[position:position + 20]))
            raise Refusal(N_("too many arguments: {extra}"), usage=True, extra=extra)
        return raws

    def first_missing(self, raws: dict[str, str | None]) -> int | None:
        return next((i for i, arg in enumerate(self.args) if raws.get(arg.name) is None and not arg.optional),
                    None)

    async def convert(self, raws: dict[str, str | None], ctx: CommandContext) -> dict[str, Any]:
        """Typed values for the handler's keyword arguments; raises Refusal for a value that does not fit."""
        values: dict[str, Any] = {}
        for arg in self.args:
            raw = raws.get(arg.name)
            try:
                values[arg.name] = await arg.type.convert(raw, ctx) if raw is not None else None
            except Refusal as refusal:
                refusal.usage = True
                raise
        return values


def command(
    name: str,
    *,
    args: Iterable[Arg] = (),
    aliases: Iterable[str] = (),
    role: Role = Role.RESIDENT,
    help: str = "",
    needs_community: bool = True,
    dialog: bool = False,
    subcommands: Iterable[Command] = (),
    private_words: bool = False,
    needs_person: bool = True,
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
            subcommands=tuple(replace(s, parent=name) for s in subcommands),
            private_words=private_words,
            needs_person=needs_person,
        )

    return declare


def group(name: str, *, aliases: Iterable[str] = (), help: str = "", subcommands: Iterable[Command] = (),
          needs_community: bool = True, needs_person: bool = True) -> Command:
    """A command that is only its subcommands (``/badge request|pending|…``)."""
    return Command(name=name, handler=None, aliases=tuple(aliases), help=help, needs_community=needs_community,
                   subcommands=tuple(replace(s, parent=name) for s in subcommands), needs_person=needs_person)


def sub(cmd: Command, name: str, *aliases: str) -> Command:
    """``cmd`` offered as a subcommand ``name`` (``/project new`` runs what ``/newproject`` runs)."""
    return replace(cmd, name=name, aliases=aliases)


@dataclass
class ParsedLine:
    name: str
    words: list[str]
    #: ``rests[i]``: the text after the first ``i`` words, as typed (for free-text arguments).
    rests: Sequence[str]

    @property
    def rest(self) -> str:
        """Everything after the command name."""
        return self.rests[0] if self.rests else ""

    def shifted(self) -> ParsedLine:
        """The line after its first word: what a subcommand gets."""
        return ParsedLine(self.words[0], self.words[1:], self.rests[1:])


def parse_line(text: str) -> ParsedLine | None:
    """``/cmd@bot a "b c"`` → name 'cmd', words ['a', 'b c']; None when the text is no command."""
    head = _head(text)
    if head is None:
        return None
    words, rests = split_with_rests(head[1])
    return ParsedLine(name=head[0], words=words, rests=rests)


def is_command(text: str) -> bool:
    """Whether :func:`parse_line` would find a command in ``text``, without splitting its words."""
    return _head(text) is not None


def _head(text: str) -> tuple[str, str] | None:
    """The command's name and the text after it; None when the text is no command."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/／":
        return None
    # "/ claim 1": a space typed after the slash (phone keyboards add one) still means /claim.
    head, _, rest = stripped[1:].replace("\u3000", " ").lstrip(" ").partition(" ")
    name = head.split("@", 1)[0]
    return (name, rest) if name else None
