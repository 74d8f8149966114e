"""Plugin ``claims`` (认领): community projects that volunteers claim in chat.

A resident's complaint becomes a public project; neighbours claim its places (one each, or named
plots), a full project keeps a waitlist, stale claims are released, reported work is verified by an
organizer and earns points through the core ledger. The rules are in ``service.py``; this module says
what the plugin contributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.plugin import (
    Command,
    Correction,
    JobSpec,
    PluginManifest,
    PluginToggled,
    Subscription,
    UnitOfWork,
    WebPage,
    hookimpl,
)
from plugins.claims import member_data
from plugins.claims.commands import COMMANDS
from plugins.claims.corrections import CORRECTIONS
from plugins.claims.jobs import JOBS
from plugins.claims.service import PLUGIN, note_resumed
from plugins.claims.settings import ClaimsSettings
from plugins.claims.web import PROJECTS_PAGE


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name=PLUGIN,
        title_zh="认领",
        title_en="Claims",
        version="0.1.0",
        description="Community projects that volunteers claim, complete and get verified, earning points.",
        settings_model=ClaimsSettings,
        models=("plugins.claims.models",),
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    return COMMANDS


@hookimpl
def linli_jobs() -> list[JobSpec]:
    return JOBS


@hookimpl
def linli_corrections() -> list[Correction]:
    """``/correct claim <project> <@user> <reason>``: a verification reversed, its points taken back."""
    return CORRECTIONS


@hookimpl
def linli_web_pages() -> list[WebPage]:
    """The board's projects page: open projects with places left, and done ones."""
    return [PROJECTS_PAGE]


async def _switched_on(event: PluginToggled, uow: UnitOfWork) -> None:
    """Back on after a pause: the next sweep gives claimers notice before releasing anything."""
    if event.plugin == PLUGIN and event.enabled:
        await note_resumed(event.community_id)


@hookimpl
def linli_subscriptions() -> list[Subscription]:
    return [Subscription(PluginToggled, _switched_on)]


@hookimpl
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    return await member_data.member_data(user_id)


@hookimpl
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    await member_data.forget_member(user_id, pseudonym)


@hookimpl
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    await member_data.merge_users(from_user_id, into_user_id)
