"""Views and documents: ``/hours`` (``/时长``), ``/hours team``, ``/hours report``, ``/exporthours``,
``/certificate`` (``/证明``) and ``/verifycert``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core.plugin import (
    N_,
    NP_,
    Arg,
    Choice,
    CommandContext,
    Int,
    OutgoingFile,
    Refusal,
    Role,
    Text,
    command,
)
from plugins.service_log import certificate, exports, reports
from plugins.service_log.arguments import PeriodDay, TypedDay, period_of
from plugins.service_log.hours import shown
from plugins.service_log.models import Team, Volunteer
from plugins.service_log.people import require_volunteer
from plugins.service_log.settings import ServiceLogSettings, operator_settings

PERIODS = Choice({"month": "month", "月": "month", "本月": "month", "quarter": "quarter", "季度": "quarter",
                  "本季度": "quarter", "year": "year", "年": "year", "本年": "year", "今年": "year"},
                 shown=(N_("this month"), N_("this quarter"), N_("this year")))
FORMATS = Choice({"csv": "csv", "xlsx": "xlsx", "excel": "xlsx"}, shown=("csv", "xlsx"))
STARS = NP_("{n} star", "{n} stars")
USER_LABEL, TEAM_WORD, REPORT_WORD = N_("user"), N_("team"), N_("report")
TEAM_WORDS = {"team", "队", "服务队", "本队"}
REPORT_WORDS = {"report", "报表", "汇总", "统计"}


@dataclass(frozen=True)
class Target:
    kind: str  # "me", "user", "team", "report"
    user_id: int = 0


@dataclass(frozen=True)
class HoursTarget:
    """``@name``, ``team``/``服务队`` or ``report``/``汇总``."""

    def placeholder(self, t: Any, name: str) -> str:
        return "|".join(["@" + t(USER_LABEL), t(TEAM_WORD), t(REPORT_WORD)])

    async def convert(self, raw: str, ctx: CommandContext) -> Target:
        word = raw.strip().lower()
        if word in TEAM_WORDS:
            return Target("team")
        if word in REPORT_WORDS:
            return Target("report")
        user = await ctx.resolve_mention(raw)
        if user is None:
            raise Refusal(N_("I don't know {value} in this community yet"), value=raw)
        return Target("user", user.id)


def period_start(period: str, today: date) -> date:
    if period == "month":
        return today.replace(day=1)
    if period == "quarter":
        return today.replace(day=1, month=(today.month - 1) // 3 * 3 + 1)
    return today.replace(day=1, month=1)


@command("hours", aliases=("时长",),
         args=(Arg("who", HoursTarget(), optional=True, label=N_("who")),
               Arg("period", PERIODS, optional=True, label=N_("period"))),
         help=N_("Your service hours (or someone's): total, this year, by month, stars; 'team' for your team, "
                 "'report month|quarter|year' for organizers"))
async def hours(ctx: CommandContext, who: Target | None, period: str | None) -> None:
    target = who or Target("me")
    if target.kind == "team":
        await _team(ctx)
    elif target.kind == "report":
        await _report(ctx, period or "month")
    else:
        await _person(ctx, target.user_id if target.kind == "user" else ctx.user.id)


async def _person(ctx: CommandContext, user_id: int) -> None:
    t = ctx.t
    today = ctx.local_day()
    found = await reports.summary(ctx.community_id, user_id, today)
    lines = [t("{user}: {total} hours in all, {year} this year.", user=await ctx.name(user_id),
               total=shown(found.total), year=shown(found.this_year))]
    if found.by_month:
        lines.append(t(", ").join(t("{month}: {hours}", month=t("{month}/{year}", month=m, year=today.year),
                                    hours=shown(h)) for m, h in found.by_month.items()))
    star = t.n(*STARS, found.stars) if found.stars else t("no star yet")
    if found.to_next is not None:
        lines.append(t("{stars}; {hours} hours to the next star.", stars=star, hours=shown(found.to_next)))
    else:
        lines.append(star)
    if found.waiting:
        lines.append(t("{hours} hours are still waiting for review or publication.", hours=shown(found.waiting)))
    ctx.reply("\n".join(lines))


async def _team(ctx: CommandContext) -> None:
    t = ctx.t
    volunteer = await require_volunteer(ctx.community_id, ctx.user.id)
    if volunteer.team_id is None:
        raise Refusal(N_("You are not in a team."))
    team = await Team.get(id=volunteer.team_id)
    members = await Volunteer.filter(community_id=ctx.community_id, team_id=team.id)
    ids = [m.user_id for m in members]
    found = await reports.totals(ctx.community_id, user_ids=ids)
    names = await ctx.names(ids)
    total = sum(found.values(), reports.ZERO)
    lines = [t("{team}: {hours} hours in all.", team=team.name, hours=shown(total))]
    for user_id in sorted(ids, key=lambda u: (-found.get(u, reports.ZERO), u)):
        lines.append(f"{names[user_id]} {shown(found.get(user_id, reports.ZERO))}")
    ctx.reply("\n".join(lines))


async def _report(ctx: CommandContext, period: str) -> None:
    t = ctx.t
    if not ctx.has_role(Role.ORGANIZER):
        raise Refusal(N_("Reports are for organizers."))
    today = ctx.local_day()
    since = period_start(period, today)
    found = await reports.totals(ctx.community_id, since=since, until=today)
    total = sum(found.values(), reports.ZERO)
    names = await ctx.names(found)
    lines = [t("Service hours since {since}: {hours} hours by {people} volunteers.", since=since.isoformat(),
               hours=shown(total), people=len(found))]
    for rank, (user_id, h) in enumerate(sorted(found.items(), key=lambda i: (-i[1], i[0])), start=1):
        lines.append(f"{rank}. {names[user_id]} {shown(h)}")
    ctx.reply("\n".join(lines))


@command("exporthours", aliases=("导出时长",),
         args=(Arg("since", PeriodDay(), label=N_("from")), Arg("until", PeriodDay(), label=N_("to")),
               Arg("format", FORMATS, optional=True, label=N_("format"))),
         role=Role.ORGANIZER, help=N_("Final service hours of a period as a CSV or XLSX document"))
async def export_hours(ctx: CommandContext, since: TypedDay, until: TypedDay, format: str | None) -> None:
    fmt = format or "xlsx"
    first, last = period_of(since, until, ctx.local_day())
    rows = await reports.export_rows(ctx.community_id, first, last)
    data = exports.export(rows, fmt)
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"hours-{first.isoformat()}-{last.isoformat()}.{fmt}"
    ctx.reply(ctx.t("Service hours {since} to {until}: {n} records.", since=first.isoformat(),
                    until=last.isoformat(), n=len(rows)), private=True,
              files=[OutgoingFile(name, data, mime_type=mime)])


def _labels(ctx: CommandContext) -> certificate.Labels:
    t = ctx.t
    return certificate.Labels(
        title=t("Certificate of Volunteer Service"),
        intro=t("This certifies the volunteer service recorded below."),
        name=t("Name"), number=t("Volunteer number"), hours=t("Service hours"), period=t("Period"),
        content=t("Service content"), day=t("Date"), what=t("Activity / content"), hours_col=t("Hours"),
        organization=t("Issuing organization"), in_charge=t("Person in charge"), handler=t("Handler"),
        certificate_number=t("Certificate number"), issued=t("Date of issue"), code=t("Verification code"),
        verify=t("Verify it in the community chat: /verifycert <code>"),
        basis=t("Recorded under 志愿服务记录与证明出具办法（试行）; free of charge."),
    )


@command("certificate", aliases=("证明",),
         args=(Arg("year", Int(minimum=2000, maximum=2100), optional=True, label=N_("year")),),
         help=N_("A PDF certificate of your final service hours (of one year, if given)"))
async def certificate_command(ctx: CommandContext, year: int | None) -> None:
    t = ctx.t
    settings = ctx.settings(ServiceLogSettings)
    volunteer = await require_volunteer(ctx.community_id, ctx.user.id)
    since, until = (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)
    records = await reports.final_records(ctx.community_id, ctx.user.id, since, until)
    chosen = operator_settings(ctx).certificate_font  # never a community's /config value: a file on the server
    font = Path(chosen) if chosen else certificate.FONT
    issued = await certificate.issue(ctx.community_id, volunteer, records, year, ctx.now(), font)
    community = ctx.community.name if ctx.community else ""
    period = str(year) if year else t("{since} to {until}", since=records[0].day.isoformat(),
                                      until=records[-1].day.isoformat())
    data = certificate.render(issued, _labels(ctx), organization=settings.organization or community,
                              in_charge=settings.person_in_charge or "—", handler=settings.handler or "—",
                              period=period, timezone=ctx.timezone, font=font)
    cert = issued.certificate
    ctx.reply(t("📄 Certificate {number}: {hours} hours. Verification code {code}.", number=cert.number,
                hours=shown(cert.hours), code=cert.code), private=True,
              files=[OutgoingFile(f"{cert.number}.pdf", data, mime_type="application/pdf")])


@command("verifycert", aliases=("验证证明",), args=(Arg("code", Text(30), label=N_("verification code")),),
         help=N_("Check that a volunteer service certificate is genuine"))
async def verify_cert(ctx: CommandContext, code: str) -> None:
    found = await certificate.verify(ctx.community_id, code)
    ctx.reply(ctx.t("✅ Genuine: certificate {number} for {name} (volunteer {volunteer}), {hours} hours, "
                    "issued {day}.", number=found.number, name=found.real_name, volunteer=found.volunteer_number,
                    hours=shown(found.hours), day=found.issued_at.astimezone(ctx.timezone).date().isoformat()))


COMMANDS = [hours, export_hours, certificate_command, verify_cert]
