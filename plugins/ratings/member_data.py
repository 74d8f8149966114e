"""What the ratings plugin holds about a person: only which targets they answer for as a property manager.

Ratings hold nobody (see :mod:`plugins.ratings.models`), so ``/mydata`` cannot list a person's ratings and
``/forgetme`` cannot erase them: nothing in the database says which are theirs. That is the point, and
``docs/privacy.md`` says so.
"""

from __future__ import annotations

from typing import Any

from plugins.ratings.models import TargetManager


async def member_data(user_id: int) -> dict[str, Any] | None:
    rows = await TargetManager.filter(user_id=user_id).select_related("target").order_by("id")
    if not rows:
        return None
    return {"answers_for": [{"community_id": r.target.community_id, "target": r.target.name} for r in rows],
            "ratings": "not stored with your name or household; they cannot be found or listed"}


async def forget_member(user_id: int, pseudonym: str) -> None:
    await TargetManager.filter(user_id=user_id).delete()


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    for row in await TargetManager.filter(user_id=from_user_id):
        if await TargetManager.exists(target_id=row.target_id, user_id=into_user_id):  # type: ignore[attr-defined]
            await row.delete()
        else:
            await TargetManager.filter(id=row.id).update(user_id=into_user_id)
