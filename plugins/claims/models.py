"""Tables of the claims plugin (Tortoise app ``claims``).

People and communities are referred to by the core's integer ids, never by foreign keys into the core,
so this plugin's migrations stand on their own.

Two invariants are kept by the database itself, so they hold with any number of worker processes:

* ``Project.claimed`` counts the places taken; it only changes through conditional ``UPDATE``\\ s
  (``claimed < places``), so a project never has more claims than places.
* A claim that occupies a place has ``holding`` (1…per-person limit) and, for named places, ``place_held``
  set; both become NULL when the place is given up. Unique constraints over them (NULLs never collide,
  on SQLite and PostgreSQL alike) stop one person from taking the same slot twice and two people from
  taking the same named place, whatever the interleaving.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ProjectStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # paused by an organizer: no new claims, current claimers carry on
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class ClaimStatus(StrEnum):
    ACTIVE = "active"  # claimed, work in progress
    REPORTED = "reported"  # the claimer says it is done; waiting for an organizer
    VERIFIED = "verified"
    WITHDRAWN = "withdrawn"  # the claimer gave it up
    RELEASED = "released"  # given back by the sweep: no progress, or the deadline passed
    CANCELLED = "cancelled"  # the project was cancelled


class Project(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    title = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    places = fields.IntField()
    #: Places taken right now; see the module docstring.
    claimed = fields.IntField(default=0)
    #: Named places (plots A1…A70), in order; empty when places are just a number.
    place_names: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    per_person = fields.IntField(default=1)
    deadline = fields.DatetimeField(null=True)
    points = fields.IntField(default=0)
    #: Volunteer service hours each completion is worth, in tenths of an hour (``2小时`` → 20); 0: none.
    hours_tenths = fields.IntField(default=0)
    party_first_hours = fields.IntField(default=0)
    status = fields.CharEnumField(ProjectStatus, max_length=16, default=ProjectStatus.OPEN)
    created_by = fields.IntField()
    #: The 'party members first' window counts from here.
    created_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    full_announced = fields.BooleanField(default=False)

    claims: fields.ReverseRelation[Claim]
    waitlist: fields.ReverseRelation[WaitlistEntry]

    class Meta:
        table = "claims_project"
        indexes = (("community_id", "status"),)

    @property
    def places_left(self) -> int:
        return max(self.places - self.claimed, 0)


class Claim(Model):
    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "claims.Project", related_name="claims", on_delete=fields.CASCADE
    )
    project_id: int
    community_id = fields.IntField()
    user_id = fields.IntField()
    status = fields.CharEnumField(ClaimStatus, max_length=16, default=ClaimStatus.ACTIVE)
    #: The named place, kept after the claim ends so the history reads right.
    place = fields.CharField(max_length=32, null=True)
    holding = fields.IntField(null=True)
    place_held = fields.CharField(max_length=32, null=True)
    claimed_at = fields.DatetimeField()
    #: The last sign of life: the claim itself, /progress, /done, or a send-back.
    progress_at = fields.DatetimeField()
    reminded_at = fields.DatetimeField(null=True)
    reported_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="")
    #: Platform handles of the photos sent with /done, as evidence.
    photos: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    verified_at = fields.DatetimeField(null=True)
    verified_by = fields.IntField(null=True)
    #: A verification an organizer reversed (``/correct claim``): the claim stays, marked, its points taken back.
    corrected_at = fields.DatetimeField(null=True)
    corrected_by = fields.IntField(null=True)
    correction_reason = fields.TextField(default="")
    sendback_reason = fields.TextField(default="")
    ended_at = fields.DatetimeField(null=True)
    #: Where the claimer spoke to us, so reminders reach them in a chat they read.
    origin_platform = fields.CharField(max_length=32, default="")
    origin_chat = fields.CharField(max_length=128, default="")

    class Meta:
        table = "claims_claim"
        unique_together = (("project_id", "user_id", "holding"), ("project_id", "place_held"))
        indexes = (("community_id", "user_id"), ("community_id", "status"))


class WaitlistEntry(Model):
    id = fields.IntField(primary_key=True)
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "claims.Project", related_name="waitlist", on_delete=fields.CASCADE
    )
    project_id: int
    community_id = fields.IntField()
    user_id = fields.IntField()
    #: True while in line, NULL afterwards: unique with (project, user), so one person waits once.
    waiting = fields.BooleanField(null=True, default=True)
    outcome = fields.CharField(max_length=16, default="waiting")  # waiting, promoted, left, dropped
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    origin_platform = fields.CharField(max_length=32, default="")
    origin_chat = fields.CharField(max_length=128, default="")

    class Meta:
        table = "claims_waitlist"
        unique_together = (("project_id", "user_id", "waiting"),)
        indexes = (("community_id", "user_id"),)


class CommunityState(Model):
    """What the sweep remembers per community: whether the plugin has just been switched back on."""

    id = fields.IntField(primary_key=True)
    community_id = fields.IntField(unique=True)
    #: Set when the plugin is switched on again; the next sweep turns it into ``resumed_at``.
    resume_pending = fields.BooleanField(default=False)
    #: After a pause nobody loses a claim without the usual notice: releases wait until the reminder
    #: window after this moment has passed.
    resumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "claims_community_state"
