"""The last rankings computed, per community, kept until that community's points change.

Why: rankings are read in bursts — an organizer posts the month's results and half the group types
``/top`` — and each one sums a month of ledger entries (≈ 20 ms at a million rows). On SQLite every event
holds the one writer while it runs, so twenty of them made every other community wait ≈ 400 ms. With the
memo, the burst computes each ranking once.

Exactness in this process: every booking (:func:`core.points.award`) and every rewrite of entries (a
merge of two people) forgets the community now and again after its commit, and a ranking read before
that is not kept (the version check, as in the identity cache). Another process's bookings are not
heard here (PostgreSQL with several workers), so an entry also expires after :data:`TTL_S`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

#: How long a ranking may be served without hearing of a change (bookings by another process).
TTL_S = 10.0
SIZE = 1_000


class RankingsMemo:
    def __init__(self, size: int = SIZE, ttl_s: float = TTL_S) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._rows: OrderedDict[tuple[Any, ...], tuple[float, list[tuple[int, int]]]] = OrderedDict()
        self._keys: dict[int, set[tuple[Any, ...]]] = {}  # by community, so a booking forgets without a scan
        self._versions: dict[int, int] = {}
        self._epoch = 0
        self.hits = 0
        self.misses = 0

    def version(self, community_id: int) -> tuple[int, int]:
        return self._epoch, self._versions.get(community_id, 0)

    def get(self, key: tuple[Any, ...]) -> list[tuple[int, int]] | None:
        found = self._rows.get(key) if self.size else None  # size 0: off (a benchmark's comparison)
        if found is not None and found[0] < time.monotonic():
            self._drop(key)
            found = None
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._rows.move_to_end(key)
        return list(found[1])

    def put(self, key: tuple[Any, ...], ranking: list[tuple[int, int]], seen: tuple[int, int]) -> None:
        """Keep ``ranking`` (``key[0]`` is its community) unless its points changed since ``seen``."""
        if self.version(key[0]) != seen or not self.size:
            return
        self._rows[key] = (time.monotonic() + self.ttl_s, list(ranking))
        self._rows.move_to_end(key)
        self._keys.setdefault(key[0], set()).add(key)
        while len(self._rows) > self.size:
            self._drop(next(iter(self._rows)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        del self._rows[key]
        keys = self._keys.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys[key[0]]

    def forget(self, community_id: int | None = None) -> None:
        """Points changed in ``community_id`` (None: anywhere, or unknown where)."""
        if community_id is None:
            self.clear()
            return
        self._versions[community_id] = self._versions.get(community_id, 0) + 1
        for key in self._keys.pop(community_id, set()):
            self._rows.pop(key, None)

    def clear(self) -> None:
        self._rows.clear()
        self._keys.clear()
        self._versions.clear()
        self._epoch += 1


#: The process's memo, beside the identity cache; the application clears both when it re-reads state.
rankings_memo = RankingsMemo()
