"""Importing a roster: read, check every row, find the people, then a dry run or the one transaction.

The dry run is the apply itself, rolled back: what it reports is exactly what ``--apply`` would do, and it
changes nothing. The apply takes every good row in one transaction (all or nothing; a bad row is reported
and left out, never half-taken) and is idempotent: each kind's ``apply`` says UNCHANGED for a row that is
already true, and pending entries are keyed by who the row is about, so the same file twice changes
nothing the second time.

People are found by their platform username when the sheet gives one and linli has seen it; everyone
else becomes a pending entry with a one-time code (:mod:`core.rosters.pending`). Never by display name.
A row whose 状态 (status) says 迁出 (moved out) removes what an earlier import gave that person.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.functions import Lower
from tortoise.transactions import in_transaction

from core.i18n import N_, Translator
from core.identity import Identity, membership_for
from core.refusal import Refusal
from core.rosters import pending
from core.rosters.kinds import Column, Outcome, RosterKind, RosterScope
from core.rosters.models import RosterEntry
from core.rosters.sheets import read_sheet

NAME = Column("name", N_("name"), ("姓名", "名字", "名称", "name", "full name"), required=True)
PHONE = Column("phone", N_("phone"), ("手机号", "手机", "手机号码", "电话", "联系电话", "联系方式", "phone", "mobile"))
USERNAME = Column("username", N_("username"), ("用户名", "Telegram", "Telegram用户名", "TG", "电报", "Matrix",
                                               "账号", "username", "user"))
STATUS = Column("status", N_("status"), ("状态", "status", "备注状态"))
#: What the 状态 column says of someone who left: their row removes what the roster gave them.
MOVED_OUT = frozenset({"迁出", "已迁出", "搬走", "已搬走", "离开", "删除", "退出", "moved out", "moved", "removed",
                       "left", "delete"})
NAME_MAX = 50
USERNAME_PATTERN = re.compile(r"^[\w.:@-]{2,128}$")
CHUNK = 500

#: Called with how many rows are done and how many there are, for a progress bar.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    row: int
    reason: str


@dataclass(frozen=True)
class PendingCode:
    """A person to hand a code to: their row, name, what the row is about, the code."""

    row: int
    name: str
    about: str
    code: str


@dataclass
class Report:
    kind: RosterKind
    rows: int = 0
    counts: Counter[Outcome] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    codes: list[PendingCode] = field(default_factory=list)
    applied: bool = False
    encoding: str = ""
    #: The kind's title, translated in its own plugin's domain (``住户``, ``党员``).
    title: str = ""

    @property
    def changes(self) -> int:
        return sum(n for outcome, n in self.counts.items() if outcome is not Outcome.UNCHANGED)


@dataclass
class _Row:
    number: int
    key: str
    name: str
    username: str | None
    removed: bool
    data: dict[str, Any]


class _DryRun(Exception):
    """Raised at the end of a dry run so its transaction rolls back."""


def find_kind(kinds: list[RosterKind], word: str) -> RosterKind:
    found = next((k for k in kinds if k.extends is None and k.matches(word)), None)
    if found is None:
        names = ", ".join(k.name for k in kinds if k.extends is None)
        raise Refusal(N_("There is no roster kind {kind} here; these can be imported: {kinds}."), kind=word,
                      kinds=names)
    return found


def columns_of(kind: RosterKind, extensions: list[RosterKind]) -> list[Column]:
    person = [NAME, PHONE, USERNAME] if kind.people else []
    return [*person, *kind.columns, *(c for e in extensions for c in e.columns), STATUS]


def render(refusal: Refusal, t: Translator) -> str:
    return t(refusal.message, **refusal.values)


def _phone(raw: str) -> str:
    digits = re.sub(r"[\s()+-]", "", raw)
    if raw and not (digits.isdigit() and 5 <= len(digits) <= 15):
        raise Refusal(N_("{value} is not a phone number."), value=raw)
    return digits


def _username(raw: str) -> str | None:
    name = raw.strip().lstrip("@").lower()
    if not name:
        return None
    if not USERNAME_PATTERN.match(name):
        raise Refusal(N_("{value} is not a username."), value=raw)
    return name


async def import_roster(
    kinds: list[RosterKind], word: str, data: bytes, filename: str, *, community_id: int, by_user_id: int | None,
    scope: Callable[[RosterKind], RosterScope], apply: bool, progress: Progress | None = None,
) -> Report:
    """Read ``data`` as a roster of the kind ``word`` and report (dry run), or apply it (``apply``).

    ``kinds`` are the kinds enabled in the community; ``scope(kind)`` the scope a kind's code runs in.
    A :class:`Refusal` is raised for a sheet that cannot be read at all (no such kind, a missing column).
    """
    kind = find_kind(kinds, word)
    extensions = [k for k in kinds if k.extends == kind.name]
    sheet = read_sheet(data, filename, columns_of(kind, extensions))
    report = Report(kind, rows=len(sheet.rows), unknown_columns=sheet.unknown, encoding=sheet.encoding,
                    title=scope(kind).t(kind.title))
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for sheet_row in sheet.rows:
        values = sheet_row.values
        try:
            row = await _check(kind, extensions, scope, values, sheet_row.number)
            earlier = seen.get(row.key)
            if earlier is not None:
                raise Refusal(N_("the same as row {row}"), row=earlier)
        except Refusal as refusal:
            report.problems.append(Problem(sheet_row.number, render(refusal, scope(kind).t)))
            continue
        seen[row.key] = row.number
        rows.append(row)
    uow = scope(kind).uow
    mark = uow.mark()  # a dry run's events and messages go with its rolled-back changes
    try:
        async with in_transaction():
            await _apply(kind, extensions, scope, rows, report, community_id, by_user_id, progress)
            if not apply:
                raise _DryRun
            report.applied = True
            await record_import(scope(kind), kind.name, filename, report)
    except _DryRun:
        uow.rollback_to(mark)
    report.problems.sort(key=lambda problem: problem.row)
    return report


async def _check(kind: RosterKind, extensions: list[RosterKind], scope: Callable[[RosterKind], RosterScope],
                 values: dict[str, str], number: int) -> _Row:
    removed = unicodedata.normalize("NFKC", values.get("status", "")).strip().lower() in MOVED_OUT
    name, phone, username = "", "", None
    if kind.people:
        name = values.get("name", "").strip()
        if not name:
            raise Refusal(N_("no name"))
        if len(name) > NAME_MAX:
            raise Refusal(N_("a name has at most {maximum} characters"), maximum=NAME_MAX)
        phone = _phone(values.get("phone", ""))
        username = _username(values.get("username", ""))
    data: dict[str, Any] = {}
    for owner in (kind, *extensions):
        try:
            data.update(await owner.check(scope(owner), values))
        except Refusal as refusal:
            raise _Translated(render(refusal, scope(owner).t)) from None
    if kind.people:
        data["name"] = name
        if phone:
            data["phone"] = phone
        key = f"@{username}" if username else "|".join([name, phone, *(str(data.get(f, "")) for f in kind.key_fields)])
    else:
        key = str(data.get(kind.row_key, ""))
    return _Row(number, key[:191], name, username, removed, data)


class _Translated(Refusal):
    """A reason already translated in the domain of the kind that gave it."""

    def __init__(self, text: str) -> None:
        super().__init__("{reason}", reason=text)


async def _apply(kind: RosterKind, extensions: list[RosterKind], scope: Callable[[RosterKind], RosterScope],
                 rows: list[_Row], report: Report, community_id: int, by_user_id: int | None,
                 progress: Progress | None) -> None:
    known = await _users_by_username({r.username for r in rows if r.username})
    entries: dict[str, RosterEntry] = {}
    keys = [r.key for r in rows]
    for start in range(0, len(keys), CHUNK):
        for stored in await RosterEntry.filter(community_id=community_id, kind=kind.name,
                                               key__in=keys[start:start + CHUNK]):
            entries[stored.key] = stored
    now, uow = scope(kind).now, scope(kind).uow
    for done, row in enumerate(rows, 1):
        entry = entries.get(row.key)
        user_id = known.get(row.username or "") if kind.people else None
        if entry is not None and entry.user_id is not None:
            user_id = entry.user_id
        if not kind.people or user_id is not None:
            row_mark = uow.mark()
            try:
                async with in_transaction():  # a row the kind refuses now (too many flats) leaves the rest
                    if user_id is not None:
                        await membership_for(community_id, user_id)
                    outcome = await apply_row(kind, extensions, scope, user_id, row.data, row.removed)
            except Refusal as refusal:
                uow.rollback_to(row_mark)
                report.problems.append(Problem(row.number, render(refusal, scope(kind).t)))
                continue
            if entry is not None and (entry.user_id != user_id or entry.data != row.data):
                await RosterEntry.filter(id=entry.id).update(user_id=user_id, code=None, data=row.data,
                                                             matched_at=entry.matched_at or now)
        elif row.removed:
            outcome = Outcome.UNCHANGED
            if entry is not None:
                await RosterEntry.filter(id=entry.id).delete()
                outcome = Outcome.REMOVED
        elif entry is None:
            entry, created = await pending.create(community_id, kind.name, row.key, row.name, row.username,
                                                  row.data, by_user_id, now)
            outcome = Outcome.NEW if created else Outcome.UNCHANGED
        elif entry.data != row.data or entry.name != row.name:
            await RosterEntry.filter(id=entry.id).update(data=row.data, name=row.name)
            outcome = Outcome.UPDATED
        else:
            outcome = Outcome.UNCHANGED
        if kind.people and user_id is None and not row.removed and entry is not None and entry.code:
            report.codes.append(PendingCode(row.number, row.name, _about(kind, row.data), entry.code))
        report.counts[outcome] += 1
        if progress is not None:
            progress(done, len(rows))


def _about(kind: RosterKind, data: dict[str, Any]) -> str:
    """What a code's row is about, for the organizer handing codes out (the flat, the team)."""
    return " ".join(str(v) for k, v in data.items() if k not in ("name", "phone") and v not in (None, "", True, False))


