"""Tables of the service_log plugin (Tortoise app ``service_log``).

People and communities are the core's integer ids, never foreign keys into the core, so the plugin's
migrations stand on their own. Hours are exact decimals with one place (a tenth of an hour, six minutes):
``DecimalField`` reads back as :class:`decimal.Decimal` on SQLite and PostgreSQL alike, and every sum is
taken in Python over those values, never as a float.

A record's life: ``pending`` (waits for review) → ``public`` (approved, published for objections until
``public_until``) → ``final`` (immutable; its points are booked once). ``denied`` ends it. An objection sends a
public record back to ``pending``. A correction of a final record is a new record pointing at it.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RecordStatus(StrEnum):
    PENDING = "pending"
    PUBLIC = "public"
    FINAL = "final"
    DENIED = "denied"


class RecordKind(StrEnum):
    CREDIT = "credit"  # from sign-in/sign-out at an activity: nobody types it
    ENTERED = "entered"  # typed by the volunteer (or from a verified claim), approved by someone else
    CORRECTION = "correction"  # a new record correcting a final one, with a reason


class Team(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    name = fields.CharField(max_length=50)
    leader_user_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "service_log_team"
        unique_together = (("community_id", "name"),)


class Volunteer(Model):
    """A registered volunteer: the name for certificates and the community's own volunteer number."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    #: Unique in the community; assigned in order (the community's own numbering).
    number = fields.CharField(max_length=32)
    #: The name the volunteer registered with (the chat name by default); the certificate uses it.
    real_name = fields.CharField(max_length=50)
    team_id = fields.IntField(null=True)
    joined_at = fields.DatetimeField()
    #: The highest star level announced so far (0–5): each level is announced once.
    stars = fields.IntField(default=0)

    class Meta:
        table = "service_log_volunteer"
        unique_together = (("community_id", "user_id"), ("community_id", "number"))


class Activity(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    title = fields.CharField(max_length=100)
    place = fields.CharField(max_length=100)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    places = fields.IntField(default=0)  # 0: no limit
    cap_hours = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    #: Shown on site by the organizer; empty when check-in needs no code.
    code = fields.CharField(max_length=8, default="")
    team_id = fields.IntField(null=True)
    created_by = fields.IntField()
    created_at = fields.DatetimeField()
    #: True once the sweep has closed the forgotten check-outs after the end.
    closed = fields.BooleanField(default=False)

    class Meta:
        table = "service_log_activity"
        indexes = (("community_id", "ends_at"),)


class Attendance(Model):
    id = fields.IntField(primary_key=True)
    activity_id = fields.IntField()
    community_id = fields.IntField()
    user_id = fields.IntField()
    checked_in_at = fields.DatetimeField()
    checked_out_at = fields.DatetimeField(null=True)
    #: Closed at the activity's end because nobody checked out: the record waits for review.
    forgotten = fields.BooleanField(default=False)
    record_id = fields.IntField(null=True)

    class Meta:
        table = "service_log_attendance"
        unique_together = (("activity_id", "user_id"),)


class CodeAttempt(Model):
    """Wrong check-in codes one person sent for one activity: a few tries, not a search of every code."""

    id = fields.IntField(primary_key=True)
    activity_id = fields.IntField()
    user_id = fields.IntField()
    failures = fields.IntField(default=0)

    class Meta:
        table = "service_log_code_attempt"
        unique_together = (("activity_id", "user_id"),)


class Record(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    kind = fields.CharEnumField(RecordKind, max_length=16)
    status = fields.CharEnumField(RecordStatus, max_length=16)
    hours = fields.DecimalField(max_digits=7, decimal_places=1)
    what = fields.CharField(max_length=200)
    #: The day served, in the community's calendar.
    day = fields.DateField()
    #: Optional time of day served, minutes after midnight (``9:00-11:00``), to catch overlaps.
    start_minute = fields.IntField(null=True)
    end_minute = fields.IntField(null=True)
    activity_id = fields.IntField(null=True)
    #: The activity's title or the claims project's, as it was: the certificate lists it.
    activity_title = fields.CharField(max_length=100, default="")
    #: Set for records made from another plugin's event (``claims:7:12``): one record per source.
    source_key = fields.CharField(max_length=100, null=True, unique=True)
    #: Why it waits for review (a forgotten check-out, an objection): shown to reviewers.
    flag = fields.CharField(max_length=200, default="")
    photo = fields.CharField(max_length=300, default="")
    recorded_by = fields.IntField()
    recorded_at = fields.DatetimeField()
    approved_by = fields.IntField(null=True)
    approved_at = fields.DatetimeField(null=True)
    public_until = fields.DatetimeField(null=True)
    final_at = fields.DatetimeField(null=True)
    denied_reason = fields.CharField(max_length=300, default="")
    points = fields.IntField(default=0)
    corrects_id = fields.IntField(null=True)
    reason = fields.CharField(max_length=300, default="")
    #: An approval an organizer reversed (``/correct record``): the record stays, marked; its hours and points
    #: are taken back by a linked correction record and opposite ledger entries.
    corrected_at = fields.DatetimeField(null=True)
    corrected_by = fields.IntField(null=True)
    correction_reason = fields.CharField(max_length=300, default="")

    class Meta:
        table = "service_log_record"
        indexes = (("community_id", "user_id", "day"), ("community_id", "status"))


class Objection(Model):
    id = fields.IntField(primary_key=True)
    record_id = fields.IntField()
    community_id = fields.IntField()
    #: Kept for the reviewers; never shown to the volunteer.
    user_id = fields.IntField()
    reason = fields.CharField(max_length=300)
    made_at = fields.DatetimeField()

    class Meta:
        table = "service_log_objection"


class Certificate(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    number = fields.CharField(max_length=40, unique=True)
    code = fields.CharField(max_length=20, unique=True)
    year = fields.IntField(null=True)
    hours = fields.DecimalField(max_digits=9, decimal_places=1)
    real_name = fields.CharField(max_length=50)
    volunteer_number = fields.CharField(max_length=32)
    record_ids: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    issued_at = fields.DatetimeField()

    class Meta:
        table = "service_log_certificate"
