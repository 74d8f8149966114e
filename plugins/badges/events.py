"""Domain events of the badges plugin, heard by their stable names (``"badges.badge_verified"``…) by any
plugin that cares, without importing this one. They carry no notes or reasons: those are for the people
involved, not for other plugins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.plugin import DomainEvent


@dataclass(frozen=True)
class BadgeVerified(DomainEvent):
    event_name: ClassVar[str] = "badges.badge_verified"

    user_id: int = 0
    kind: str = ""
    by_user_id: int = 0


@dataclass(frozen=True)
class BadgeRevoked(DomainEvent):
    event_name: ClassVar[str] = "badges.badge_revoked"

    user_id: int = 0
    kind: str = ""
    by_user_id: int = 0


@dataclass(frozen=True)
class BadgeDisplayChanged(DomainEvent):
    """A member chose to show (or hide) a verified badge beside their name."""

    event_name: ClassVar[str] = "badges.badge_display_changed"

    user_id: int = 0
    kind: str = ""
    shown: bool = False
