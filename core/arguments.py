"""Typed command arguments: how a word typed in chat becomes a value, and how it reads in a usage line.

Each type converts one token (``Rest`` takes the rest of the line) and raises :class:`core.refusal.Refusal`
with a translatable message; the router shows it together with the usage line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from core.i18n import N_, Translator
from core.refusal import Hint, Refusal

if TYPE_CHECKING:
    from core.context import CommandContext

#: Quote pairs accepted around an argument, including the ones Chinese keyboards type.
QUOTES = {"“": "”", "「": "」", "『": "』", "‘": "’"}
FULLWIDTH_SPACE = "\u3000"


def unquote_phrase(text: str) -> str:
    """Text that is one quoted phrase (``"a b"``, ``“a b”``, ``「a b」``) loses its quotes; anything else is
    kept exactly as typed, apostrophes and backslashes included (``Rock'n'roll``)."""
    stripped = text.strip()
    for opening, closing in (('"', '"'), ("'", "'"), *QUOTES.items()):
        inner = stripped[len(opening):-len(closing)]
        if (len(stripped) >= 2 and stripped.startswith(opening) and stripped.endswith(closing)
                and opening not in inner and closing not in inner):
            return inner
    return text


def split_words(text: str) -> list[str]:
    """Split a command line into words, honouring ASCII and Chinese quotes and full-width spaces."""
    return split_with_rests(text)[0]


#: Every quote that may open a quoted word, with the one that closes it.
OPENERS = {'"': '"', "'": "'", **QUOTES}


class Rests(Sequence[str]):
    """``rests[i]``: the text after the first ``i`` words, exactly as typed, made only when asked for.

    Keeping a copy of the rest of the line after every word made parsing quadratic (a 100 kB line took
    gigabytes); this holds one offset per word instead.
    """

    def __init__(self, text: str, offsets: Sequence[int]) -> None:
        self._text = text
        self._offsets = list(offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Rests(self._text, self._offsets[index])
        return self._text[self._offsets[index]:].strip().replace(FULLWIDTH_SPACE, " ")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Rests({list(self)!r})"


def split_with_rests(text: str) -> tuple[list[str], Rests]:
    """Words, and for each count ``i`` of words the text after the first ``i`` of them, as typed.

    A word that starts with a quote (``"``, ``'``, ``“``, ``「``, ``『``, ``‘``) runs to the matching closing
    quote, spaces included; quotes anywhere else are kept as typed (``小王's``), and an opening quote that
    is never closed is an ordinary character. One pass over the line: linear in its length, whatever it
    holds (each kind of closing quote is searched for at most until it is known to be absent).
    """
    words: list[str] = []
    offsets = [0]
    missing: set[str] = set()  # closing quotes known not to occur any further on
    length = len(text)
    position = 0
    while True:
        while position < length and (text[position].isspace() or text[position] == FULLWIDTH_SPACE):
            position += 1
        if position >= length:
            break
        closing = OPENERS.get(text[position])
        end = -1
        if closing is not None and closing not in missing:
            end = text.find(closing, position + 1)
            if end < 0:
                missing.add(closing)
        if end >= 0:
            word = text[position + 1:end]
            position = end + 1
        else:
            start = position
            while position < length and not (text[position].isspace() or text[position] == FULLWIDTH_SPACE):
                position += 1
            word = text[start:position]
        words.append(word)
        offsets.append(position)
    return words, Rests(text, offsets)


@dataclass(frozen=True)
class Offer:
    """What a step-by-step question adds for an argument whose answers depend on the community (an optional
    ``async def offer(ctx) -> Offer`` of its type): lines that explain, and options shown numbered and as
    buttons. The type's ``convert`` accepts an option and its number alike."""

    lines: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


class ArgType(Protocol):
    def placeholder(self, t: Translator, name: str) -> str: ...

    async def convert(self, raw: str, ctx: CommandContext) -> Any: ...


@dataclass(frozen=True)
class Int:
    minimum: int | None = None
    maximum: int | None = None

    def placeholder(self, t: Translator, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> int:
        cleaned = raw.lstrip("#＃")
        if not re.fullmatch(r"[+-]?\d{1,18}", cleaned):
            raise Refusal(N_("{value} is not a whole number"), value=raw)
        value = int(cleaned)
        if self.minimum is not None and value < self.minimum:
            raise Refusal(N_("{value} is too small (at least {minimum})"), value=value, minimum=self.minimum)
        if self.maximum is not None and value > self.maximum:
            raise Refusal(N_("{value} is too large (at most {maximum})"), value=value, maximum=self.maximum)
        return value


@dataclass(frozen=True)
class Text:
    max_length: int = 200

    def placeholder(self, t: Translator, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> str:
        if len(raw) > self.max_length:
            raise Refusal(N_("that text is too long (at most {maximum} characters)"), maximum=self.max_length)
        return raw


@dataclass(frozen=True)
class Rest(Text):
    """Everything after the preceding arguments, spaces included."""

    max_length: int = 1000


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of words; ``options`` maps every accepted spelling to the value.

    ``shown`` are the choices as usage lines and errors list them: msgids, so a Chinese community reads
    ``<志愿者|组织者|物业|管理员>`` (each of which it may type) and an English one ``<volunteer|…>``.
    """

    options: Mapping[str, Any]
    shown: Sequence[str] = field(default_factory=tuple)

    def choices(self, t: Translator) -> list[str]:
        return [t(s) for s in self.shown] if self.shown else list(self.options)

    def placeholder(self, t: Translator, name: str) -> str:
        return "|".join(self.choices(t))

    async def convert(self, raw: str, ctx: CommandContext) -> Any:
        key = raw.lower() if raw.lower() in self.options else raw
        if key not in self.options:
            raise Refusal(N_("{value} is not one of: {choices}"), value=raw,
                          choices=ctx.t(", ").join(self.choices(ctx.t)))
        return self.options[key]


#: Days people name in words, relative to today.
RELATIVE_DAYS = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "后天": 2, "day-after-tomorrow": 2,
                 "yesterday": -1, "昨天": -1, "前天": -2}


@dataclass(frozen=True)
class Date:
    """A day: 2026-12-31, 12-31, 12月31日, today/今天, tomorrow/明天, or +N days."""

    def placeholder(self, t: Translator, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> date:
        today = ctx.local_day()
        # A Chinese keyboard types full-width digits and dashes (１２－３１); they mean the same day.
        word = unicodedata.normalize("NFKC", raw).strip().lower().replace("—", "-").replace("～", "-")
        if word in RELATIVE_DAYS:  # 昨天 is a day too: the caller says it has passed, rather than "no date"
            return today + timedelta(days=RELATIVE_DAYS[word])
        if re.fullmatch(r"\+\d{1,3}", word):
            return today + timedelta(days=int(word[1:]))
        for pattern in (r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", r"(\d{1,2})[-/.月](\d{1,2})日?"):
            match = re.fullmatch(pattern, word)
            if not match:
                continue
            parts = [int(p) for p in match.groups()]
            if len(parts) == 2:
                parts.insert(0, today.year)
            try:
                value = date(*parts)
            except ValueError:
                break
            if len(match.groups()) == 2 and value < today:
                value = value.replace(year=today.year + 1)
            return value
        raise Refusal(N_("{value} is not a date (try 2026-12-31 or 12-31)"), value=raw)


#: Why someone named is unknown, and what helps: the bot learns people when they write in the chat (on
#: Telegram in privacy mode, only when they send a command).
UNKNOWN_PERSON = N_("I don't know {value} in this community yet: I get to know people when they write here. "
                    "Ask them to send {command} here once, or tap their name to mention them.")


def excerpt(text: str, limit: int = 40) -> str:
    """A short excerpt of typed text for an error reply: never echo a whole flood back into the chat."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


@dataclass(frozen=True)
class Mention:
    """Someone in this community, written ``@name``; resolves to a :class:`core.identity.User`."""

    def placeholder(self, t: Translator, name: str) -> str:
        return "@" + name

    async def convert(self, raw: str, ctx: CommandContext) -> Any:
        user = await ctx.resolve_mention(raw)
        if user is None:
            raise Refusal(UNKNOWN_PERSON, value=excerpt(raw), command=Hint("whoami"))
        return user


@dataclass(frozen=True)
class Arg:
    """One declared argument of a command."""

    name: str
    type: ArgType = field(default_factory=Text)
    optional: bool = False
    #: The placeholder shown in usage lines, a msgid (e.g. N_("project")).
    label: str | None = None
    #: The question asked in a step-by-step dialog when the argument is missing (optional ones too).
    prompt: str | None = None
    #: Asked only in a dialog, never typed on the command line (a question a typed line answers otherwise).
    dialog_only: bool = False

    def usage(self, t: Translator) -> str:
        shown = self.type.placeholder(t, t(self.label or self.name))
        if isinstance(self.type, Rest):
            shown += "…"
        return f"[{shown}]" if self.optional else f"<{shown}>"


def when(day: date, tz: Any) -> datetime:
    """The end of ``day`` in the community's time zone: what people mean by 'due on that day'."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=tz)
