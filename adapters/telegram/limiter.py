"""Flood control for what the bot sends: Telegram's limits, per chat, without one chat stalling the others.

Telegram allows a bot about 30 messages per second overall, 20 per minute into one group and about one
per second into one chat; beyond that it answers ``429 Too Many Requests`` with ``retry_after``, and a
bot that keeps pushing gets longer and longer bans. So every message goes through :class:`FloodControl`:

* one FIFO queue and one worker per chat, so messages to a chat leave in the order they were queued and
  a chat waiting out its ``retry_after`` (or a back-off after a network error) holds up only itself;
* before each request the worker waits for the chat's interval, then a slot of the group's window
  (groups only), then a slot of the global window;
* a slot is held from the moment the request starts until ``window`` seconds after its answer came
  back. That is conservative on purpose: Telegram counts a message when it handles it, which is
  somewhere between our start and our answer, so releasing from the answer guarantees that *any*
  ``window``-long stretch of Telegram's clock sees at most ``limit`` messages, whatever the latency.

Why not PTB's ``AIORateLimiter``: it does not enforce the per-chat limit for private chats, and on a
``429`` it pauses *every* request of the bot for ``retry_after``, which is exactly the "one busy group
silences every other community" behaviour this module exists to avoid.

The windows run on the event loop's monotonic clock; tests shrink them through settings, never by
patching this code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter

from adapters.telegram.resilience import backoff_delay, is_transient, retry_after_seconds
from adapters.telegram.settings import TelegramLimits

log = logging.getLogger("adapters.telegram")
Call = Callable[[], Awaitable[Any]]


class SlidingWindow:
    """At most ``limit`` requests per ``window`` seconds, counted from start to answer + ``window``.

    Waiters are served first come, first served, so a chat that has waited longest sends next.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._in_flight = 0
        self._expiries: deque[float] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def occupied(self, now: float | None = None) -> int:
        now = self._now() if now is None else now
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()
        return self._in_flight + len(self._expiries)

    @property
    def free_at(self) -> float:
        """When this window will hold nothing (if nothing more is sent); used to forget idle chats."""
        return self._expiries[-1] if self._expiries else 0.0

    async def acquire(self) -> None:
        if not self._waiters and self.occupied() < self.limit:
            self._in_flight += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._in_flight -= 1  # the slot was granted as we were cancelled: give it back
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            self._wake()
            raise

    def release(self) -> None:
        """The request was answered (or failed): its slot frees up ``window`` seconds from now."""
        self._in_flight -= 1
        self._expiries.append(self._now() + self.window)
        self._wake()

    def abandon(self) -> None:
        """The slot was acquired but no request was made: free it at once."""
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        now = self._now()
        while self._waiters and self.occupied(now) < self.limit:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._in_flight += 1
            waiter.set_result(None)
        if self._waiters and self._expiries and self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(self._expiries[0], self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()


@dataclass
class _Job:
    call: Call
    future: asyncio.Future[Any]
    failures: int = 0
    limited: int = 0


@dataclass
class _Lane:
    """One chat's queue and its own limits."""

    chat_id: int
    group: SlidingWindow | None
    queue: deque[_Job] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    not_before: float = 0.0
    paused_until: float = 0.0


class FloodControl:
    """Queues API calls per chat and runs them within Telegram's limits, retrying what can be retried.

    :meth:`submit` returns a future for the call's result: a failure that is final (``400``, ``403``,
    or a glitch that outlasted ``attempts`` tries) is set on the future for the caller to act on.
    """

    def __init__(
        self,
        limits: TelegramLimits,
        *,
        attempts: int = 6,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        max_queued: int = 10_000,
        rng: random.Random | None = None,
    ) -> None:
        self.limits = limits
        self.attempts = attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_queued = max_queued
        self._rng = rng or random.Random()
        self._global = SlidingWindow(limits.global_messages, limits.global_window)
        self._lanes: dict[int, _Lane] = {}
        self._queued = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()
        self._closed = False

    # -- queueing ----------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queued(self) -> int:
        """Calls accepted and not finished yet."""
        return self._queued

    def submit(self, chat_id: int, call: Call, *, group: bool) -> asyncio.Future[Any]:
        """Queue ``call`` behind earlier calls to ``chat_id``; ``group`` applies the per-group window."""
        if self._closed:
            raise RuntimeError("the Telegram sender is closed")
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(chat_id)
        if lane is None:
            window = SlidingWindow(self.limits.group_messages, self.limits.group_window) if group else None
            lane = self._lanes[chat_id] = _Lane(chat_id, window)
        job = _Job(call, loop.create_future())
        lane.queue.append(job)
        self._queued += 1
        self._idle.clear()
        if self._queued >= self.max_queued:
            self._room.clear()
        if lane.worker is None:
            lane.worker = asyncio.create_task(self._work(lane), name=f"telegram-send:{chat_id}")
        return job.future

    async def wait_for_room(self) -> None:
        """Back-pressure: wait while ``max_queued`` calls are already waiting."""
        await self._room.wait()

    async def drain(self) -> None:
        """Wait until every queued call has finished."""
        await self._idle.wait()

    def paused_until(self, chat_id: int) -> float:
        """Loop time until which a chat waits out Telegram's ``retry_after`` (0 when it does not)."""
        lane = self._lanes.get(chat_id)
        return lane.paused_until if lane else 0.0

    async def close(self) -> None:
        """Stop every worker; calls still queued are cancelled."""
        self._closed = True
        workers = [lane.worker for lane in self._lanes.values() if lane.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for lane in self._lanes.values():
            for job in lane.queue:
                job.future.cancel()
            self._finished(len(lane.queue))
            lane.queue.clear()

    # -- working -----------------------------------------------------------------------------------
    async def _work(self, lane: _Lane) -> None:
        loop = asyncio.get_running_loop()
        try:
            while lane.queue:
                job = lane.queue[0]
                delay = lane.not_before - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if job.future.cancelled():
                    self._done(lane)
                    continue
                await self._attempt(lane, job)
        finally:
            lane.worker = None
            self._forget_later(lane)

    async def _attempt(self, lane: _Lane, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        if lane.group is not None:
            await lane.group.acquire()
        try:
            await self._global.acquire()
        except BaseException:
            if lane.group is not None:
                lane.group.abandon()
            raise
        retry_at: float | None = None
        try:
            result = await job.call()
        except RetryAfter as error:
            job.limited += 1
            wait = retry_after_seconds(error)
            lane.paused_until = loop.time() + wait
            log.warning("telegram: flood control for chat %s, waiting %.1f s as Telegram asks", lane.chat_id, wait)
            if job.limited >= self.attempts:
                self._fail(lane, job, error)
            else:
                retry_at = lane.paused_until
        except Exception as error:
            job.failures += 1
            if is_transient(error) and job.failures < self.attempts:
                wait = backoff_delay(job.failures - 1, self.retry_base, self.retry_cap, self._rng)
                log.warning("telegram: sending to chat %s failed (%s), retry %d in %.1f s",
                            lane.chat_id, error, job.failures, wait)
                retry_at = loop.time() + wait
            else:
                self._fail(lane, job, error)
        else:
            if not job.future.done():
                job.future.set_result(result)
            self._done(lane)
        finally:
            self._global.release()
            if lane.group is not None:
                lane.group.release()
            lane.not_before = max(lane.not_before, loop.time() + self.limits.chat_interval)
        if retry_at is not None:
            lane.not_before = max(lane.not_before, retry_at)

    def _fail(self, lane: _Lane, job: _Job, error: BaseException) -> None:
        if not job.future.done():
            job.future.set_exception(error)
        self._done(lane)

    def _done(self, lane: _Lane) -> None:
        lane.queue.popleft()
        self._finished(1)

    def _finished(self, count: int) -> None:
        self._queued -= count
        if self._queued < self.max_queued:
            self._room.set()
        if self._queued == 0:
            self._idle.set()

    def _forget_later(self, lane: _Lane) -> None:
        """Drop an idle chat's state once its limits no longer matter, so memory stays bounded."""
        if self._closed or lane.queue:
            return
        loop = asyncio.get_running_loop()
        at = max(lane.not_before, lane.paused_until, lane.group.free_at if lane.group else 0.0)
        if at > loop.time():
            loop.call_at(at, self._forget_later, lane)
        elif self._lanes.get(lane.chat_id) is lane and lane.worker is None:
            del self._lanes[lane.chat_id]
