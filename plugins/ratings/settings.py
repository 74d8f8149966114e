"""Settings of the ratings plugin: ``[plugin.ratings]`` in settings.toml, changed per community with
``/config ratings <key> <value>``.

The defaults follow the Wuhan "red property management" practice: five dimensions of 1–5 stars, the red
list from 4.0, the black list at 3.0 and below, and an annual composite of residents 50 %, community
30 %, third party 20 %. A ranking from three ratings must not count like one from three hundred, so a
target with fewer than ``min_ratings`` ratings is published as "insufficient data" and not ranked; it cannot
be set below 5 (a score of one or two households would be theirs), and a period keeps the value, and the
thresholds, it opened with.

The HMAC secret is deliberately *not* a setting: it comes from the environment variable
``LINLI_SECRET_RATINGS`` only (see :mod:`plugins.ratings.secret`), so neither settings.toml nor an
organizer's ``/config`` can hold or change it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from core.plugin import N_

DEFAULT_DIMENSIONS = ["服务态度", "维修及时", "环境卫生", "安全秩序", "收费透明"]
HOUSEHOLD_WORDS = {"each": "each", "每户": "each", "first": "first", "第一户": "first"}


class RatingsSettings(BaseModel):
    dimensions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DIMENSIONS), min_length=1, max_length=10,
        description=N_("what residents rate, 1–5 stars each, separated by commas"))
    red_threshold: float = Field(4.0, ge=1, le=5, description=N_("an overall score from this on is on the red list"))
    black_threshold: float = Field(
        3.0, ge=1, le=5, description=N_("an overall score of this or below is on the black list"))
    min_ratings: int = Field(
        10, ge=5, le=100_000,
        description=N_("fewer ratings than this (at least 5) are 'insufficient data', not ranked"))
    remind_days_before: int = Field(
        3, ge=0, le=60,
        description=N_("remind residents who have not rated this many days before the close (0: never)"))
    multiple_households: Literal["each", "first"] = Field(
        "each",
        description=N_("a resident of several households rates for each of them (each) or the first only (first)"))
    calendar: Literal["off", "quarterly", "semiannual", "annual"] = Field(
        "off", description=N_("open and close periods of this kind on the calendar (quarterly, semiannual, annual; "
                              "off: organizers do)"))
    weight_residents: int = Field(
        50, ge=0, le=100, description=N_("weight of the residents' score in the annual composite"))
    weight_community: int = Field(
        30, ge=0, le=100, description=N_("weight of the community's score in the annual composite"))
    weight_third_party: int = Field(
        20, ge=0, le=100, description=N_("weight of the third party's score in the annual composite"))

    @field_validator("dimensions", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[,，、;；\s]+", value) if part]
        return value

    @field_validator("dimensions")
    @classmethod
    def _short_names(cls, value: list[str]) -> list[str]:
        if any(len(name) > 20 for name in value) or len(set(value)) != len(value):
            raise ValueError("dimension names of at most 20 characters, each once")
        return value

    @field_validator("multiple_households", mode="before")
    @classmethod
    def _accept_chinese(cls, value: Any) -> Any:
        return HOUSEHOLD_WORDS.get(value.strip().lower(), value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> RatingsSettings:
        if self.black_threshold >= self.red_threshold:
            raise ValueError("black_threshold must be below red_threshold")
        if self.weight_residents + self.weight_community + self.weight_third_party <= 0:
            raise ValueError("the composite's weights must not all be 0")
        return self
