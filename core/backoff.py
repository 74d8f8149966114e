"""How long to wait before trying again: capped exponential back-off with jitter, for every retry loop."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """The wait before retry number ``attempt + 1``: ``base * 2**attempt``, capped, with jitter.

    "Equal jitter": half of the nominal delay is fixed and half is random, so a crowd of requests that
    failed together (an outage) does not come back in lockstep, yet none retries too early.
    """
    nominal = min(cap, base * (2 ** min(attempt, 30)))
    return nominal / 2 + (rng or random).uniform(0, nominal / 2)
