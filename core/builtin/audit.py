"""``/audit [@user|plugin] [period]`` (``/审计``): the community's audit log for its organizers.

Newest first, a page at a time (a button shows the next). Names are rendered as the log is read, so a
forgotten member shows under their pseudonym. Every answer goes to the asker alone: the log names people
and holds reasons (a badge taken away) that are not for the group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from core.arguments import Arg, Rest, split_words
from core.audit import BY_OPERATOR, AuditEntry
from core.builtin.points import PERIOD_CHOICE, PERIOD_LABELS
from core.commands import Command, command
from core.context import CommandContext
from core.events import Button
from core.i18n import N_
from core.permissions import Role
from core.points import period_start
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

PAGE = 15
MAX_PAGE = 10_000
#: The leaderboards' period names, but the whole log is no "总榜" (overall ranking).
AUDIT_PERIODS = {**PERIOD_LABELS, "all": N_("from the start")}


def describe_details(details: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in details.items() if value not in (None, "", [], {}))


def commands(app: Application) -> list[Command]:
    @command("audit", aliases=("审计", "审计日志"), role=Role.ORGANIZER,
             args=(Arg("filters", Rest(200), optional=True, label=N_("@user|plugin period")),),
             help=N_("Who did which privileged step, when and why: all, one person's, or one plugin's"))
    async def audit(ctx: CommandContext, filters: str | None) -> None:
        ctx.private_answers = True
        t = ctx.t
        words = split_words(filters or "")
        period, page, user_id, plugin = "all", 1, None, None
        for word in words:
            if word.lower() in PERIOD_CHOICE.options:
                period = PERIOD_CHOICE.options[word.lower()]
            elif word.isdigit() and 0 < int(word) <= MAX_PAGE:
                page = int(word)
            elif word in app.plugins.manifests:
                plugin = word
            elif word.startswith("uid:") and word[4:].isdigit() and await ctx.is_member(int(word[4:])):
                user_id = int(word[4:])  # as the next-page button writes a person
            else:
                person = await ctx.resolve_mention(word)
                if person is None:
                    raise Refusal(N_("{value} is neither someone here, a plugin nor a period."), usage=True,
                                  value=word)
                user_id = person.id
        query = AuditEntry.filter(community_id=ctx.community_id)
        if user_id is not None:
            query = query.filter(Q(actor_user_id=user_id) | Q(target_user_id=user_id))
        if plugin is not None:
            query = query.filter(plugin=plugin)
        since = period_start(period, ctx.now(), app.settings.timezone)
        if since is not None:
            query = query.filter(at__gte=since)
        total = await query.count()
        rows = await query.order_by("-id").offset((page - 1) * PAGE).limit(PAGE)
        if not rows:
            ctx.reply(t("Nothing in the audit log for that.") if page == 1 else t("No more entries."))
            return
        people = {i for r in rows for i in (r.actor_user_id, r.target_user_id) if i is not None}
        names = await ctx.names(sorted(people))
        heading = t("Audit log, {period} ({first}–{last} of {total}):", period=t(AUDIT_PERIODS[period]),
                    first=(page - 1) * PAGE + 1, last=(page - 1) * PAGE + len(rows), total=total)
        lines = [heading]
        for row in rows:
            if row.actor_user_id is not None:
                actor = names[row.actor_user_id]
            else:
                actor = t("the operator (CLI)") if row.actor_kind == BY_OPERATOR else t("linli")
            about = " ".join(x for x in (names.get(row.target_user_id) if row.target_user_id else "",
                                         row.target) if x)
            line = f"{ctx.when(row.at)} {actor}: /{row.action}" + (f" → {about}" if about else "")
            details = describe_details(row.details)
            if details:
                line += f" ({details})"
            if row.reason:
                line += " — " + t("reason: {reason}", reason=row.reason)
            lines.append(line)
        buttons: list[list[Button]] = []
        if page * PAGE < total:
            more = [w for w in words if not (w.isdigit() and int(w) <= MAX_PAGE) and w != "uid"]
            if user_id is not None:
                more = [w for w in more if w.lower() in PERIOD_CHOICE.options or w in app.plugins.manifests]
                more.append(f"uid:{user_id}")
            buttons.append([Button(t("Next page"), " ".join(["/audit", *more, str(page + 1)]))])
        ctx.reply("\n".join(lines), buttons=buttons)

    return [audit]
