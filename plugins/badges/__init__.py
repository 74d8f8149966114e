"""Plugin ``badges`` (标识): verified badges beside names — 党员🚩 (党员亮身份), 楼栋长, 网格员, and kinds a
community adds — with the member's consent, shown everywhere names appear.

A member asks, a verifier (an organizer, or the role the kind names) verifies or declines with a reason,
the member is told privately and chooses whether the badge shows; organizers may revoke it; every step is
audited. Party membership is sensitive personal information (PIPL): a badge is hidden until its holder
shows it, and the member-data hooks export and erase it. The rules are in ``service.py``; what other code
learns through hooks (marks beside names, ``linli_user_has_badge``, which badges can be verified here,
the member's own lines in ``/whoami``) in ``display.py``; this module says what the plugin contributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.plugin import Command, Correction, PluginManifest, RosterKind, audited, hookimpl, reads
from plugins.badges import display, member_data
from plugins.badges.commands import COMMANDS
from plugins.badges.corrections import CORRECTIONS
from plugins.badges.roster import KINDS as ROSTER_KINDS
from plugins.badges.service import PLUGIN


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name=PLUGIN,
        title_zh="标识",
        title_en="Badges",
        version="0.1.0",
        description="Verified badges (party member, building head, grid worker…) shown beside names, with consent.",
        models=("plugins.badges.models",),
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    # Anyone may send these; the badge's verifiers may act: every decision is in the core's audit log.
    # The log and the report are readings, not steps (core.audit.reads): not recorded.
    decisions = audited(COMMANDS, "verifybadge", "declinebadge", "badge verify", "badge decline")
    return reads(decisions, "badgelog", "badge log", "badgereport", "badge report")


@hookimpl
def linli_corrections() -> list[Correction]:
    """``/correct badge <@user> <badge> <reason>``: a verification made in error is reversed."""
    return CORRECTIONS


@hookimpl
def linli_roster_kinds() -> list[RosterKind]:
    """The party roster: imported memberships are verified, audited, and hidden until shown."""
    return ROSTER_KINDS


@hookimpl
async def linli_decorate_names(community_id: int, user_ids: list[int]) -> dict[int, str]:
    return await display.marks(community_id, user_ids)


@hookimpl
async def linli_user_has_badge(community_id: int, user_id: int, badge: str) -> bool | None:
    return await display.has_badge(community_id, user_id, badge)


@hookimpl
async def linli_verifiable_badges(community_id: int) -> list[str]:
    return await display.verifiable(community_id)


@hookimpl
async def linli_whoami_lines(community_id: int, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    return await display.own_lines(community_id, user_id)


@hookimpl
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    return await member_data.member_data(user_id)


@hookimpl
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    await member_data.forget_member(user_id, pseudonym)


@hookimpl
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    await member_data.merge_users(from_user_id, into_user_id)
