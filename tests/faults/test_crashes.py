"""Crashes and stops mid-burst: every command is answered after a restart, with few duplicates.

The process is the real ``linli run --adapter telegram``; the kill is SIGKILL (nothing flushed, the
updates fetched last not yet confirmed), the stop is SIGTERM (a graceful stop bounded by
``[delivery] drain_seconds``). The flood limits are scaled down but still make replies queue up behind
a burst, as Telegram's 20 messages a minute per group do, so a crash always finds replies whose commands
are committed but which have not left yet: they must be in the outbox, not only in memory.

Every command counts, not only the ones the emulator saw confirmed: an unconfirmed update is fetched
again after the restart, so it too must be answered in the end. Duplicates are bounded: the reply in
flight at the moment of a crash may go twice (the answer to it was lost with the process), nothing else.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.conftest import Town
from tests.faults.installation import LONG, Database, installation
from tests.faults.linli_process import Limits
from tests.faults.replies import Ledger
from tests.support.telegram_emulator import BotApiEmulator

pytestmark = pytest.mark.faults

#: The short set runs on PostgreSQL only (as CI does); the long set on SQLite too.
KILLS = 50 if LONG else 10
BURST = 12
#: About 8 replies a second into one group: a burst of 12 takes 1.5 s to answer, so a kill lands mid-burst.
BURST_LIMITS = Limits(group_messages=8, group_window=1.0, chat_interval=0.02)
#: 2 replies a second: a 30-command burst needs 15 s, well beyond the 2 s drain of a graceful stop (and
#: beyond the fixed 10 s grace of the adapter before the outbox).
SLOW_LIMITS = Limits(group_messages=2, group_window=1.0, chat_interval=0.02)
DRAIN_SECONDS = 2.0
SIGTERM_BURST = 30


@pytest.mark.parametrize("database", ["postgres", "sqlite"] if LONG else ["postgres"])
async def test_kill_9_mid_burst_then_restart_answers_every_command(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path, database: Database
) -> None:
    rng = random.Random(20261201)
    async with installation(emu, tmp_path, database, limits=BURST_LIMITS) as site:
        linli = site.linli
        for crash in range(1, KILLS + 1):
            await linli.start()
            burst = ledger.burst(town.a, town.residents_a, "/whoami", BURST)
            # Kill once part of this burst is answered: the rest is committed, queued or not yet fetched.
            answered = rng.randint(1, BURST - 1)
            if not await linli.settle(ledger.at_least(answered, burst), what=f"{answered} answers"):
                pytest.fail(f"before crash {crash}, the bot stopped answering: {ledger.report()}; see {tmp_path}")
            await linli.kill()
        await linli.start()
        await linli.settle(ledger.all_answered(), what="every command to be answered")
        await linli.terminate()

    assert ledger.unanswered() == [], f"after {KILLS} kill -9: {ledger.report()}; logs in {tmp_path}"
    assert ledger.duplicates() <= KILLS, f"more than one duplicate per crash: {ledger.report()}"
    assert all(code == 0 for code in linli.terminations), linli.terminations


@pytest.mark.parametrize("database", ["postgres", "sqlite"])
async def test_sigterm_mid_burst_drains_briefly_and_the_rest_is_sent_after_restart(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path, database: Database
) -> None:
    async with installation(emu, tmp_path, database, limits=SLOW_LIMITS, drain_seconds=DRAIN_SECONDS) as site:
        linli = site.linli
        await linli.start()
        burst = ledger.burst(town.a, town.residents_a, "/whoami", SIGTERM_BURST)
        await linli.wait_for(ledger.at_least(4, burst), timeout=60, what="the first answers")
        stopping = await linli.terminate()
        answered_before_restart = ledger.answered(burst)
        await linli.start()
        await linli.settle(ledger.all_answered(burst), what="every command to be answered")
        await linli.terminate()

    assert answered_before_restart < len(burst), "the stop came after the burst was answered: not mid-burst"
    assert ledger.unanswered(burst) == [], f"after SIGTERM: {ledger.report(burst)}; logs in {tmp_path}"
    assert ledger.duplicates(burst) <= 1, ledger.report(burst)
    assert stopping < DRAIN_SECONDS + 6, f"a graceful stop took {stopping:.1f} s (drain_seconds = {DRAIN_SECONDS})"
    assert linli.terminations == [0, 0], f"SIGTERM ended linli with {linli.terminations}; see {tmp_path}"
