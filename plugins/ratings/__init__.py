"""Plugin ``ratings`` (红黑榜): residents rate their property services; red and black lists are published.

Verified residents (the core's households, :mod:`core.households`) rate each target (the property
company, the security or cleaning contractor) on a few dimensions once per household and period;
results stay sealed until the period closes, then each target's scores, turnout and place on the red or
black list go to every chat of the community, with a history in ``/redblack``. Ratings are anonymous by
construction: keyed by an HMAC under a secret from the environment, never by a person (``models.py``).
The rules are in ``service.py``, the chat in ``commands.py``, the clock in ``jobs.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.plugin import Command, JobSpec, PluginManifest, WebPage, hookimpl
from plugins.ratings import member_data, secret, service
from plugins.ratings.commands import COMMANDS
from plugins.ratings.jobs import JOBS
from plugins.ratings.settings import RatingsSettings
from plugins.ratings.web import RATINGS_PAGE


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name=service.PLUGIN,
        title_zh="红黑榜",
        title_en="Ratings",
        version="0.1.0",
        description="Residents rate property services anonymously; red and black lists are published.",
        settings_model=RatingsSettings,
        models=("plugins.ratings.models",),
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    return COMMANDS


@hookimpl
def linli_jobs() -> list[JobSpec]:
    return JOBS


@hookimpl
def linli_web_pages() -> list[WebPage]:
    """The board's 红黑榜 page: each target's latest result and the history."""
    return [RATINGS_PAGE]


@hookimpl
async def linli_startup() -> None:
    """Read the secret once at start-up, so it is registered with the log redaction before any log line
    (a database driver's, a traceback's) could carry it, not only when the first rating comes in."""
    secret.key()


@hookimpl
async def linli_published_results(community_id: int) -> dict[str, Any] | None:
    return await service.published(community_id)


@hookimpl
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    return await member_data.member_data(user_id)


@hookimpl
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    await member_data.forget_member(user_id, pseudonym)


@hookimpl
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    await member_data.merge_users(from_user_id, into_user_id)
