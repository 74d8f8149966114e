"""The claim path's statements, written once instead of built by the query builder for every ``/认领``.

``/认领`` is what a crowd sends at once the minute an organizer posts the garden plots; building its five
queries through Tortoise cost more than the database took to run them (a test compares each with the
ORM query it replaces, on both databases).
"""

from __future__ import annotations

from core.plugin import execute, fetch_models, for_update
from plugins.claims.models import Claim, Project, ProjectStatus, WaitlistEntry

_PROJECT = "SELECT * FROM claims_project WHERE id = ? AND community_id = ? LIMIT 1"
_HOLDING = "SELECT * FROM claims_claim WHERE project_id = ? AND user_id = ? AND holding IS NOT NULL ORDER BY id"
_WAITING = "SELECT * FROM claims_waitlist WHERE project_id = ? AND user_id = ? AND waiting = ? LIMIT 1"
_RESERVE = ("UPDATE claims_project SET claimed = claimed + 1 "
            "WHERE id = ? AND status = ? AND claimed < places")


async def locked_project(project_id: int, community_id: int) -> Project | None:
    """The project, locked for the rest of the transaction (claims, releases and verifications of one
    project take turns)."""
    found = await fetch_models(Project, _PROJECT + for_update(), project_id, community_id)
    return found[0] if found else None


async def holding(project_id: int, user_id: int) -> list[Claim]:
    """The person's claims that occupy a place of the project, oldest first."""
    return await fetch_models(Claim, _HOLDING, project_id, user_id)


async def waiting(project_id: int, user_id: int) -> WaitlistEntry | None:
    """The person's place in the project's waitlist, if they are in line (unique: one each)."""
    found = await fetch_models(WaitlistEntry, _WAITING, project_id, user_id, True)
    return found[0] if found else None


async def reserve_place(project_id: int) -> bool:
    """Count one more place taken, if the project is open and has one left (the count and the claim's row
    go in one savepoint, so a refused row gives the place back)."""
    return await execute(_RESERVE, project_id, ProjectStatus.OPEN.value) == 1
