"""Who administers which group, as Telegram says: the chat's creator and administrators.

The core lets a chat admin run ``/setup`` (and may map chat admins to organizers), so every group
message carries ``is_chat_admin``. Asking Telegram for every message would be slow and would hit its
limits, so each group's admin list is cached for ``admin_cache_seconds`` and corrected as soon as
Telegram reports a change: ``chat_member`` updates (someone promoted or demoted; Telegram sends them
only to bots that are admins) patch the list, ``my_chat_member`` updates (the bot itself added,
promoted, removed) drop it so it is fetched again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger("adapters.telegram")
ADMIN_STATUSES = frozenset({"creator", "administrator"})
#: After a failed lookup, how long to go without admin rights before asking Telegram again.
RETRY_FAILED_AFTER = 30.0


class AdminCache:
    def __init__(
        self,
        fetch: Callable[[int], Awaitable[set[int]]],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self._clock = clock
        self._admins: dict[int, tuple[float, set[int]]] = {}
        self._loading: dict[int, asyncio.Future[None]] = {}

    def is_admin(self, chat_id: int, user_id: int) -> bool:
        """From the cache only; call :meth:`prefetch` first."""
        entry = self._admins.get(chat_id)
        return entry is not None and user_id in entry[1]

    async def prefetch(self, chat_ids: Iterable[int]) -> None:
        """Make sure the admin lists of these groups are fresh, fetching the stale ones concurrently."""
        now = self._clock()
        stale = {c for c in chat_ids if c not in self._admins or self._admins[c][0] <= now}
        if stale:
            await asyncio.gather(*(self._load(chat_id) for chat_id in stale))

    async def _load(self, chat_id: int) -> None:
        running = self._loading.get(chat_id)
        if running is not None:  # one request per group, however many messages wait for it
            await asyncio.shield(running)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._loading[chat_id] = done
        try:
            admins = await self._fetch(chat_id)
            self._admins[chat_id] = (self._clock() + self.ttl, admins)
        except Exception as error:
            log.warning("telegram: could not read the admins of chat %s (%s); asking again later", chat_id, error)
            previous = self._admins.get(chat_id, (0.0, set()))[1]  # a stale list beats none
            self._admins[chat_id] = (self._clock() + min(self.ttl, RETRY_FAILED_AFTER), previous)
        finally:
            del self._loading[chat_id]
            done.set_result(None)

    def member_changed(self, chat_id: int, user_id: int, status: str) -> None:
        """A ``chat_member`` update: patch the cached list, if there is one."""
        entry = self._admins.get(chat_id)
        if entry is None:
            return
        if status in ADMIN_STATUSES:
            entry[1].add(user_id)
        else:
            entry[1].discard(user_id)

    def forget(self, chat_id: int) -> None:
        """A ``my_chat_member`` update (or a migrated group): fetch this group's admins again."""
        self._admins.pop(chat_id, None)
