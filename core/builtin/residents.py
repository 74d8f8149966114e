"""Verified residents and their households: /resident verify|unverify|request, /residents.

Only real residents may rate the property company or vote, so organizers (who know their neighbourhood,
or check a property certificate) verify people and the flats they live in (:mod:`core.households`). A
member may ask (``/resident request 3-2-301``); the organizers are told privately and find every request
in ``/residents unverified``. Every answer names flats, so it goes to the asker alone, even when the
command was sent in the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import households
from core.arguments import Arg, Choice, Mention
from core.commands import Command, command, group, sub
from core.context import CommandContext
from core.i18n import N_, Translator
from core.identity import Membership, User
from core.permissions import Role, allows
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

#: ``/residents unverified`` (or 未认证, 待认证) lists the requests instead of the verified residents.
WHICH = Choice({"unverified": False, "pending": False, "未认证": False, "待认证": False, "verified": True,
                "已认证": True}, shown=(N_("unverified"),))


@dataclass(frozen=True)
class HouseholdCode:
    """A household, 楼栋-单元-户号 (``3-2-301``); ``3栋2单元301室`` and full-width digits are accepted."""

    def placeholder(self, t: Translator, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> str:
        code = households.normalize_code(raw)
        if code is None:
            raise Refusal(N_("{value} is not a household; write building-entrance-flat, e.g. 3-2-301"), value=raw)
        return code


HOUSEHOLD = Arg("household", HouseholdCode(), label=N_("household"))


def commands(app: Application) -> list[Command]:
    @command("verifyresident", aliases=("认证居民",), role=Role.ORGANIZER,
             args=(Arg("user", Mention(), label=N_("user")), HOUSEHOLD),
             help=N_("Verify that someone lives here, in a household such as 3-2-301"))
    async def verify(ctx: CommandContext, user: User, household: str) -> None:
        ctx.private_answers = True  # where someone lives is not for the group (and neither are refusals)
        name = await ctx.name(user.id)
        if household not in await households.households_of(ctx.community_id, user.id) and (
                await households.count_of(ctx.community_id, user.id) >= households.MAX_HOUSEHOLDS):
            raise Refusal(N_("{user} has {maximum} households already; take one away first."), user=name,
                          maximum=households.MAX_HOUSEHOLDS)
        if not await households.verify(ctx.community_id, user.id, household):
            raise Refusal(N_("{user} is already a verified resident of {household}."), user=name,
                          household=household)
        ctx.reply(ctx.t("✅ {user} is a verified resident of {household}.", user=name, household=household))
        await ctx.notify(user.id, ctx.t("An organizer verified you as a resident of {household}.",
                                        household=household))

    @command("unverifyresident", aliases=("取消认证居民",), role=Role.ORGANIZER,
             args=(Arg("user", Mention(), label=N_("user")),
                   Arg("household", HouseholdCode(), optional=True, label=N_("household"))),
             help=N_("Take a resident's verification away (of one household, or of all)"))
    async def unverify(ctx: CommandContext, user: User, household: str | None) -> None:
        ctx.private_answers = True
        name = await ctx.name(user.id)
        if not await households.unverify(ctx.community_id, user.id, household):
            if household is not None:
                raise Refusal(N_("{user} has no household {household}."), user=name, household=household)
            raise Refusal(N_("{user} is not a verified resident."), user=name)
        if household is not None:
            ctx.reply(ctx.t("{user} is no longer a resident of {household}.", user=name, household=household))
        else:
            ctx.reply(ctx.t("{user} is no longer a verified resident.", user=name))

    @command("request", aliases=("申请",), args=(HOUSEHOLD,),
             help=N_("Ask the organizers to verify you as a resident of your household"))
    async def request(ctx: CommandContext, household: str) -> None:
        ctx.private_answers = True
        if household in await households.households_of(ctx.community_id, ctx.user.id):
            raise Refusal(N_("You are already a verified resident of {household}."), household=household)
        if household not in await households.households_of(ctx.community_id, ctx.user.id, verified=False) and (
                await households.count_of(ctx.community_id, ctx.user.id) >= households.MAX_HOUSEHOLDS):
            raise Refusal(N_("You have {maximum} households already."), maximum=households.MAX_HOUSEHOLDS)
        await households.request(ctx.community_id, ctx.user.id, household)
        name = await ctx.name(ctx.user.id)
        mention = f"@{ctx.event.sender.username or ctx.user.display_name}"
        organizers = [m.user_id for m in await Membership.filter(community_id=ctx.community_id)  # type: ignore[attr-defined]
                      if allows(m.roles, Role.ORGANIZER)]
        for organizer in organizers:
            await ctx.notify(organizer, ctx.t(
                "{user} asks to be verified as a resident of {household}. To verify: {command}",
                user=name, household=household, command=await ctx.hint("verifyresident", mention, household)))
        ctx.reply(ctx.t("Thank you. The organizers will verify that you live in {household}; you will be told.",
                        household=household))

    resident = group("resident", aliases=("居民",), help=N_("Verified residents: verify, unverify, request"),
                     subcommands=(sub(verify, "verify", "认证"), sub(unverify, "unverify", "取消认证"), request))

    @command("residents", aliases=("居民名单",), role=Role.ORGANIZER,
             args=(Arg("which", WHICH, optional=True, label=N_("unverified")),),
             help=N_("List verified residents and their households, or the requests waiting (unverified)"))
    async def residents(ctx: CommandContext, which: bool | None) -> None:
        ctx.private_answers = True
        t = ctx.t
        verified = which is not False
        found = await households.residents(ctx.community_id, verified=verified)
        if not found:
            ctx.reply(t("No verified residents yet.") if verified else t("Nobody is waiting for verification."))
            return
        names = await ctx.names(r.user_id for r in found)
        if verified:
            lines = [t.n("{n} verified resident:", "{n} verified residents:", len(found))]
            lines += [f"• {names[r.user_id]}: {t(', ').join(r.households) or t('(no household)')}" for r in found]
        else:
            plain = dict(await User.filter(id__in=[r.user_id for r in found]).values_list("id", "display_name"))
            lines = [t.n("{n} request waiting:", "{n} requests waiting:", len(found))]
            for r in found:
                hints = [await ctx.hint("verifyresident", f"@{plain[r.user_id]}", code) for code in r.households]
                lines.append(f"• {names[r.user_id]}: {t(', ').join(r.households)} — {t(', ').join(hints)}")
        ctx.reply("\n".join(lines))

    return [verify, unverify, resident, residents]
