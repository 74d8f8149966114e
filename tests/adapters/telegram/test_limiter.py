"""The flood-control pieces on their own, with fake API calls: order, isolation, retries, back-pressure."""

from __future__ import annotations

import asyncio
import random
import warnings
from datetime import timedelta

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from adapters.telegram.limiter import Call, FloodControl, SlidingWindow
from adapters.telegram.resilience import backoff_delay, call_with_retries, is_transient, retry_after_seconds
from adapters.telegram.settings import TelegramLimits

FAST = TelegramLimits(global_messages=100, global_window=0.05, group_messages=100, group_window=0.05,
                      chat_interval=0.0)


def now() -> float:
    return asyncio.get_running_loop().time()


async def test_sliding_window_counts_a_slot_until_window_after_the_answer() -> None:
    window = SlidingWindow(limit=3, window=0.1)
    starts: list[float] = []
    answers: list[float] = []

    async def request() -> None:
        await window.acquire()
        starts.append(now())
        await asyncio.sleep(0.01)  # latency: the slot is held for it too
        answers.append(now())
        window.release()

    await asyncio.gather(*(request() for _ in range(9)))
    for i in range(len(starts) - 3):
        assert starts[i + 3] >= answers[i] + 0.1 - 1e-6


async def test_sliding_window_serves_waiters_in_order_and_survives_cancellation() -> None:
    window = SlidingWindow(limit=1, window=0.02)
    await window.acquire()
    order: list[int] = []

    async def wait(n: int) -> None:
        await window.acquire()
        order.append(n)
        window.release()

    waiters = [asyncio.create_task(wait(n)) for n in range(4)]
    await asyncio.sleep(0)
    waiters[1].cancel()
    window.release()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert order == [0, 2, 3]
    assert window.occupied() <= 1


async def test_one_queue_per_chat_keeps_order() -> None:
    flood = FloodControl(FAST)
    done: list[tuple[int, int]] = []

    def call(chat: int, n: int) -> Call:
        async def run() -> int:
            await asyncio.sleep(random.random() / 200)
            done.append((chat, n))
            return n

        return run

    futures = [flood.submit(chat, call(chat, n), group=chat < 0) for n in range(20) for chat in (-1, 2, 3)]
    assert [await f for f in futures] == [n for n in range(20) for _ in (-1, 2, 3)]
    for chat in (-1, 2, 3):
        assert [n for c, n in done if c == chat] == list(range(20))
    await flood.close()


async def test_retry_after_pauses_only_its_chat() -> None:
    flood = FloodControl(FAST)
    times: dict[int, list[float]] = {1: [], 2: []}
    refused = False

    def call(chat: int) -> Call:
        async def run() -> None:
            nonlocal refused
            if chat == 1 and not refused:
                refused = True
                times[chat].append(-now())
                raise RetryAfter(timedelta(seconds=0.3))
            times[chat].append(now())

        return run

    first = [flood.submit(1, call(1), group=False) for _ in range(2)]
    second = [flood.submit(2, call(2), group=False) for _ in range(5)]
    await asyncio.gather(*first, *second)
    refused_at = -times[1][0]
    assert times[1][1] - refused_at >= 0.3 - 1e-6
    assert all(t < refused_at + 0.3 for t in times[2]), "chat 2 did not wait for chat 1's pause"
    await flood.close()


async def test_network_errors_are_retried_with_backoff_and_then_given_up() -> None:
    flood = FloodControl(FAST, attempts=3, retry_base=0.01, retry_cap=0.02)
    tries = {"flaky": 0, "down": 0, "bad": 0}

    async def flaky() -> str:
        tries["flaky"] += 1
        if tries["flaky"] < 3:
            raise TimedOut()
        return "ok"

    async def down() -> str:
        tries["down"] += 1
        raise NetworkError("Bad Gateway")

    async def bad() -> str:
        tries["bad"] += 1
        raise BadRequest("message text is empty")

    assert await flood.submit(5, flaky, group=False) == "ok"
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await flood.submit(5, down, group=False)
    with pytest.raises(BadRequest):
        await flood.submit(5, bad, group=False)
    assert tries == {"flaky": 3, "down": 3, "bad": 1}
    await flood.close()


async def test_back_pressure_and_close() -> None:
    flood = FloodControl(FAST, max_queued=2)
    gate = asyncio.Event()

    async def blocked() -> None:
        await gate.wait()

    futures = [flood.submit(7, blocked, group=False), flood.submit(7, blocked, group=False)]
    room = asyncio.create_task(flood.wait_for_room())
    await asyncio.sleep(0.01)
    assert not room.done() and flood.queued == 2
    gate.set()
    await room
    await asyncio.gather(*futures)
    await flood.drain()
    stuck = flood.submit(8, asyncio.Event().wait, group=False)
    await flood.close()
    assert stuck.cancelled() and flood.queued == 0 and flood.closed
    with pytest.raises(RuntimeError):
        flood.submit(8, blocked, group=False)


async def test_idle_chats_are_forgotten_once_their_windows_pass() -> None:
    flood = FloodControl(TelegramLimits(global_messages=5, global_window=0.02, group_messages=5,
                                        group_window=0.02, chat_interval=0.01))

    async def ok() -> None:
        return None

    await asyncio.gather(*(flood.submit(-chat, ok, group=True) for chat in range(1, 50)))
    await asyncio.sleep(0.1)
    assert flood._lanes == {}
    await flood.close()


def test_backoff_is_exponential_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, 1.0, 30.0, rng) for n in range(8)]
    for n, delay in enumerate(delays):
        nominal = min(30.0, 2.0**n)
        assert nominal / 2 <= delay <= nominal
    assert len({round(d, 6) for d in delays}) == len(delays)


def test_retry_after_seconds_whatever_ptb_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    assert retry_after_seconds(RetryAfter(timedelta(seconds=1.5))) == 1.5
    monkeypatch.delenv("PTB_TIMEDELTA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's constructor itself warns without PTB_TIMEDELTA
        limited = RetryAfter(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert retry_after_seconds(limited) == 7.0  # an int now, and reading it warns nobody
    assert is_transient(TimedOut()) and is_transient(NetworkError("x"))
    assert not is_transient(BadRequest("x")) and not is_transient(ValueError())


async def test_call_with_retries_gives_up_after_the_attempts() -> None:
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise NetworkError("down")

    with pytest.raises(NetworkError):
        await call_with_retries(failing, what="test", attempts=3, base=0.001, cap=0.002)
    assert calls == 3
