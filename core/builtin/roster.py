"""Rosters in chat: ``/import KIND`` (an organizer sends the sheet to the bot privately), ``/join CODE``.

``/import households`` as the caption of an .xlsx or .csv document answers with the dry run: the counts,
every row it cannot take and why (the whole list as a file when it is long), and an Apply button. The
document's platform handle is kept for an hour (:mod:`core.adapter_state`), so the button, or
``/import households apply``, fetches the same file again and applies it; the join codes of the people
not yet known come back as a CSV file. A platform whose adapter cannot fetch files (the console) is
told to use ``linli import`` on the server.

``/join CODE`` is how a person named in a roster claims their row, in the pattern of ``/link``: the code
is one-time (a conditional update gives it to one account), and an account sending :data:`MAX_WRONG_CODES`
wrong codes waits. A person whose row named their username is matched when they first speak
(:func:`match_by_username`), without a command.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from core import adapter_state
from core.arguments import Arg, Choice, Text
from core.commands import Command, command
from core.context import CommandContext
from core.events import Button, MessageReceived, OutgoingFile, OutgoingMessage
from core.i18n import N_
from core.identity import Community, user_for
from core.permissions import Role
from core.refusal import Refusal
from core.rosters import pending
from core.rosters.importer import find_kind, import_roster
from core.rosters.models import RosterEntry
from core.rosters.registry import roster_kinds, scopes
from core.rosters.summary import CHAT_PROBLEMS, codes_csv, problems_csv, summary_lines
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application

NAMESPACE = "core.roster"
#: How long the Apply button of a dry run works (the platform keeps the file at least that long).
UPLOAD_LIFETIME = timedelta(hours=1)
MAX_WRONG_CODES = 5
APPLY = Choice({"apply": True, "导入": True, "确认": True, "confirm": True}, shown=(N_("apply"),))


def commands(app: Application) -> list[Command]:
    @command("import", aliases=("导入",), role=Role.ORGANIZER,
             args=(Arg("kind", Text(max_length=32), label=N_("kind")),
                   Arg("apply", APPLY, optional=True, label=N_("apply")),
                   Arg("token", Text(max_length=16), optional=True, label=N_("code"))),
             help=N_("Import a roster (households, volunteers, teams, party) from an .xlsx or .csv file sent "
                     "to me privately with this command as its caption: a dry run first, then apply"))
    async def import_(ctx: CommandContext, kind: str, apply: bool | None, token: str | None) -> None:
        ctx.private_answers = True  # a roster names people and flats
        if not ctx.event.channel.is_direct:
            raise Refusal(N_("Send the roster to me in a private chat, with /import {kind} as the file's caption."),
                          kind=kind)
        kinds = roster_kinds(app, ctx.community_id)
        # one file waiting per kind, and the button names the very file its dry run read: Apply under the
        # households dry run never applies a party sheet sent since, nor a newer households file
        kind_name = find_kind(kinds, kind).name
        upload_key = f"upload:{ctx.community_id}:{ctx.user.id}:{kind_name}"
        attachment = next((a for a in ctx.event.attachments if a.kind in ("file", "document")), None)
        if attachment is not None:
            ref = attachment.ref
        else:
            stored = await adapter_state.state_get(NAMESPACE, upload_key, ctx.now())
            if not apply or not isinstance(stored, dict) or stored.get("platform") != ctx.event.channel.platform:
                raise Refusal(N_("Send the roster as a file (.xlsx or .csv) with /import {kind} as its caption."),
                              kind=kind)
            if token is not None and token != stored.get("token"):
                raise Refusal(N_("That dry run is not the latest of this roster: press Apply under the newest "
                                 "one, or send the file again with /import {kind}."), kind=kind)
            ref = str(stored["ref"])
        adapter = app.adapter_for(ctx.event.channel.platform)
        try:
            if adapter is None:
                raise NotImplementedError
            data = await adapter.fetch_attachment(ref)
        except NotImplementedError:
            raise Refusal(N_("I cannot fetch files on this platform; on the server, run: linli import {kind} "
                             "FILE --community {community}"), kind=kind, community=ctx.community.name
                          if ctx.community else "") from None
        language = ctx.community.language if ctx.community else None
        scope = scopes(app, ctx.community_id, language, ctx.user.id, ctx.now(), ctx.uow)
        report = await import_roster(kinds, kind, data, "roster",
                                     community_id=ctx.community_id, by_user_id=ctx.user.id, scope=scope,
                                     apply=bool(apply))
        t = ctx.t
        files = []
        if len(report.problems) > CHAT_PROBLEMS:
            files.append(OutgoingFile("problems.csv", problems_csv(report, t), "document", "text/csv"))
        lines = summary_lines(report, t, limit=CHAT_PROBLEMS)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if report.applied:
            await adapter_state.AdapterState.filter(namespace=NAMESPACE, key=upload_key).delete()
            if report.codes:
                files.append(OutgoingFile("join-codes.csv", codes_csv(report, t), "document", "text/csv"))
        elif report.changes:
            digest = hashlib.sha256(data).hexdigest()[:12]
            await adapter_state.state_put(NAMESPACE, upload_key, {"platform": ctx.event.channel.platform,
                                                                  "ref": ref, "token": digest},
                                          ctx.now() + UPLOAD_LIFETIME)
            command_line = await ctx.hint("import", report.kind.name, t("apply"))
            lines.append(t("To make these changes: {command}", command=command_line))
            buttons = ((Button(t("Apply"), f"/import {report.kind.name} apply {digest}"),),)
        ctx.reply("\n".join(lines), buttons=buttons, files=files)

    @command("join", aliases=("加入",), needs_community=False,
             args=(Arg("code", Text(max_length=32), label=N_("code")),),
             help=N_("Claim your row in an organizers' roster with the join code they gave you"))
    async def join(ctx: CommandContext, code: str) -> None:
        ctx.private_answers = True
        tries_key = f"tries:{ctx.user.id}"
        tries = await adapter_state.state_get(NAMESPACE, tries_key, ctx.now())
        wrong = tries.get("wrong", 0) if isinstance(tries, dict) else 0
        if wrong >= MAX_WRONG_CODES:
            raise Refusal(N_("Too many wrong join codes from this account. Try again a little later."))
        entry = await RosterEntry.get_or_none(code=code.strip().upper(), user_id__isnull=True)
        outcome = await pending.match(app, entry, ctx.user.id, ctx.uow, ctx.now()) if entry else None
        if entry is None or outcome is None:
            # answered, not refused: a refusal would undo the count, and codes could be guessed
            await adapter_state.state_put(NAMESPACE, tries_key, {"wrong": wrong + 1}, ctx.now() + UPLOAD_LIFETIME)
            ctx.reply(ctx.t("That join code is unknown or was used already. Ask the organizer who gave it to you."))
            return
        community = await Community.get(id=entry.community_id)
        if ctx.community is None or ctx.community.id != community.id:
            ctx.enter(community)
        ctx.reply(ctx.t("Welcome, {name}: you are on the {kind} roster of {community} now.", name=entry.name,
                        kind=title_of(app, entry.kind, community), community=community.name))

    return [import_, join]


def title_of(app: Application, kind_name: str, community: Community) -> str:
    """A kind's title in the community's language, from its own plugin's catalogue."""
    kind = next((k for k in roster_kinds(app, community.id) if k.name == kind_name), None)
    if kind is None:
        return kind_name
    return app.translator(community.language, None if kind.plugin == "core" else kind.plugin)(kind.title)


