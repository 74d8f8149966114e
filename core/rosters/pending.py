"""People a roster named who have not spoken to the bot yet, and how they are matched when they do.

Each pending entry has a one-time code (the alphabet of :mod:`core.builtin.link`: no 0/O, 1/I/L), which
the import lists for the organizer to hand out; the person sends ``/join CODE`` (:mod:`core.builtin.roster`).
An entry whose row named a username is also matched when an account with that username speaks anywhere the
bot reads: the usernames waiting are held in memory (:class:`WaitingUsernames`, re-read every
:data:`REFRESH` at most), so plain chat still writes nothing unless it is that person. A match is a
conditional update, so of two accounts arriving at once only one gets the row.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.builtin.link import new_code
from core.identity import Community, membership_for
from core.rosters.kinds import Outcome
from core.rosters.models import RosterEntry
from core.rosters.registry import roster_kinds, scopes
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application

#: Seconds the in-memory list of waiting usernames is trusted before it is read again.
REFRESH = 30.0
#: How long after the import a row waits for its username. Telegram usernames are given up and taken by
#: others: the account holding the name months later need not be the person the organizer wrote down (and
#: would inherit their flat, or a verified party membership). After this the row waits for its code only.
USERNAME_MATCH = timedelta(days=30)


async def create(community_id: int, kind: str, key: str, name: str, username: str | None, data: dict[str, Any],
                 by_user_id: int | None, now: datetime) -> tuple[RosterEntry, bool]:
    """A pending entry with a fresh code; ``(the entry, False)`` when another import of the same row got there
    first (two organizers applying one sheet at once: it is stored once)."""
    for _attempt in range(5):  # a code already taken (31⁸ codes: practically never) draws another
        try:
            async with in_transaction():
                entry = await RosterEntry.create(community_id=community_id, kind=kind, key=key, name=name,
                                                 username=username, code=new_code(), data=data,
                                                 imported_by=by_user_id, imported_at=now)
            WAITING.add(username)
            return entry, True
        except IntegrityError:
            existing = await RosterEntry.get_or_none(community_id=community_id, kind=kind, key=key)
            if existing is not None:
                return existing, False
    raise RuntimeError("could not draw a free roster code")


async def match(app: Application, entry: RosterEntry, user_id: int, uow: UnitOfWork, now: datetime) -> Outcome | None:
    """Give ``entry``'s row to ``user_id``; None when someone else took it first or its kind is off there."""
    from core.rosters.importer import apply_row

    kinds = roster_kinds(app, entry.community_id)
    kind = next((k for k in kinds if k.name == entry.kind and k.extends is None), None)
    if kind is None:
        return None
    taken = await RosterEntry.filter(id=entry.id, user_id__isnull=True).update(user_id=user_id, code=None,
                                                                               matched_at=now)
    if not taken:
        return None
    await membership_for(entry.community_id, user_id)
    community = await Community.get(id=entry.community_id)
    scope = scopes(app, entry.community_id, community.language, entry.imported_by, now, uow)
    extensions = [k for k in kinds if k.extends == kind.name]
    return await apply_row(kind, extensions, scope, user_id, dict(entry.data), False)


class WaitingUsernames:
    """The usernames of pending entries, in memory: a message from anyone else costs no query."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._loaded_at = float("-inf")

    def add(self, username: str | None) -> None:
        if username:
            self._names.add(username.lower())

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    def may_wait(self, username: str | None) -> bool:
        """Whether a message from ``username`` needs a look (it may be waited for, or the list is stale),
        without a query: a message from anyone else is quiet (the bus then needs no transaction)."""
        if not username:
            return False
        return self._stale() or username.lower().lstrip("@") in self._names

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at > REFRESH

    async def waiting(self, username: str | None) -> bool:
        if not username:
            return False
        if self._stale():
            rows = await RosterEntry.filter(user_id__isnull=True, username__isnull=False).distinct().values_list(
                "username", flat=True)
            self._names = {str(name).lower() for name in rows}
            self._loaded_at = time.monotonic()
        return username.lower().lstrip("@") in self._names


WAITING = WaitingUsernames()
