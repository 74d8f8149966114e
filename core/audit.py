"""The audit log: who did what privileged thing, when, to whom, and why (``linli_audit``).

Service-hour records and certificates are official documents, so every privileged step (a role granted, a
plugin switched, a verification, an approval, a correction, an import) leaves one row. Nothing has to
remember to write it: the router records every command that needs more than the resident role
(:func:`record_command`, one call site), a plugin adds what only it knows through ``ctx.audit(...)``, and the
CLI records what the operator did. Every row is written in the caller's transaction, so a step rolled back
leaves no row and a redelivered event (which the router ignores) writes none twice.

Rows hold user ids, never names: names are rendered when the log is read, so a person who asked
``/forgetme`` appears under the pseudonym the core gave them (``已注销用户#7f3a``), the same one the ledger
and the claims show. Their former names are also replaced by it in the rows' free text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, is_dataclass, replace
from dataclasses import fields as fields_of
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import wraps
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.permissions import Role
from core.points import utc_now

if TYPE_CHECKING:
    from core.commands import Command
    from core.context import CommandContext

#: ``actor_kind`` values: a member in chat, the operator at the command line, the platform itself (a job).
BY_MEMBER = "member"
BY_OPERATOR = "operator"
BY_SYSTEM = "system"


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    #: None for an action outside any community (an operator's replay of dead letters).
    community_id = fields.IntField(null=True)
    at = fields.DatetimeField(default=utc_now)
    actor_kind = fields.CharField(max_length=16, default=BY_MEMBER)
    actor_user_id = fields.IntField(null=True)
    plugin = fields.CharField(max_length=64)
    #: The command's path (``grant``, ``badge verify``) or a named step (``correct``, ``import``).
    action = fields.CharField(max_length=64)
    target_user_id = fields.IntField(null=True)
    #: What else was acted on, as text (a plugin's name, ``record #12``).
    target = fields.CharField(max_length=191, default="")
    details: dict[str, Any] = fields.JSONField(default=dict)  # type: ignore[assignment]
    reason = fields.TextField(default="")
    #: Callers that may run twice (an import of the same file) pass a key: the second row is not written.
    once_key = fields.CharField(max_length=191, null=True)

    class Meta:
        table = "linli_audit"
        unique_together = (("community_id", "once_key"),)
        indexes = (("community_id", "at"), ("community_id", "actor_user_id"), ("community_id", "target_user_id"))


def plain(value: Any) -> Any:
    """A value as JSON keeps it: people by id, dates as ISO text, decimals exactly."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):  # a typed argument (claims' places): its fields
        return {f.name: plain(getattr(value, f.name)) for f in fields_of(value)}
    user_id = getattr(value, "id", None)  # a User (or any row): its id, never its name
    return user_id if isinstance(user_id, int) else str(value)


async def record(
    *,
    community_id: int | None,
    plugin: str,
    action: str,
    actor_user_id: int | None = None,
    by_operator: bool = False,
    target_user_id: int | None = None,
    target: str = "",
    details: Mapping[str, Any] | None = None,
    reason: str = "",
    at: datetime | None = None,
    once_key: str | None = None,
) -> AuditEntry | None:
    """Write one audit row in the caller's transaction (so it commits, or rolls back, with the action).

    ``actor_user_id`` is the member who acted; ``by_operator=True`` says the operator did it at the command
    line (no member). ``target_user_id`` is the person the action was about, ``target`` anything else it was
    about, ``details`` plain values (people by id), ``reason`` the reason given, if any. Pass ``once_key``
    when the same step may be run twice (a roster import of one file): the second call writes nothing and
    returns None. Used by the router, ``ctx.audit``, the CLI and roster imports.
    """
    values = {
        "community_id": community_id, "plugin": plugin[:64], "action": action[:64],
        "actor_kind": BY_OPERATOR if by_operator else (BY_MEMBER if actor_user_id is not None else BY_SYSTEM),
        "actor_user_id": actor_user_id, "target_user_id": target_user_id, "target": target[:191],
        "details": plain(dict(details or {})), "reason": reason, "at": at or utc_now(), "once_key": once_key,
    }
    if once_key is None:
        return await AuditEntry.create(**values)
    try:
        async with in_transaction():  # a savepoint: a duplicate key must not spoil the caller's transaction
            return await AuditEntry.create(**values)
    except IntegrityError:
        return None


