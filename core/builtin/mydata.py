"""A member's own data (PIPL): ``/mydata`` sends it, ``/forgetme`` erases it, and the core's part of both.

The Personal Information Protection Law gives a person the right to see what is held about them and to
have it deleted. Each plugin answers for its own tables through two hooks (``linli_member_data`` and
``linli_forget_member`` in :mod:`core.hookspecs`); the functions here collect and erase, and
:func:`core_data`, :func:`forget_core` and :func:`merge_core` are the core's own answers, which the core
plugin (:mod:`core.builtin`) registers like any plugin's.

Every installed plugin is asked, switched on or off in a community, because a switched-off plugin keeps
its data. The hooks are called one plugin after another inside the command's transaction rather than
with ``PluginManager.fan_out``, for two reasons: erasure must be all or nothing (``fan_out`` logs a
failing plugin and goes on, so the person would be told "erased" while one plugin still held their data;
here the failure rolls the whole erasure back and the person gets the apology that nothing was changed),
and plugins' hooks open savepoints, which must not interleave on the transaction's one connection.

What stays after ``/forgetme``, and why, is told in ``docs/privacy.md``: what the community's records need
(ledger entries and balances, verified work, memberships) stays attached to the user id under a
pseudonym (``已注销用户#7f3a``); the name, the platform accounts, roles, open questions, and every plugin's
free text and photos go.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from core import audit, corrections, edits, period_totals
from core.arguments import Arg, Choice
from core.commands import Command, command
from core.context import CommandContext
from core.dialogs import PendingDialog
from core.events import OutgoingFile
from core.households import forget_households, households_data, merge_households
from core.i18n import N_
from core.identity import Community, Identity, Membership, User, erase_user
from core.permissions import Role, allows
from core.points import PointsBalance, PointsEntry, rankings_changed
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

log = logging.getLogger(__name__)
CORE = "core"
FILENAME = "linli-mydata.json"
#: What a forgotten person is called from then on. Stored data, like any name, so not translated.
PSEUDONYM_PREFIX = "已注销用户#"
CONFIRM = Choice({"确认": True, "confirm": True}, shown=(N_("confirm"),))
Hook = Callable[..., Awaitable[Any]]


def commands(app: Application) -> list[Command]:
    @command("mydata", aliases=("我的数据",), needs_community=False,
             help=N_("Get a file of everything linli holds about you, sent privately"))
    async def mydata(ctx: CommandContext) -> None:
        t = ctx.t
        data = await collect(app, ctx.user.id, ctx.now())
        data = {"about": t("Everything linli holds about you, by plugin. What /forgetme erases and what it keeps "
                           "is explained in the linli documentation (docs/privacy.md)."), **data}
        blob = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        file = OutgoingFile(FILENAME, blob, "document", "application/json")
        text = t("Here is everything linli holds about you (the attached file {filename}).", filename=FILENAME)
        if not ctx.event.channel.is_direct and await ctx.notify(ctx.user.id, text, sensitive=True, files=[file]):
            ctx.reply(t("I am sending you your data privately. If nothing arrives, open a private chat with me "
                        "first and ask again."))
            return
        ctx.reply(text, private=True, files=[file])  # a private chat is private already

    @command("forgetme", aliases=("删除我的数据",), needs_community=False,
             args=(Arg("confirm", CONFIRM, optional=True, label=N_("confirm")),),
             help=N_("Erase what linli holds about you (asks you to confirm first)"))
    async def forgetme(ctx: CommandContext, confirm: bool | None) -> None:
        t = ctx.t
        alone = await communities_left_without_organizer(ctx.user.id)
        if alone:
            raise Refusal(N_("You are the last organizer of {communities}. Give the role to someone else first "
                             "(/grant @name organizer), then ask again."), communities=t(", ").join(alone))
        if not confirm:
            ctx.reply(t("This erases your name, your chat accounts, your roles, your unfinished claims and waitlist "
                        "places, and the notes and photos of your work. Your points and your verified work stay, "
                        "under a pseudonym, so the community's totals and rankings stay right. It cannot be undone. "
                        "To go ahead, send {command}", command=await ctx.hint("forgetme", t("confirm"))))
            return
        pseudonym = await forget(app, ctx.user.id)
        ctx.reply(t("Done: linli no longer knows who you are. Your points and verified work stay under the name "
                    "{pseudonym}. If you write again, you start as a new member.", pseudonym=pseudonym))

    return [mydata, forgetme]


# -- asking every plugin ---------------------------------------------------------------------------
async def collect(app: Application, user_id: int, now: datetime) -> dict[str, Any]:
    """What every plugin holds about ``user_id``, under the plugin's name.

    A plugin that fails is named under ``"not_available"`` rather than silently left out, and its savepoint
    is rolled back so the others can still answer.
    """
    out: dict[str, Any] = {"generated_at": now.isoformat(), "user_id": user_id}
    for plugin, function in app.plugins.in_turn("linli_member_data"):
        try:
            async with in_transaction():
                part = await function(user_id=user_id)
        except Exception:
            log.exception("linli_member_data of plugin %s failed", plugin)
            out.setdefault("not_available", []).append(plugin)
            continue
        if part:
            out[plugin] = part
    return out


async def forget(app: Application, user_id: int) -> str:
    """Erase ``user_id`` everywhere, in the current transaction; returns the pseudonym they now have.

    The plugins go first and the core last, so a plugin can still read the person's platform accounts.
    Any failure propagates: the caller's transaction is rolled back and nothing is erased.
    """
    pseudonym = await new_pseudonym()
    for _plugin, function in app.plugins.in_turn("linli_forget_member", core_last=True):
        await function(user_id=user_id, pseudonym=pseudonym)
    return pseudonym


async def merge(app: Application, from_user_id: int, into_user_id: int) -> None:
    """Move everything ``from_user_id`` has to ``into_user_id`` (account linking), in the current transaction."""
    if from_user_id == into_user_id:
        return
    for _plugin, function in app.plugins.in_turn("linli_merge_users", core_last=True):
        await function(from_user_id=from_user_id, into_user_id=into_user_id)


async def new_pseudonym() -> str:
    """``已注销用户#7f3a``: random, so it says nothing about the person, and not in use by anyone."""
    for attempt in range(40):
        candidate = PSEUDONYM_PREFIX + secrets.token_hex(2 if attempt < 20 else 4)
        if not await User.exists(display_name=candidate):
            return candidate
    raise RuntimeError("no free pseudonym found")


