"""A person's roster rows (PIPL): shown in ``/mydata``, erased by ``/forgetme``, moved by ``/link``.

A matched entry holds what the organizer's sheet said of the person (the name, a phone number, the flat),
so it is theirs to see and to have erased. An erased entry is deleted: a later import of the same sheet
lists the person again as new, with a new code, and nothing is applied to the pseudonym.
"""

from __future__ import annotations

from typing import Any

from core.rosters.models import RosterEntry


async def roster_data(user_id: int) -> list[dict[str, Any]]:
    rows = await RosterEntry.filter(user_id=user_id).order_by("id")
    return [{"community_id": r.community_id, "roster": r.kind, "name": r.name, "values": dict(r.data),
             "imported_at": r.imported_at.isoformat(),
             "matched_at": r.matched_at.isoformat() if r.matched_at else None} for r in rows]


async def forget_rosters(user_id: int) -> None:
    await RosterEntry.filter(user_id=user_id).delete()


async def merge_rosters(from_user_id: int, into_user_id: int) -> None:
    await RosterEntry.filter(user_id=from_user_id).update(user_id=into_user_id)
