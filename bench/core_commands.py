"""Core throughput: a trivial command, and a command that writes one ledger entry, through the whole path.

fake adapter → bus → router → handler → reply, on SQLite and PostgreSQL. Run: python -m bench.core_commands
"""

from __future__ import annotations

import argparse

from bench.harness_timing import database_urls, measure, run
from core.testing import Harness

COMMUNITIES = 8


async def main(args: argparse.Namespace) -> None:
    for dialect, url in database_urls(args):
        async with Harness.create(url) as h:
            for room in range(COMMUNITIES):
                await h.send("王书记", f"/setup 社区{room}", room=f"room{room}")
            for i in range(args.n):  # people must be known in their community before they can be thanked
                await h.app.receive(h.event(f"居民{i}", "/whoami", room=f"room{i % COMMUNITIES}"))
            await h.app.bus.join()

            def thanks(i: int) -> tuple[str, str]:
                return f"居民{i}", f"/thanks @居民{(i + COMMUNITIES) % args.n}"

            for label, line in (("/help (read-only)", lambda i: (f"居民{i}", "/help")),
                                ("/thanks (one ledger entry)", thanks)):
                one = await measure(h, f"{dialect}: {label}, one at a time", min(args.n, 300), line, burst=False)
                print(one.line())
                burst = await measure(h, f"{dialect}: {label}, burst, 1 community", args.n, line)
                print(burst.line())
                spread = await measure(h, f"{dialect}: {label}, burst, {COMMUNITIES} communities", args.n, line,
                                       rooms=COMMUNITIES)
                print(spread.line())


if __name__ == "__main__":
    run(main, __doc__ or "")
