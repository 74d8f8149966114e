"""Domain events of the service_log plugin, subscribed to by their stable names.

:class:`RecordFinal` earns the record's points through the core ledger; its source key is the record's
id, so however often it is published (a redelivery, a second sweep after a restart) it books once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.plugin import AwardingEvent, DomainEvent, PointsAward


def source_key(record_id: int) -> str:
    return f"service_log:record:{record_id}"


@dataclass(frozen=True)
class RecordFinal(AwardingEvent):
    """A service record passed its publication window (or needed none): final, immutable, counted."""

    event_name: ClassVar[str] = "service_log.record_final"

    record_id: int = 0
    user_id: int = 0
    #: Exact decimal hours as text ("2.5"), so the event serialises without floats.
    hours: str = "0"
    points: int = 0
    what: str = ""

    def awards(self) -> list[PointsAward]:
        if self.points == 0:
            return []
        reason = f"service_log: {self.hours}h {self.what}"[:256]
        return [PointsAward(self.user_id, self.points, reason, source_key(self.record_id))]


@dataclass(frozen=True)
class StarReached(DomainEvent):
    event_name: ClassVar[str] = "service_log.star_reached"

    user_id: int = 0
    stars: int = 0