def quiet(event: MessageReceived) -> bool:
    """For the bus: a message from someone no roster waits for needs neither a read nor a write."""
    return not pending.WAITING.may_wait(event.sender.username)


def match_by_username(app: Application) -> Callable[[MessageReceived, UnitOfWork], Awaitable[None]]:
    """A subscription to every message: a sender whose username a roster is waiting for gets their rows."""

    async def handler(event: MessageReceived, uow: UnitOfWork) -> None:
        username = event.sender.username
        if not await pending.WAITING.waiting(username):
            return  # everybody else: no query, no write
        assert username is not None
        entries = await RosterEntry.filter(user_id__isnull=True, username=username.lower().lstrip("@"),
                                           imported_at__gte=uow.now - pending.USERNAME_MATCH)
        if not entries or not await uow.mark_processed():
            return
        user = await user_for(event.sender)
        for entry in entries:
            if await pending.match(app, entry, user.id, uow, uow.now) is None:
                continue
            community = await Community.get(id=entry.community_id)
            t = app.translator(community.language)
            uow.send(OutgoingMessage(event.channel, t(
                "Welcome, {name}: the organizers of {community} have you on their {kind} roster, and it counts for "
                "you now.", name=entry.name, community=community.name, kind=title_of(app, entry.kind, community)),
                private_to=event.sender))
        pending.WAITING.forget()

    return handler
