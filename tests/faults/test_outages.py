"""Bot API outages several times longer than the old budget of six attempts: 0 replies lost, no storm.

While ``sendMessage`` answers 500, drops the connection, or answers 429 with ``retry_after``, residents
of two groups keep sending commands. Before the outbox, a reply was given up after six attempts (with
``retry_base = 0.2`` and ``retry_cap = 1`` below: about 2-3 s for errors, 6 s for 429 with
``retry_after = 1``); the outage here lasts 12 s for errors and 18 s for 429 (60 s in the long set).
Afterwards every command must be answered exactly once (a failed call did not take effect, so a retry
cannot duplicate it), and while the outage lasts the bot must knock politely: a few requests per second
in all, counted by the emulator.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

import pytest

from tests.faults.conftest import Town
from tests.faults.installation import LONG, installation
from tests.faults.replies import Ledger, busiest_second, calls_between
from tests.support.telegram_emulator import BotApiEmulator, Fault

pytestmark = pytest.mark.faults

#: Several times the old budget of six attempts: ~3 s for errors, ~6 s for 429 with retry_after = 1.
OUTAGE_SECONDS: dict[str, float] = {"500": 12.0, "dropped": 12.0, "429": 18.0}
if LONG:
    OUTAGE_SECONDS = dict.fromkeys(OUTAGE_SECONDS, 60.0)
#: "A few requests per second": on average while the outage lasts, and in its busiest second once the
#: first retries (0.1 s, 0.2 s, 0.4 s... after the first failures) are over.
MAX_AVERAGE_RATE = 5.0
MAX_IN_ONE_SECOND = 8
RAMP_SECONDS = 2.0

Kind = Literal["500", "dropped", "429"]


def outage(emu: BotApiEmulator, kind: Kind) -> Fault:
    """Every ``sendMessage`` fails this way until the fault's ``remaining`` is set to 0."""
    forever = 10**9
    if kind == "500":
        return emu.fail_next("sendMessage", status=500, times=forever)
    if kind == "dropped":
        return emu.drop_next("sendMessage", times=forever)
    return emu.fail_next("sendMessage", status=429, retry_after=1, times=forever)


@pytest.mark.parametrize("kind", ["500", "dropped", "429"])
async def test_an_outage_of_sending_loses_no_reply_and_causes_no_storm(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path, kind: Kind
) -> None:
    async with installation(emu, tmp_path, "sqlite") as site:
        linli = site.linli
        await linli.start()
        warm = ledger.say(town.a, town.wang, "/whoami")
        await linli.wait_for(ledger.all_answered([warm]), timeout=30, what="the first answer")

        fault = outage(emu, kind)
        began = time.monotonic()
        during = ledger.burst(town.a, town.residents_a, "/whoami", 20) + ledger.burst(
            town.b, town.residents_b, "/whoami", 10)
        await asyncio.sleep(OUTAGE_SECONDS[kind])
        assert linli.alive, f"linli died during the outage; log:\n{linli.log_text()[-3000:]}"
        fault.remaining = 0
        ended = time.monotonic()
        await linli.settle(ledger.all_answered(during), what="every command to be answered after the outage")
        await linli.terminate()

    during_outage = [c for c in emu.calls if began <= c.time < ended]
    sends = calls_between(emu, "sendMessage", began, ended)
    assert sends, "the outage was never met: nothing was sent while it lasted"
    lasted = f"a {OUTAGE_SECONDS[kind]:.0f} s {kind} outage"
    assert ledger.unanswered(during) == [], f"after {lasted}: {ledger.report(during)}"
    assert ledger.duplicates(during) == 0, ledger.report(during)
    rate = len(during_outage) / (ended - began)
    assert rate <= MAX_AVERAGE_RATE, f"{len(during_outage)} requests in {ended - began:.0f} s of outage ({rate:.1f}/s)"
    steady = [c for c in during_outage if c.time >= began + RAMP_SECONDS]
    assert busiest_second(steady) <= MAX_IN_ONE_SECOND, f"{busiest_second(steady)} requests in one second"
