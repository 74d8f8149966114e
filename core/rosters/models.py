"""The one table of rosters: people an organizer imported who have not spoken to the bot yet.

A row of a sheet names a person by name (and perhaps a phone number and a username); linli knows people
only by their platform accounts. So a person it cannot find for certain (a username it has seen) waits
here as a **pending entry** with a one-time join code, until they send ``/join CODE`` or speak with that
username; only then does the row take effect for them (:mod:`core.rosters.pending`). Never matched by
display name: two 张伟 in one estate are normal.

The entry stays after it is matched (``user_id`` set, ``code`` cleared), so importing the same sheet again
finds the row already done and changes nothing.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class RosterEntry(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    #: The roster kind (``households``, ``volunteers``, ``party``…).
    kind = fields.CharField(max_length=32)
    #: Who the row is about, as the sheet says it: ``@username``, else name, phone and the kind's own fields.
    key = fields.CharField(max_length=191)
    #: The name in the sheet, shown to organizers and in the list of codes.
    name = fields.CharField(max_length=50)
    #: The platform username from the sheet (lower case, without ``@``), matched when its owner speaks.
    username = fields.CharField(max_length=128, null=True, db_index=True)
    #: The one-time code the organizer hands out; NULL once matched.
    code = fields.CharField(max_length=16, null=True, unique=True)
    #: The row's values as the kind read them, applied when the person is matched.
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    #: Who imported it (NULL: the operator at the command line).
    imported_by = fields.IntField(null=True)
    imported_at = fields.DatetimeField()
    #: The person it turned out to be; NULL while pending.
    user_id = fields.IntField(null=True)
    matched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "linli_roster_entry"
        unique_together = (("community_id", "kind", "key"),)
