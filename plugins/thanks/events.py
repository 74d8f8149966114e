"""Domain events of the thanks plugin."""

from __future__ import annotations

from dataclasses import dataclass

from core.plugin import AwardingEvent, PointsAward


@dataclass(frozen=True)
class ThanksGiven(AwardingEvent):
    giver_user_id: int = 0
    receiver_user_id: int = 0
    points: int = 0
    #: The day (YYYY-MM-DD) in the community's time: one giver's thanks to one neighbour earn once a day.
    day: str = ""

    def awards(self) -> list[PointsAward]:
        if not self.points:
            return []
        key = f"thanks:{self.giver_user_id}:{self.receiver_user_id}:{self.day}"
        return [PointsAward(self.receiver_user_id, self.points, "thanks", key)]
