"""Core throughput: a trivial command, and a command that writes one ledger entry, through the whole path.

fake adapter → bus → router → handler → reply, on SQLite and PostgreSQL. Run: python -m bench.core_commands
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

from bench.harness_timing import Figures, database_urls, measure, run
from core.points import PointsEntry
from core.testing import Harness

COMMUNITIES = 8


async def main(args: argparse.Namespace) -> None:
    for dialect, url in database_urls(args):
        async with Harness.create(url) as h:
            for room in range(COMMUNITIES):
                await h.send("王书记", f"/setup 社区{room}", room=f"room{room}")
            # people must be known in a community before they can be thanked there: everyone in room0 (the
            # one-community runs), and each in the room of their own community (the spread runs)
            for i in range(args.n):
                await h.app.receive(h.event(f"居民{i}", "/whoami", room="room0"))
                await h.app.receive(h.event(f"居民{i}", "/whoami", room=f"room{i % COMMUNITIES}"))
            await h.app.bus.join()

            def thanks(i: int) -> tuple[str, str]:
                return f"居民{i}", f"/thanks @居民{(i + COMMUNITIES) % args.n}"

            for label, line, writes in (("/help (read-only)", lambda i: (f"居民{i}", "/help"), False),
                                        ("/thanks (one ledger entry)", thanks, True)):
                for name, count, rooms, burst in (("one at a time", min(args.n, 300), 1, False),
                                                  ("burst, 1 community", args.n, 1, True),
                                                  (f"burst, {COMMUNITIES} communities", args.n, COMMUNITIES, True)):
                    # a new day for each run: a second thanks on the same day earns (and writes) nothing
                    h.clock.advance(timedelta(days=1))
                    figures = await checked(h, f"{dialect}: {label}, {name}", count, line, rooms, burst, writes)
                    print(figures.line())


async def checked(h: Harness, label: str, count: int, line: Callable[[int], tuple[str, str]], rooms: int,
                  burst: bool, writes: bool) -> Figures:
    """Measure, and make sure the commands did what the label says (not, say, a refusal each)."""
    before = await PointsEntry.all().count()
    figures = await measure(h, label, count, line, rooms=rooms, burst=burst)
    written = await PointsEntry.all().count() - before
    assert figures.count == count, f"{label}: {figures.count} of {count} commands were answered"
    assert written == (count if writes else 0), f"{label}: {written} ledger entries for {count} commands"
    return figures


if __name__ == "__main__":
    run(main, __doc__ or "")
