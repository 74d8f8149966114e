"""Plugin ``service_log`` (红马甲): volunteer service hours, recorded, approved, published, counted, certified.

Following 民政部令第67号 (《志愿服务记录与证明出具办法（试行）》): volunteers register with a community
volunteer number; **credit hours** come from sign-in/sign-out at activities (nobody types them), **entered
hours** are typed and approved by an organizer or the team leader (never by oneself); approved records are
published (公示) for working days, anyone may object; then they are final, immutable, and earn points once
through the core ledger. Star levels show beside names; certificates are PDFs with an embedded font and a
verification code. The rules live in ``records.py``, ``activities.py``, ``people.py``; this module says
what the plugin contributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.plugin import (
    CliCommand,
    Command,
    Correction,
    JobSpec,
    PluginManifest,
    RosterKind,
    Subscription,
    WebPage,
    audited,
    fetch,
    hookimpl,
    placeholders,
)
from plugins.service_log import commands_activity, commands_hours, commands_people, commands_views, member_data
from plugins.service_log.claims_link import CLAIM_VERIFIED, claim_verified
from plugins.service_log.cli import EXPORT_HOURS
from plugins.service_log.corrections import CLAIM_CORRECTED, CORRECTIONS, claim_corrected
from plugins.service_log.jobs import JOBS
from plugins.service_log.roster import KINDS as ROSTER_KINDS
from plugins.service_log.settings import ServiceLogSettings
from plugins.service_log.speaker import PLUGIN
from plugins.service_log.web import HOURS_PAGE


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name=PLUGIN,
        title_zh="志愿服务时长",
        title_en="Service hours",
        version="0.1.0",
        description="Volunteer service hours: sign-in, entered hours, approval, publication, points, stars, "
                    "certificates.",
        settings_model=ServiceLogSettings,
        models=("plugins.service_log.models",),
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    # /correct (/更正) is the core's now: the adjustment of hours is offered through it (corrections.py).
    hours = [c for c in commands_hours.COMMANDS if c is not commands_hours.correct]
    # Organizers or the volunteer's team leader review: every review is in the core's audit log.
    hours = audited(hours, "approve", "deny")
    return [*commands_people.COMMANDS, *hours, *commands_activity.COMMANDS, *commands_views.COMMANDS]


@hookimpl
def linli_corrections() -> list[Correction]:
    """``/correct record <id> <reason>`` reverses an approval; ``/更正 <id> <±hours> <reason>`` adjusts."""
    return CORRECTIONS


@hookimpl
def linli_cli_commands() -> list[CliCommand]:
    return [EXPORT_HOURS]


@hookimpl
def linli_roster_kinds() -> list[RosterKind]:
    """The teams sheet, and the 服务队 column of the core's volunteer sheet."""
    return ROSTER_KINDS


@hookimpl
def linli_jobs() -> list[JobSpec]:
    return JOBS


@hookimpl
def linli_web_pages() -> list[WebPage]:
    """The board's service hours page: this year's totals, by team, per month."""
    return [HOURS_PAGE]


@hookimpl
def linli_subscriptions() -> list[Subscription]:
    return [Subscription(CLAIM_VERIFIED, claim_verified), Subscription(CLAIM_CORRECTED, claim_corrected)]


@hookimpl
async def linli_decorate_names(community_id: int, user_ids: list[int]) -> dict[int, str]:
    """⭐3 beside a volunteer with three stars: shown wherever linli shows the name."""
    if not user_ids:
        return {}
    rows = await fetch("SELECT user_id, stars FROM service_log_volunteer WHERE community_id = ? AND stars > 0 "
                       f"AND user_id IN ({placeholders(len(user_ids))})", community_id, *user_ids)
    return {int(r["user_id"]): f"⭐{r['stars']}" for r in rows}


@hookimpl
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    return await member_data.member_data(user_id)


@hookimpl
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    await member_data.forget_member(user_id, pseudonym)


@hookimpl
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    await member_data.merge_users(from_user_id, into_user_id)
