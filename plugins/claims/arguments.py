"""Argument types for the claims commands, shaped for typing on a phone.

``/发布项目 整治共享单车 3 12-31 10分 党员优先24 把门口的单车挪走`` — three positional words (title, places,
deadline; a dialog asks for each one that is missing), then optional words recognised by their shape,
then the description. No flags and no dashes to hunt for on a Chinese keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.plugin import N_, Command, CommandContext, Date, Mention, Refusal, when
from plugins.claims.service import MAX_POINTS
from plugins.claims.settings import ClaimsSettings

#: Words meaning "no deadline" or "the default".
NONE_WORDS = {"无", "没有", "不限", "none", "no", "-", "—", "否"}
DEFAULT_WORDS = {"-", "—", "默认", "default"}
COUNT = re.compile(r"^([+-]?\d{1,12})\s*(人|个|位|名|块|处|places?)?$", re.IGNORECASE)
POINTS = re.compile(r"^(?:(\d{1,9})\s*(?:分|积分|pts?|points?)|(?:积分|points?)[:=：]?(\d{1,9}))$",
                    re.IGNORECASE)
PARTY = re.compile(r"^(?:党员优先|party(?:first)?)(?:[:=：]?(\d{1,5})\s*(?:h|小时)?)?$", re.IGNORECASE)
#: Words shaped like an option, whatever their number (``-10分``, ``99999999999分``, ``党员优先-3``): an option
#: with a number out of range is refused with the reason, never taken for the start of the description. The
#: plain word ``party`` is no option (``party members first`` describes); ``party24``, ``partyfirst`` are.
POINTS_LIKE = re.compile(r"^(?:([+-]?\d+)\s*(?:分|积分|pts?|points?)|(?:积分|points?)[:=：]?([+-]?\d+))$",
                         re.IGNORECASE)
PARTY_LIKE = re.compile(r"^(?:党员优先|partyfirst|party(?=[:=：]?[+-]?\d))(?:[:=：]?([+-]?\d+)\s*(?:h|小时)?)?$",
                        re.IGNORECASE)
EACH_LIKE = re.compile(r"^(?:每人|each)[:=：]?([+-]?\d+)\s*(?:个|处|块|places?)?$", re.IGNORECASE)
#: Service hours per completion (``2小时``, ``1.5h``): a tenth of an hour at most.
HOURS_OPTION = re.compile(r"^(\d{1,2}(?:\.\d)?)\s*(?:小时|h|hours?)$", re.IGNORECASE)
PLACE_RANGE = re.compile(
    r"^(?P<prefix>[^\d\s]*)(?P<start>\d{1,4})\s*[-~～—]\s*(?P=prefix)?(?P<end>\d{1,4})$")
#: A dialog's answer to "how many points?": ``10``, ``10分``, ``10 积分``, ``10 points``.
POINTS_ANSWER = re.compile(r"^(\d{1,9})\s*(?:分|积分|pts?|points?)?$", re.IGNORECASE)
PROJECT_NUMBER = re.compile(r"^[#＃]?(\d{1,9})$")
EACH = re.compile(r"^(?:每人|each)[:=：]?(\d{1,5})\s*(?:个|处|块|places?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PlacesSpec:
    count: int | None  # None: the community's default
    names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Places:
    """``3``, ``3人``, ``-`` (the community's default), ``A1-A70`` or ``A1,A2,B1`` (named places)."""

    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> PlacesSpec:
        settings = ctx.settings(ClaimsSettings)
        text = raw.strip()
        if text.lower() in DEFAULT_WORDS:
            return PlacesSpec(None)
        match = COUNT.match(text)
        if match:
            count = int(match.group(1))
            if count < 1:
                raise Refusal(N_("A project needs at least 1 place."))
            if count > settings.max_places:
                raise Refusal(N_("{places} places is more than this community allows ({maximum})."),
                               places=count, maximum=settings.max_places)
            return PlacesSpec(count)
        names = parse_place_names(text, settings.max_places)
        if names is None:
            raise Refusal(N_("{value} is not a number of places (try 3, or A1-A70 for named places)"),
                           value=raw)
        return PlacesSpec(len(names), names)


@dataclass(frozen=True)
class Deadline:
    """A day as the core's Date type reads it (12-31, 12月31日, +7, 明天) or 无 for none; due at its end
    (``when()``), which :meth:`Speaker.when` shows as a bare date."""

    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> datetime | None:
        if raw.strip().lower() in NONE_WORDS:
            return None
        day = await Date().convert(raw, ctx)
        due = when(day, ctx.timezone)
        if due <= ctx.now():
            raise Refusal(N_("{value} has already passed; the deadline has to be in the future"), value=raw)
        return due


@dataclass(frozen=True)
class Points:
    """Points per completion, as a dialog asks for them: ``10``, ``10分`` or ``10 points``."""

    maximum: int = MAX_POINTS

    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> int:
        match = POINTS_ANSWER.match(raw.strip()) or POINTS.match(raw.strip())
        if match is None:
            raise Refusal(N_("{value} is not a number of points (try 10 or 10分)"), value=raw)
        points = int(next(g for g in match.groups() if g is not None))
        if points > self.maximum:
            raise Refusal(N_("Points per completion are between 0 and {maximum}."), maximum=self.maximum)
        return points


def shown_name(cmd: Command, language: str) -> str:
    """A subcommand as people of ``language`` type it: its first Chinese alias, or its Latin name in English
    (the way the core writes subcommands in usage lines)."""
    if language != "en":
        return next((a for a in cmd.aliases if not a.isascii()), cmd.name)
    return cmd.name


@dataclass(frozen=True)
class ProjectOrAction:
    """The word after ``/project``: a project number (the subcommands are matched before this is asked).

    ``actions`` gives the subcommands, so the usage line (``/projects [编号|发布|编辑|…]``) and the refusal
    of an unknown word list exactly what ``/project`` offers, in the reader's language.
    """

    actions: Callable[[], Sequence[Command]]

    def _choices(self, language: str) -> list[str]:
        return [shown_name(a, language) for a in self.actions()]

    def placeholder(self, t: Any, name: str) -> str:
        return "|".join([name, *self._choices(t.language)])

    async def convert(self, raw: str, ctx: CommandContext) -> int:
        match = PROJECT_NUMBER.match(raw.strip())
        if match is None:
            raise Refusal(N_("{value} is not a project number, nor one of: {choices}"), value=raw,
                          choices=ctx.t(", ").join(self._choices(ctx.t.language)))
        return int(match.group(1))


@dataclass(frozen=True)
class Person:
    """``@name`` in this community, or ``uid:17`` as the buttons write it (short, and safe in 64 bytes)."""

    def placeholder(self, t: Any, name: str) -> str:
        return "@" + name

    async def convert(self, raw: str, ctx: CommandContext) -> int:
        match = re.fullmatch(r"uid:(\d{1,9})", raw)
        if match:
            # A button's id, or one typed by hand: only someone of this community, else not even a name
            # from another community may be learned through it.
            if not await ctx.is_member(int(match.group(1))):
                raise Refusal(N_("I don't know {value} in this community yet"), value=raw)
            return int(match.group(1))
        user = await Mention().convert(raw, ctx)
        return int(user.id)


@dataclass
class Options:
    points: int = 0
    #: Service hours per completion in tenths (``2小时`` → 20, ``1.5h`` → 15), for the service_log plugin.
    hours_tenths: int = 0
    party_first_hours: int = 0
    per_person: int = 1
    description: str = ""


def _number(digits: str) -> int:
    """An option's number, clamped so that a thousand typed digits stay a (refused) huge number."""
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    return sign * (int(digits) if len(digits) <= 18 else 10**18)


def parse_options(text: str | None, settings: ClaimsSettings) -> Options:
    """Leading words shaped like ``10分``, ``党员优先24``, ``每人2`` are options; the rest describes.

    The numbers are checked where the project is made (the service), so ``-10分`` is refused there with the
    reason, like ``/editproject 1 积分 -10``.
    """
    options = Options()
    remaining = (text or "").replace("\u3000", " ").strip()
    while remaining:
        word, _, rest = remaining.partition(" ")
        if match := HOURS_OPTION.match(word):
            options.hours_tenths = int(Decimal(match.group(1)) * 10)
        elif match := POINTS_LIKE.match(word):
            options.points = _number(match.group(1) or match.group(2))
        elif match := PARTY_LIKE.match(word):
            options.party_first_hours = _number(match.group(1)) if match.group(1) else settings.party_first_hours
        elif match := EACH_LIKE.match(word):
            options.per_person = _number(match.group(1))
        else:
            break
        remaining = rest.strip()
    options.description = remaining
    return options


def parse_place_names(raw: str, maximum: int) -> list[str] | None:
    """``A1-A70``, ``1-70`` or ``A1,A2,B1`` (Chinese commas too) as names; None when ``raw`` is no list."""
    text = raw.strip()
    match = PLACE_RANGE.match(text)
    if match:
        start, end = int(match.group("start")), int(match.group("end"))
        if end < start:
            raise Refusal(N_("{value}: the range goes backwards."), value=raw)
        if end - start + 1 > maximum:
            raise Refusal(N_("{places} places is more than this community allows ({maximum})."),
                           places=end - start + 1, maximum=maximum)
        width = len(match.group("start")) if match.group("start").startswith("0") else 0
        return [f"{match.group('prefix')}{str(i).zfill(width)}" for i in range(start, end + 1)]
    parts = [p.strip() for p in re.split(r"[,，、;；]", text) if p.strip()]
    if len(parts) < 2:
        return None
    if len(parts) > maximum:
        raise Refusal(N_("{places} places is more than this community allows ({maximum})."),
                       places=len(parts), maximum=maximum)
    return parts