async def communities_left_without_organizer(user_id: int) -> list[str]:
    """Communities where ``user_id`` is the only one who may organise: forgetting them would orphan it."""
    alone = []
    for membership in await Membership.filter(user_id=user_id).select_related("community").order_by("id"):
        if not allows(membership.roles, Role.ORGANIZER):
            continue
        others = await Membership.filter(community_id=membership.community.id).exclude(user_id=user_id)
        if not any(allows(other.roles, Role.ORGANIZER) for other in others):
            alone.append(membership.community.name)
    return alone


# -- the core's own answers ------------------------------------------------------------------------
def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _dialogs_of(identities: list[Identity]) -> list[PendingDialog]:
    """Open step-by-step questions of these accounts (dialogs are kept per platform account and chat)."""
    if not identities:
        return []
    rows = await PendingDialog.filter(platform_user_id__in=[i.platform_user_id for i in identities]).order_by("id")
    platforms = {(i.platform, i.platform_user_id) for i in identities}
    return [d for d in rows if (d.channel_key.split(":", 1)[0], d.platform_user_id) in platforms]


async def core_data(user_id: int) -> dict[str, Any] | None:
    """The core's part of ``/mydata``: name, accounts, memberships, points and open questions.

    Scheduled jobs are the platform's own work, not personal data, so they are not listed.
    """
    user = await User.get_or_none(id=user_id)
    if user is None:
        return None
    identities = await Identity.filter(user_id=user_id).order_by("id")
    memberships = await Membership.filter(user_id=user_id).select_related("community").order_by("id")
    balances = {b.community_id: b.balance for b in await PointsBalance.filter(user_id=user_id)}
    entries = await PointsEntry.filter(user_id=user_id).order_by("id")
    community_ids = {*balances, *(e.community_id for e in entries)}
    names = {c.id: c.name for c in await Community.filter(id__in=list(community_ids))}
    households = await households_data(user_id)
    points = []
    for community_id in sorted(community_ids):
        points.append({
            "community": names.get(community_id, f"#{community_id}"),
            "community_id": community_id,
            "balance": balances.get(community_id, 0),
            "entries": [{"points": e.delta, "reason": e.reason, "from_plugin": e.source_plugin,
                         "at": _at(e.created_at)} for e in entries if e.community_id == community_id],
        })
    return {
        "name": user.display_name,
        "language": user.language,
        "first_seen": _at(user.created_at),
        "platform_accounts": [{"platform": i.platform, "id": i.platform_user_id, "username": i.username,
                               "name": i.display_name} for i in identities],
        "memberships": [{"community": m.community.name, "community_id": m.community.id,
                         "roles": sorted(m.role_set()), "verified_resident": m.verified_resident,
                         "households": households.get(m.id, []), "joined": _at(m.joined_at)} for m in memberships],
        "points": points,
        "open_questions": [{"chat": d.channel_key, "command": d.line, "answers": d.answers,
                            "expires": _at(d.expires_at)} for d in await _dialogs_of(identities)],
        # The audit log's rows in which the person acted or was acted upon (others by id only), and the
        # corrections of their records.
        "audit": await audit.member_rows(user_id),
        "corrections": await corrections.member_rows(user_id),
        # Refused commands of theirs that editing the message may still redo (core.edits).
        "refused_commands_to_edit": await edits.member_rows(user_id),
    }