@dataclass
class AuditNote:
    """What ``ctx.audit`` added to the row the router will write for the running command."""

    action: str | None = None
    #: The plugin the step belongs to, when it is not the command's (``/correct`` of a claim: claims).
    plugin: str | None = None
    target_user_id: int | None = None
    target: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    #: True once a handler called ``ctx.audit``: the command is recorded even if anyone may send it
    #: (``/badge verify`` is for the badge's verifiers, whom the declared role cannot name).
    asked: bool = False


async def rows_about(user_id: int) -> list[AuditEntry]:
    """Every row in which the person acted or was acted upon, oldest first (for ``/mydata``)."""
    from tortoise.expressions import Q

    return await AuditEntry.filter(Q(actor_user_id=user_id) | Q(target_user_id=user_id)).order_by("id")


async def member_rows(user_id: int) -> list[dict[str, Any]]:
    """The person's part of ``/mydata``: the rows about them, as plain values, other people by id only."""
    return [{"at": row.at.isoformat(), "community_id": row.community_id, "plugin": row.plugin,
             "action": row.action, "you_did_it": row.actor_user_id == user_id,
             "about_you": row.target_user_id == user_id, "target": row.target, "details": row.details,
             "reason": row.reason} for row in await rows_about(user_id)]


def scrub(value: Any, names: list[str], pseudonym: str) -> Any:
    """``value`` (text, or JSON of texts) with every one of ``names`` replaced by ``pseudonym``."""
    names = sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True)
    return _scrub(value, names, pseudonym)


def _scrub(value: Any, names: list[str], pseudonym: str) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, pseudonym)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, names, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, names, pseudonym) for v in value]
    return value


async def forget_member(user_id: int, names: list[str], pseudonym: str) -> None:
    """``/forgetme``: the rows stay (who did what must still be known, PIPL art. 47 allows keeping what law
    requires), under the user id, shown with the pseudonym; the person's former names (as typed by others in
    a reason or an argument) are replaced by the pseudonym in every row's text."""
    names = sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True)
    if not names:
        return
    from tortoise.expressions import Q

    from core.storage import fetch

    condition = Q()
    for name in names:
        condition |= Q(reason__contains=name) | Q(target__contains=name)
    rows = {row.id: row for row in await AuditEntry.filter(condition)}
    # The arguments a command was given (``details``, JSON) hold names too (a project's title, the line of
    # ``/更正 3 -0.5 …``). SQLite keeps JSON with non-ASCII escaped, PostgreSQL's jsonb as text: both spellings.
    patterns = [_like(spelling) for name in names for spelling in {name, json.dumps(name)[1:-1]}]
    where = " OR ".join("CAST(details AS TEXT) LIKE ? ESCAPE '!'" for _ in patterns)
    found = [r["id"] for r in await fetch(f"SELECT id FROM linli_audit WHERE {where}", *patterns)]
    for row in await AuditEntry.filter(id__in=[i for i in found if i not in rows]):
        rows[row.id] = row
    for row in await AuditEntry.filter(Q(actor_user_id=user_id) | Q(target_user_id=user_id)):
        rows.setdefault(row.id, row)
    for row in rows.values():
        await AuditEntry.filter(id=row.id).update(reason=_scrub(row.reason, names, pseudonym),
                                                  target=_scrub(row.target, names, pseudonym),
                                                  details=_scrub(row.details, names, pseudonym))


