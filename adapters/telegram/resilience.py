"""Which Telegram failures are worth retrying, and how long to wait before the next try.

PTB turns every HTTP answer into an exception class; the order matters because ``BadRequest`` and
``TimedOut`` both subclass ``NetworkError``. A ``400 Bad Request`` will fail the same way again, so it is
final; a dropped connection, a timeout or a ``5xx`` is a glitch of the network or of Telegram and is
retried with exponential back-off. ``429`` carries Telegram's own ``retry_after``, which is obeyed
exactly rather than guessed.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter

from core.backoff import backoff_delay

log = logging.getLogger("adapters.telegram")
T = TypeVar("T")
__all__ = ["answer_lost", "backoff_delay", "call_with_retries", "is_transient", "retry_after_seconds"]


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds, whichever representation PTB was configured for.

    PTB >= 22.2 returns an ``int`` (with a deprecation warning) unless ``PTB_TIMEDELTA`` is set, then a
    ``timedelta``; both are accepted here and the warning, which an operator cannot act on, is muted.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


#: httpx failures after the whole request may have reached Telegram: only its answer is known to be lost.
#: (A write timeout or error means the request never fully left, so Telegram cannot have acted on it.)
_ANSWER_LOST = {"ReadTimeout", "ReadError", "RemoteProtocolError"}


def answer_lost(error: BaseException) -> bool:
    """Whether the request may have been handled although no answer came (so it may show twice if sent
    again), as opposed to a connection that was never made or an answer that said it failed."""
    cause = error.__cause__
    return cause is not None and type(cause).__name__ in _ANSWER_LOST


def is_transient(error: BaseException) -> bool:
    """A failure that another try may not meet: connection problems, timeouts, Telegram's 5xx."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int,
    base: float,
    cap: float,
) -> T:
    """Run one API call that is not a chat message (getMe, getFile, setMyCommands, ...) with retries.

    Messages go through :class:`adapters.telegram.limiter.FloodControl` instead, which also keeps
    them in order and within Telegram's flood limits.
    """
    for attempt in range(attempts):
        try:
            return await call()
        except RetryAfter as error:
            if attempt + 1 >= attempts:
                raise
            delay = retry_after_seconds(error)
        except Exception as error:
            if not is_transient(error) or attempt + 1 >= attempts:
                raise
            delay = backoff_delay(attempt, base, cap)
        log.info("telegram: %s failed, trying again in %.1f s", what, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: attempts must be at least 1")
