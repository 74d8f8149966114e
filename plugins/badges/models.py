"""Tables of the badges plugin (Tortoise app ``badges``).

People and communities are referred to by the core's integer ids, never by foreign keys into the core, so
this plugin's migrations stand on their own (as the claims plugin's do).

* :class:`CustomKind`: the kinds an organizer added to a community (the built-in ones are code, see
  :mod:`plugins.badges.kinds`).
* :class:`Badge`: one request and what became of it. ``live`` is True while the request is pending or the
  badge is verified, NULL once it ended (declined, revoked); a unique constraint over it (NULLs
  never collide, on SQLite and PostgreSQL alike) keeps one live badge of a kind per person and community,
  whatever the interleaving of two requests.
* :class:`AuditEntry`: every step, who did it, when and why, for ``/badge log``.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class BadgeStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    DECLINED = "declined"
    REVOKED = "revoked"


class CustomKind(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    key = fields.CharField(max_length=32)
    emoji = fields.CharField(max_length=16)
    name = fields.CharField(max_length=32)
    #: The core role (besides organizers) whose holders may verify this kind.
    verifier_role = fields.CharField(max_length=32, default="organizer")
    created_by = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "badges_custom_kind"
        unique_together = (("community_id", "key"),)


class Badge(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    kind = fields.CharField(max_length=32)
    status = fields.CharEnumField(BadgeStatus, max_length=16, default=BadgeStatus.PENDING)
    #: True while pending or verified, NULL once it ended; see the module docstring.
    live = fields.BooleanField(null=True, default=True)
    #: Whether the member chose to show it beside their name; hidden until they do.
    shown = fields.BooleanField(default=False)
    #: The member's own words with the request (the party branch, the building).
    note = fields.CharField(max_length=200, default="")
    #: Why a verifier declined or an organizer revoked it.
    reason = fields.CharField(max_length=300, default="")
    requested_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.IntField(null=True)
    #: A verification an organizer reversed (``/correct badge``): revoked, and marked as a correction.
    corrected_at = fields.DatetimeField(null=True)
    corrected_by = fields.IntField(null=True)
    correction_reason = fields.CharField(max_length=300, default="")

    class Meta:
        table = "badges_badge"
        unique_together = (("community_id", "user_id", "kind", "live"),)
        indexes = (("community_id", "status"),)


class AuditEntry(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    #: Whose badge the step was about.
    user_id = fields.IntField()
    kind = fields.CharField(max_length=32)
    #: requested, verified, declined, shown, hidden, revoked, kind_added, forgotten.
    action = fields.CharField(max_length=16)
    #: Who took the step (the member themselves for a request, show or hide).
    by_user_id = fields.IntField()
    #: The note of a request, the reason of a decline or revocation.
    text = fields.CharField(max_length=300, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "badges_audit"
        indexes = (("community_id", "user_id"),)
