"""Who administers which group, as Telegram says: the chat's creator and administrators.

The core lets a chat admin run ``/setup`` (and may map chat admins to organizers), so every group
message carries ``is_chat_admin``. Asking Telegram for every message would be slow and would hit its
limits, so each group's admin list is cached for ``admin_cache_seconds`` and corrected as soon as
Telegram reports a change: ``chat_member`` updates (someone promoted or demoted; Telegram sends them
only to bots that are admins) patch the list, ``my_chat_member`` updates (the bot itself added,
promoted, removed) drop it so it is fetched again.

A slow ``getChatAdministrators`` must not cost a button press its answer: Telegram takes the answer to
a press only for about 15 s, and the batch waits for the admin lists before it is handed over. So
:meth:`AdminCache.prefetch` waits at most :data:`ADMIN_WAIT` for a load (counted from when the load
started, so a batch never waits twice for the same one), the load goes on in the background and fills
the cache when it is done. Meanwhile what is known counts: the last list, however old, or, when there
is none, nobody is an admin *and* the sender is marked :meth:`unknown`, so the core asks a chat admin
to try again in a moment instead of refusing them (``IdentityRef.admin_unknown``). Nobody is ever
granted more than Telegram last said.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger("adapters.telegram")
ADMIN_STATUSES = frozenset({"creator", "administrator"})
#: After a failed lookup, how long to go without admin rights before asking Telegram again.
RETRY_FAILED_AFTER = 30.0
#: Seconds a batch of updates waits for a group's admin list before going on with what is known (well
#: within the ~15 s in which Telegram takes the answer to a button press).
ADMIN_WAIT = 3.0


class AdminCache:
    def __init__(
        self,
        fetch: Callable[[int], Awaitable[set[int]]],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        wait: float = ADMIN_WAIT,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self.wait = wait
        self._clock = clock
        self._admins: dict[int, tuple[float, set[int]]] = {}
        #: chat id → (the running load, until when a batch waits for it: loop time)
        self._loading: dict[int, tuple[asyncio.Task[None], float]] = {}

    def is_admin(self, chat_id: int, user_id: int) -> bool:
        """From the cache only; call :meth:`prefetch` first."""
        entry = self._admins.get(chat_id)
        return entry is not None and user_id in entry[1]

    def unknown(self, chat_id: int) -> bool:
        """Whether nothing at all is known yet of this group's admins (its first load is still running)."""
        return chat_id not in self._admins

    async def prefetch(self, chat_ids: Iterable[int]) -> None:
        """Make sure the admin lists of these groups are fresh, fetching the stale ones concurrently, but
        wait for a load at most :attr:`wait` seconds from its start; it goes on in the background."""
        now = self._clock()
        stale = {c for c in chat_ids if c not in self._admins or self._admins[c][0] <= now}
        if not stale:
            return
        loop = asyncio.get_running_loop()
        waits = [self._load(chat_id) for chat_id in stale]
        deadline = max(until for _task, until in waits)
        pending = [task for task, _until in waits if not task.done()]
        if pending and deadline > loop.time():
            await asyncio.wait(pending, timeout=deadline - loop.time())

    def _load(self, chat_id: int) -> tuple[asyncio.Task[None], float]:
        running = self._loading.get(chat_id)
        if running is not None:  # one request per group, however many messages wait for it
            return running
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._fill(chat_id), name=f"telegram-admins-{chat_id}")
        self._loading[chat_id] = (task, loop.time() + self.wait)
        task.add_done_callback(lambda _done: self._loading.pop(chat_id, None))
        return self._loading[chat_id]

    async def _fill(self, chat_id: int) -> None:
        try:
            admins = await self._fetch(chat_id)
            self._admins[chat_id] = (self._clock() + self.ttl, admins)
        except Exception as error:
            log.warning("telegram: could not read the admins of chat %s (%s); asking again later", chat_id, error)
            previous = self._admins.get(chat_id, (0.0, set()))[1]  # a stale list beats none
            self._admins[chat_id] = (self._clock() + min(self.ttl, RETRY_FAILED_AFTER), previous)

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

    async def close(self) -> None:
        """Stop the loads still running (the adapter stops)."""
        tasks = [task for task, _until in self._loading.values()]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