def _like(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, its wildcards taken literally (escape character ``!``)."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """Account linking: the rows follow the person."""
    await AuditEntry.filter(actor_user_id=from_user_id).update(actor_user_id=into_user_id)
    await AuditEntry.filter(target_user_id=from_user_id).update(target_user_id=into_user_id)


def privileged(cmd: Command) -> bool:
    """Whether the router records uses of ``cmd``: it needs more than the resident role, or its plugin
    declared it :func:`audited`, and it is not only a reading (:func:`reads`)."""
    if getattr(cmd.handler, "reads", None) is True:
        return False
    return cmd.role is not Role.RESIDENT or bool(getattr(cmd.handler, "audited", False))


def _only_read(cmd: Command, values: Mapping[str, Any]) -> bool:
    """Whether this use of ``cmd`` changed nothing: a reading, or a ``/config`` that only shows."""
    marked = getattr(cmd.handler, "reads", None)
    if marked is True:
        return True
    return isinstance(marked, tuple) and all(values.get(name) is None for name in marked)


async def record_command(ctx: CommandContext, cmd: Command, values: Mapping[str, Any]) -> AuditEntry | None:
    """The router's one call: a privileged command that went through (or one whose handler called
    ``ctx.audit``) leaves one row, written in the command's savepoint, so a refusal leaves none."""
    note = ctx.audit_note
    asked = note is not None and note.asked
    if not asked and (not privileged(cmd) or _only_read(cmd, values)):
        return None
    note = note or AuditNote()
    target_user_id = note.target_user_id
    if target_user_id is None:
        person = values.get("user")
        target_user_id = plain(person) if isinstance(plain(person), int) and not isinstance(person, bool) else None
    reason = note.reason or (values["reason"] if isinstance(values.get("reason"), str) else "")
    details = {k: plain(v) for k, v in values.items() if k not in ("user", "reason") and v is not None}
    if note.action is not None:  # the handler described its step itself: its words, not the raw arguments
        details = {}
    return await record(community_id=ctx.community_id_, plugin=note.plugin or cmd.plugin,
                        action=note.action or cmd.path,
                        actor_user_id=ctx.user.id, target_user_id=target_user_id, target=note.target,
                        details={**details, **plain(note.details)}, reason=reason, at=ctx.now())


def audited(commands: list[Command], *paths: str) -> list[Command]:
    """``commands`` with those at ``paths`` (``approve``, ``badge verify``) recorded like privileged ones.

    For commands anyone may send whose handler decides who may act (a team leader approves the team's hours,
    a badge's verifiers verify it): the declared role cannot say so, this does, in the plugin's one screen.
    """
    wanted = set(paths)

    def wrap(cmd: Command) -> Command:
        subcommands = tuple(wrap(s) for s in cmd.subcommands)
        handler = cmd.handler
        if cmd.path not in wanted or handler is None:
            return replace(cmd, subcommands=subcommands) if subcommands != cmd.subcommands else cmd

        async def recorded(ctx: CommandContext, **values: Any) -> None:
            await handler(ctx, **values)
            note = ctx.audit_note
            if note is not None:
                note.asked = True
                note.plugin = note.plugin or ctx.plugin

        recorded.audited = True  # type: ignore[attr-defined]
        return replace(cmd, handler=recorded, subcommands=subcommands)

    return [wrap(c) for c in commands]


def reads(commands: list[Command], *paths: str, unless: tuple[str, ...] = ()) -> list[Command]:
    """``commands`` with those at ``paths`` (``residents``, ``audit``, ``badge log``) left out of the log.

    The log is of privileged *steps* (what changed: a grant, a verification, a correction); an organizer
    reading a list changes nothing, and a row for every look would bury the steps an auditor looks for.
    Exports that hand out a document (``/exporthours``) are not readings: they stay recorded. With ``unless``
    the command is a reading only when none of those arguments is given (``/config claims`` shows,
    ``/config claims key value`` changes).
    """
    wanted = set(paths)

    def wrap(cmd: Command) -> Command:
        subcommands = tuple(wrap(s) for s in cmd.subcommands)
        handler = cmd.handler
        if cmd.path not in wanted or handler is None:
            return replace(cmd, subcommands=subcommands) if subcommands != cmd.subcommands else cmd

        @wraps(handler)
        async def reading(ctx: CommandContext, **values: Any) -> None:
            await handler(ctx, **values)

        reading.reads = unless or True  # type: ignore[attr-defined]
        return replace(cmd, handler=reading, subcommands=subcommands)

    return [wrap(c) for c in commands]
