"""Domain events of the thanks plugin.

Other plugins may react to a thanks without importing this one: they subscribe by the stable name
``Subscription(event_type="thanks.thanks_given", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.plugin import AwardingEvent, PointsAward


@dataclass(frozen=True)
class ThanksGiven(AwardingEvent):
    """Someone thanked a neighbour; published for every thanks, also those that earn nothing more today."""

    event_name: ClassVar[str] = "thanks.thanks_given"

    giver_user_id: int = 0
    receiver_user_id: int = 0
    points: int = 0
    #: The day (YYYY-MM-DD) in the community's time: one giver's thanks to one neighbour earn once a day.
    day: str = ""

    @property
    def source_key(self) -> str:
        """The ledger key of the award: the same for every thanks from this giver to this neighbour today,
        so the ledger books the first one only, however many arrive (even concurrently)."""
        return f"thanks:{self.giver_user_id}:{self.receiver_user_id}:{self.day}"

    def awards(self) -> list[PointsAward]:
        if not self.points:
            return []
        return [PointsAward(self.receiver_user_id, self.points, "thanks", self.source_key)]
