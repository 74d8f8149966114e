"""The database goes away while residents keep writing: no command is lost, each is answered once.

PostgreSQL: linli reaches the shared server through a loopback proxy the test cuts (open connections
reset, new ones refused) for several times the old budget of six tries per update (about 3 s with
``retry_base = 0.2``, ``retry_cap = 1``), while the server itself stays up. SQLite: another process holds
the write lock (``BEGIN EXCLUSIVE``) as long; meanwhile ``/healthz`` must keep answering, since a health
check that hangs gets a healthy bot restarted.

Before the fix an update that failed six times was skipped for good and confirmed to Telegram (or got
the apology without being carried out). Now the adapter must pause and retry until the database is
back: afterwards every command has exactly one answer, and it is the real answer, not the apology.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from tests.faults.conftest import Town
from tests.faults.installation import LONG, Installation, installation
from tests.faults.linli_process import free_port
from tests.faults.replies import Command, Ledger
from tests.support.telegram_emulator import BotApiEmulator

pytestmark = pytest.mark.faults

OUTAGE_SECONDS = 60.0 if LONG else 15.0
COMMUNITY = "观梅社区"


async def set_up(site: Installation, town: Town, ledger: Ledger) -> None:
    await site.linli.start()
    setup = ledger.say(town.a, town.wang, f"/setup {COMMUNITY}")
    await site.linli.wait_for(ledger.all_answered([setup]), timeout=30, what="/setup to be answered")


def not_real_answers(ledger: Ledger, commands: list[Command]) -> list[str]:
    """Replies that are not ``/whoami`` in the community (an apology, an error), to show in a failure."""
    texts = [reply.plain_text or "" for c in commands for reply in ledger.replies_to(c)]
    return [text for text in texts if COMMUNITY not in text]


async def test_a_postgresql_outage_loses_no_command(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path
) -> None:
    async with installation(emu, tmp_path, "postgres", through_proxy=True) as site:
        assert site.proxy is not None
        await set_up(site, town, ledger)

        await site.proxy.cut()
        during = ledger.burst(town.a, town.residents_a, "/whoami", 10)
        await asyncio.sleep(OUTAGE_SECONDS)
        assert site.linli.alive, f"linli died during the outage; log:\n{site.linli.log_text()[-3000:]}"
        await site.proxy.restore()
        await site.linli.settle(ledger.all_answered(during), what="every command to be answered after the outage")
        await site.linli.terminate()

    assert ledger.unanswered(during) == [], f"after a {OUTAGE_SECONDS:.0f} s outage: {ledger.report(during)}"
    assert ledger.duplicates(during) == 0, ledger.report(during)
    assert not_real_answers(ledger, during) == []


async def test_a_held_sqlite_write_lock_loses_no_command_and_healthz_keeps_answering(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path
) -> None:
    port = free_port()
    async with installation(emu, tmp_path, "sqlite", web_port=port) as site:
        await set_up(site, town, ledger)
        assert await probe_healthz(port, 0.5) == [(0.0, 200)], "/healthz does not answer even without the lock"

        holder = sqlite3.connect(site.name, timeout=0, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            during = ledger.burst(town.a, town.residents_a, "/whoami", 10)
            probes = await probe_healthz(port, OUTAGE_SECONDS)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert site.linli.alive, f"linli died while the lock was held; log:\n{site.linli.log_text()[-3000:]}"
        await site.linli.settle(ledger.all_answered(during), what="every command to be answered after the lock")
        await site.linli.terminate()

    assert ledger.unanswered(during) == [], f"after a {OUTAGE_SECONDS:.0f} s lock: {ledger.report(during)}"
    assert ledger.duplicates(during) == 0, ledger.report(during)
    assert not_real_answers(ledger, during) == []
    slow = [p for p in probes if p[1] is None]
    assert not slow, f"/healthz did not answer within {HEALTHZ_TIMEOUT} s {len(slow)} of {len(probes)} times: {probes}"


HEALTHZ_TIMEOUT = 3.0


async def probe_healthz(port: int, seconds: float) -> list[tuple[float, int | None]]:
    """Ask ``/healthz`` about once a second for ``seconds``: (seconds into the lock, status or None if it hung)."""
    began = time.monotonic()
    results: list[tuple[float, int | None]] = []
    timeout = aiohttp.ClientTimeout(total=HEALTHZ_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while (at := time.monotonic() - began) < seconds:
            status: int | None
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    status = response.status
            except (TimeoutError, aiohttp.ClientError):
                status = None
            results.append((round(at, 1), status))
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began - at)))
    return results
