"""Claims throughput: /认领 by distinct people through the whole path, on SQLite and PostgreSQL.

fake adapter → bus → router → claims handler (project row lock, conditional UPDATE, claim or waitlist
row) → reply. Latency is per command, from handing the event in to its reply reaching the adapter.
Scenarios: one claim at a time on an idle system; a burst of N claims on one project with 50 places
(the rest join the waitlist) in one community; the same burst spread over 8 communities.

Run: python -m bench.claims_throughput [-n 1000] [--postgres postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import re
import socket
from urllib.parse import urlsplit

from bench.harness_timing import database_urls, measure, run
from core.testing import Harness
from plugins.claims.models import Claim

COMMUNITIES = 8
PLACES = 50
ONE_AT_A_TIME = 300


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


async def publish(h: Harness, room: str, line: str) -> int:
    replies = await h.send("王书记", line, room=room)
    match = re.search(r"#(\d+)", replies[-1])
    assert match, replies
    return int(match.group(1))


async def scenarios(h: Harness, dialect: str, n: int) -> None:
    rooms = [f"room{k}" for k in range(COMMUNITIES)]
    for k, room in enumerate(rooms):
        await h.send("王书记", f"/setup 社区{k}", room=room)
    # people are known in their community first, so the figures are about claiming, not sign-up
    for i in range(n):
        await h.app.receive(h.event(f"甲{i}", "/whoami", room="room0"))
        await h.app.receive(h.event(f"乙{i}", "/whoami", room=rooms[i % COMMUNITIES]))
    await h.app.bus.join()

    roomy = await publish(h, "room0", f"/发布项目 大项目 {n} 无")
    one = await measure(h, f"{dialect}: /认领 one at a time", min(n, ONE_AT_A_TIME),
                        lambda i: (f"甲{i}", f"/认领 {roomy}"), burst=False)
    print(one.line())

    crowded = await publish(h, "room0", f"/发布项目 整治共享单车 {PLACES} 无")
    burst = await measure(h, f"{dialect}: /认领 burst, {PLACES} places, 1 community", n,
                          lambda i: (f"甲{i}", f"/认领 {crowded}"))
    print(burst.line())

    spread_ids = [await publish(h, room, f"/发布项目 菜园 {PLACES} 无") for room in rooms]
    spread = await measure(h, f"{dialect}: /认领 burst, {PLACES} places each, {COMMUNITIES} communities", n,
                           lambda i: (f"乙{i}", f"/认领 {spread_ids[i % COMMUNITIES]}"), rooms=COMMUNITIES)
    print(spread.line())

    held = [await Claim.filter(project_id=p, holding__isnull=False).count() for p in (crowded, *spread_ids)]
    assert held == [min(PLACES, n), *(min(PLACES, len(range(k, n, COMMUNITIES))) for k in range(COMMUNITIES))], held


async def main(args: argparse.Namespace) -> None:
    settings = {"plugin": {"claims": {"max_places": max(args.n, PLACES)}}}
    for dialect, url in database_urls(args):
        if dialect == "postgres" and not reachable(url):
            print(f"{dialect}: not reachable at {url}, skipped")
            continue
        async with Harness.create(url, settings=settings) as h:
            await scenarios(h, dialect, args.n)


if __name__ == "__main__":
    run(main, __doc__ or "")
