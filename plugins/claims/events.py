"""Domain events of the claims plugin: facts other plugins (and the web board) may react to.

Only :class:`ClaimVerified` earns points; its source key makes the award once per project and person,
however often it is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.plugin import AwardingEvent, DomainEvent, PointsAward


@dataclass(frozen=True)
class ProjectCreated(DomainEvent):
    project_id: int = 0
    title: str = ""
    places: int = 0
    by_user_id: int = 0


@dataclass(frozen=True)
class ProjectFilled(DomainEvent):
    project_id: int = 0


@dataclass(frozen=True)
class ProjectCompleted(DomainEvent):
    project_id: int = 0
    user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProjectCancelled(DomainEvent):
    project_id: int = 0
    by_user_id: int = 0


@dataclass(frozen=True)
class ProjectClaimed(DomainEvent):
    project_id: int = 0
    claim_id: int = 0
    user_id: int = 0
    #: True when the place came from the waitlist rather than from a /claim.
    promoted: bool = False


@dataclass(frozen=True)
class ClaimEnded(DomainEvent):
    """A claim gave its place back: withdrawn, released by the sweep, or ended by a cancellation."""

    project_id: int = 0
    claim_id: int = 0
    user_id: int = 0
    status: str = ""


@dataclass(frozen=True)
class ClaimReported(DomainEvent):
    project_id: int = 0
    claim_id: int = 0
    user_id: int = 0
    photos: int = 0


@dataclass(frozen=True)
class ClaimSentBack(DomainEvent):
    project_id: int = 0
    user_id: int = 0
    by_user_id: int = 0
    reason: str = ""


@dataclass(frozen=True)
class ClaimVerified(AwardingEvent):
    """Heard by name (``claims.claim_verified``): service_log turns ``hours`` into a service record."""

    event_name: ClassVar[str] = "claims.claim_verified"

    project_id: int = 0
    user_id: int = 0
    by_user_id: int = 0
    points: int = 0
    title: str = ""
    #: Volunteer service hours per completion as exact decimal text ("2.0"); "" when the project has none.
    hours: str = ""

    def awards(self) -> list[PointsAward]:
        if self.points <= 0:
            return []
        key = f"claims:verify:{self.project_id}:{self.user_id}"
        return [PointsAward(self.user_id, self.points, f"claims: {self.title}"[:256], key)]
