"""A flood in one community does not stall another: the durable inbox (issue 9), end to end.

The real ``linli run --adapter telegram`` against the Bot API emulator. 2,000 ``/whoami`` arrive in group A
(10,200 in the long set), then one ``/whoami`` in group B. Telegram confirms updates by offset, in order, so
a bot that confirms an update only after handling it cannot even fetch B's command before A's backlog is
worked off. With the inbox, fetched batches are stored and confirmed at once, and each community's events
are worked off from the table in its own lane: B is answered while A's backlog is still being answered.

The flood limits are set high (1000 replies a second): with Telegram's real limits A's replies would queue
in the outbox anyway and B would be answered early even by a bot that handles A's backlog first, so the
test would prove nothing. Fairness is judged by the order of the emulator's ``sendMessage`` calls, not by
a clock: when B's answer is sent, at least 10 % of A's answers must still be unsent. In the end every one
of A's commands is answered exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import Town
from tests.faults.installation import LONG, Database, installation
from tests.faults.linli_process import Limits
from tests.faults.replies import Ledger
from tests.support.telegram_emulator import BotApiEmulator

pytestmark = pytest.mark.faults

BACKLOG = 10_200 if LONG else 2_000
#: Fast enough that sending never holds A's replies back: only handling could.
FAST_LIMITS = Limits(global_messages=1000, global_window=1.0, group_messages=1000, group_window=1.0,
                     chat_interval=0.0)
#: Of A's answers, this share must still be unsent when B's answer goes out.
STILL_UNSENT = 0.10


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_a_backlog_in_one_community_does_not_hold_up_another(
    emu: BotApiEmulator, town: Town, ledger: Ledger, tmp_path: Path, database: Database
) -> None:
    async with installation(emu, tmp_path, database, limits=FAST_LIMITS) as site:
        linli = site.linli
        await linli.start()
        warm = [ledger.say(town.a, town.wang, "/whoami"), ledger.say(town.b, town.zhao, "/whoami")]
        await linli.wait_for(ledger.all_answered(warm), timeout=60, what="the first answers")

        flood = ledger.burst(town.a, town.residents_a, "/whoami", BACKLOG)
        [other] = ledger.burst(town.b, town.residents_b, "/whoami", 1)
        answered = await linli.settle(ledger.all_answered([*flood, other]), idle=20.0, timeout=1800.0,
                                      what="every command to be answered")
        await linli.terminate()

    assert answered, f"not every command was answered: {ledger.report([*flood, other])}; logs in {tmp_path}"
    flood_ids = {c.message_id for c in flood}
    before_b = 0
    for sent in emu.sent:
        if sent.chat_id == town.b.id and sent.reply_to_message_id == other.message_id:
            break
        if sent.chat_id == town.a.id and sent.reply_to_message_id in flood_ids:
            before_b += 1
    unsent = BACKLOG - before_b
    assert unsent >= STILL_UNSENT * BACKLOG, (
        f"B's /whoami was answered after {before_b} of A's {BACKLOG} answers ({unsent} still unsent, fewer "
        f"than {STILL_UNSENT:.0%}): A's backlog held B up; logs in {tmp_path}")
    assert ledger.unanswered(flood) == [], ledger.report(flood)
    assert ledger.duplicates(flood) == 0, f"A's commands answered more than once: {ledger.report(flood)}"
    assert ledger.copies(other) == 1, ledger.report([other])