async def apply_row(kind: RosterKind, extensions: list[RosterKind], scope: Callable[[RosterKind], RosterScope],
                    user_id: int | None, data: dict[str, Any], removed: bool) -> Outcome:
    outcome = await kind.apply(scope(kind), user_id, data, removed)
    for extension in extensions:
        outcome = outcome | await extension.apply(scope(extension), user_id, data, removed)
    return outcome


async def _users_by_username(usernames: set[str]) -> dict[str, int]:
    """The people linli has seen under these usernames, in any case (Telegram keeps its owner's spelling);
    a username two people share (two platforms) finds nobody: it is not certain."""
    found: dict[str, set[int]] = {}
    wanted = sorted(usernames)
    for start in range(0, len(wanted), CHUNK):
        rows = await Identity.annotate(lowered=Lower("username")).filter(
            lowered__in=wanted[start:start + CHUNK]).values_list("lowered", "user_id")
        for username, user_id in rows:
            found.setdefault(str(username), set()).add(int(str(user_id)))
    return {name: next(iter(ids)) for name, ids in found.items() if len(ids) == 1}


async def record_import(scope: RosterScope, kind: str, filename: str, report: Report) -> None:
    """The import in the audit log (:mod:`core.audit`), when it changed something: who, which roster, which
    file, the counts. Each kind records its own weighty steps too (badges: every party membership)."""
    if report.changes:
        counts = {outcome.value: n for outcome, n in report.counts.items()}
        await replace(scope, plugin="core").audit("import", target=f"{kind}: {filename}",
                          details={"kind": kind, "file": filename, "rows": report.rows, **counts,
                                   "not_taken": len(report.problems), "pending": len(report.codes)})