async def forget_core(user_id: int, pseudonym: str) -> None:
    """The core's part of ``/forgetme``: open questions go, then the name, accounts and roles.

    Ledger entries and balances stay with the user id: other people's rankings and the community's totals
    are computed from them, and a correction is always a new entry, never an edit.
    """
    dialogs = await _dialogs_of(await Identity.filter(user_id=user_id))
    if dialogs:
        await PendingDialog.filter(id__in=[d.id for d in dialogs]).delete()
    await forget_households(user_id)
    await edits.forget_member(user_id)
    # The audit keeps its rows under the user id (shown with the pseudonym); the former names go from its text.
    user, accounts = await User.get_or_none(id=user_id), await Identity.filter(user_id=user_id)
    names = [user.display_name if user else "", *(a.display_name for a in accounts),
             *(f"@{a.username}" for a in accounts if a.username), *(a.username or "" for a in accounts)]
    await audit.forget_member(user_id, names, pseudonym)
    await corrections.forget_member(user_id, names, pseudonym)
    await erase_user(user_id, pseudonym)


async def merge_core(from_user_id: int, into_user_id: int) -> None:
    """The core's part of merging two users: accounts, memberships (roles joined) and points move over."""
    if from_user_id == into_user_id:
        return
    await Identity.filter(user_id=from_user_id).update(user_id=into_user_id)
    for membership in await Membership.filter(user_id=from_user_id):
        kept = await Membership.get_or_none(community_id=membership.community_id,  # type: ignore[attr-defined]
                                            user_id=into_user_id)
        if kept is None:
            await Membership.filter(id=membership.id).update(user_id=into_user_id)
            continue
        kept.roles = sorted({*kept.roles, *membership.roles})
        kept.verified_resident = kept.verified_resident or membership.verified_resident
        kept.joined_at = min(kept.joined_at, membership.joined_at)
        await kept.save(update_fields=["roles", "verified_resident", "joined_at"])
        await merge_households(membership.id, kept.id)
        await membership.delete()
    await PointsEntry.filter(user_id=from_user_id).update(user_id=into_user_id)
    rankings_changed(None)
    await audit.merge_users(from_user_id, into_user_id)
    await corrections.merge_users(from_user_id, into_user_id)
    await edits.merge_users(from_user_id, into_user_id)
    for balance in await PointsBalance.filter(user_id=from_user_id):
        target = await PointsBalance.get_or_none(community_id=balance.community_id, user_id=into_user_id)
        if target is None:
            await PointsBalance.filter(id=balance.id).update(user_id=into_user_id)
            continue
        target.balance += balance.balance
        await target.save(update_fields=["balance"])
        await balance.delete()
    await period_totals.merge_users(from_user_id, into_user_id)  # after the balances, as award() locks them
    await User.filter(id=from_user_id).delete()
