"""Tables of the ratings plugin (Tortoise app ``ratings``).

A :class:`Rating` has no user id, no household and no time: its primary key is an HMAC of (community,
household, target, period) under a secret that lives only in the environment (``LINLI_SECRET_RATINGS``).
With the secret, the household's rating is found again (so a later rating replaces the earlier one, and
the reminder knows who has not rated); without it, nothing in the database ties a rating to anyone. The
key being the HMAC also means no insertion order is kept: rows are read in key order, which is random.

Communities are referred to by the core's integer ids, never by foreign keys into the core, so this
plugin's migrations stand on their own.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class PeriodKind(StrEnum):
    QUARTERLY = "quarterly"  # 季度考评
    SEMIANNUAL = "semiannual"  # 半年满意度测评
    ANNUAL = "annual"  # 年度综合评价


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Standing(StrEnum):
    RED = "red"  # 红榜
    BLACK = "black"  # 黑榜
    MIDDLE = "middle"  # on neither list
    INSUFFICIENT = "insufficient"  # too few ratings to rank
    INCOMPLETE = "incomplete"  # an annual composite still missing the community's or third party's score


class Target(Model):
    """A rated unit of a community: the property company, the security or cleaning contractor."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    name = fields.CharField(max_length=64)
    #: False once removed: no longer rated, but its published history stays.
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ratings_target"
        unique_together = (("community_id", "name"),)


class TargetManager(Model):
    """A property manager who answers for a target: may reply to its results, may not rate it."""

    id = fields.IntField(primary_key=True)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "ratings.Target", related_name="managers", on_delete=fields.CASCADE)
    user_id = fields.IntField()

    class Meta:
        table = "ratings_target_manager"
        unique_together = (("target", "user_id"),)


class Period(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    kind = fields.CharEnumField(PeriodKind, max_length=16)
    title = fields.CharField(max_length=100)
    status = fields.CharEnumField(PeriodStatus, max_length=16, default=PeriodStatus.OPEN)
    opened_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    #: The dimensions rated in this period, fixed when it opens (a settings change applies to the next one).
    dimensions: fields.Field[list[str]] = fields.JSONField(default=list)
    #: The reminder before the close went out (once per period; nothing says to whom).
    reminded = fields.BooleanField(default=False)
    #: Verified households of the community when the period closed (the turnout's denominator).
    households = fields.IntField(default=0)
    #: 1 while open, NULL once closed: unique per community, so the database itself holds at most one open
    #: period per community even when the calendar and an organizer open one at the same moment.
    open_slot = fields.IntField(null=True, default=1)
    #: The ranking rules frozen when the period opened (an organizer's later ``/config`` applies to the next).
    min_ratings = fields.IntField(default=10)
    red_threshold = fields.FloatField(default=4.0)
    black_threshold = fields.FloatField(default=3.0)

    class Meta:
        table = "ratings_period"
        indexes = (("community_id", "status"),)
        unique_together = (("community_id", "open_slot"),)


class Rating(Model):
    """One household's rating of one target in one period. See the module docstring: no one in it."""

    #: HMAC-SHA256 of (community, household, target, period) under the environment's secret, hex.
    slot = fields.CharField(max_length=64, primary_key=True)
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "ratings.Period", related_name="ratings", on_delete=fields.CASCADE)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "ratings.Target", related_name="ratings", on_delete=fields.CASCADE)
    #: Stars per dimension, in the period's order (1–5).
    scores: fields.Field[list[int]] = fields.JSONField(default=list)
    comment = fields.TextField(null=True)

    class Meta:
        table = "ratings_rating"


class Result(Model):
    """A target's published result for a closed period."""

    id = fields.IntField(primary_key=True)
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "ratings.Period", related_name="results", on_delete=fields.CASCADE)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "ratings.Target", related_name="results", on_delete=fields.CASCADE)
    ratings = fields.IntField()
    #: Mean stars per dimension, in the period's order (empty when there were too few ratings).
    scores: fields.Field[list[float]] = fields.JSONField(default=list)
    #: The residents' overall mean; None when there were too few ratings.
    overall = fields.FloatField(null=True)
    #: Annual periods: the parts and weights of the composite, and its total.
    composite: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    standing = fields.CharEnumField(Standing, max_length=16)
    #: Residents' comments, without names, in random order (empty when there were too few ratings).
    comments: fields.Field[list[str]] = fields.JSONField(default=list)
    #: The property manager's one public reply, shown under the result.
    reply = fields.TextField(null=True)

    class Meta:
        table = "ratings_result"
        unique_together = (("period", "target"),)


class ExternalScore(Model):
    """The community's or the third party's score of a target in an annual period, with the organizer's note."""

    id = fields.IntField(primary_key=True)
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "ratings.Period", related_name="external_scores", on_delete=fields.CASCADE)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "ratings.Target", related_name="external_scores", on_delete=fields.CASCADE)
    source = fields.CharField(max_length=16)  # "community" or "third_party"
    score = fields.FloatField()
    note = fields.TextField(default="")

    class Meta:
        table = "ratings_external_score"
        unique_together = (("period", "target", "source"),)
