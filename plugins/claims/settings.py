"""Settings of the claims plugin: ``[plugin.claims]`` in settings.toml, overridden per community by
organizers with ``/config claims <key> <value>``.

The release defaults are chosen for a neighbourhood, not for an online mapathon: HOT's Tasking Manager
frees a task lock after about two hours because mapping is done at a desk in one sitting, whereas moving
bikes or weeding a plot waits for a free evening or a weekend. A week without any sign of progress spans
one weekend, and the reminder a day before leaves the claimer an evening to answer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

#: What organizers may type for ``who_may_claim``, in either language.
CLAIMER_WORDS = {"resident": "resident", "居民": "resident", "volunteer": "volunteer", "志愿者": "volunteer",
                 "红马甲": "volunteer"}


class ClaimsSettings(BaseModel):
    who_may_claim: Literal["resident", "volunteer"] = Field(
        "resident", description="resident: anyone in the community may claim; volunteer: volunteers only")
    default_places: int = Field(
        1, ge=1, le=1000, description="places of a project when the organizer says '-'")
    max_places: int = Field(500, ge=1, le=10_000, description="the most places a project may have")
    max_per_person: int = Field(
        10, ge=1, le=100, description="the most places one person may hold in a project")
    stale_after_days: int = Field(
        7, ge=0, le=365, description="release a claim after this many days without progress (0: never)")
    release_at_deadline: bool = Field(True, description="release unfinished claims when the deadline passes")
    remind_hours_before_release: int = Field(
        24, ge=0, le=24 * 30, description="remind a claimer this many hours before a release")
    party_first_hours: int = Field(
        24, ge=1, le=24 * 14, description="length of a 'party members first' window when none is given")

    @field_validator("who_may_claim", mode="before")
    @classmethod
    def _accept_chinese(cls, value: Any) -> Any:
        return CLAIMER_WORDS.get(value.strip().lower(), value) if isinstance(value, str) else value
