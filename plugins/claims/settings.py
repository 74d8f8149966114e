"""Settings of the claims plugin: ``[plugin.claims]`` in settings.toml, overridden per community by
organizers with ``/config claims <key> <value>``.

The release defaults are chosen for a neighbourhood, not for an online mapathon: HOT's Tasking Manager
frees a task lock after about two hours because mapping is done at a desk in one sitting, whereas moving
bikes or weeding a plot waits for a free evening or a weekend. A week without any sign of progress spans
one weekend, and the reminder a day before leaves the claimer an evening to answer.

The descriptions are msgids (``N_``): ``/config claims`` shows them in the community's language.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from core.plugin import N_

#: What organizers may type for ``who_may_claim``, in either language.
CLAIMER_WORDS = {"resident": "resident", "居民": "resident", "volunteer": "volunteer", "志愿者": "volunteer",
                 "红马甲": "volunteer"}


class ClaimsSettings(BaseModel):
    who_may_claim: Literal["resident", "volunteer"] = Field(
        "resident", description=N_("who may claim: resident (anyone in the community) or volunteer (volunteers only)"))
    default_places: int = Field(
        1, ge=1, le=1000, description=N_("places of a project when the organizer says '-'"))
    max_places: int = Field(500, ge=1, le=10_000, description=N_("the most places a project may have"))
    max_per_person: int = Field(
        10, ge=1, le=100, description=N_("the most places one person may hold in a project"))
    stale_after_days: int = Field(
        7, ge=0, le=365, description=N_("release a claim after this many days without progress (0: never)"))
    release_at_deadline: bool = Field(True, description=N_("release unfinished claims when the deadline passes"))
    remind_hours_before_release: int = Field(
        24, ge=0, le=24 * 30, description=N_("remind a claimer this many hours before a release"))
    party_first_hours: int = Field(
        24, ge=1, le=24 * 14, description=N_("length of a 'party members first' window when none is given"))

    @field_validator("who_may_claim", mode="before")
    @classmethod
    def _accept_chinese(cls, value: Any) -> Any:
        return CLAIMER_WORDS.get(value.strip().lower(), value) if isinstance(value, str) else value
