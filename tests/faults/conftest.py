"""Fixtures of the fault suite: the Bot API emulator in this process and a small town of residents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.faults.replies import Ledger
from tests.support.telegram_emulator import BotApiEmulator, EmuChat, EmuUser


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    # linli runs with privacy_mode = false and its own [telegram.limits] here (linli_process.py)
    async with BotApiEmulator(strict_webhook_url=False, privacy_mode=False, rate_limits=None) as emulator:
        # linli's own flood control is what the suite scales ([telegram.limits]); the emulator does not
        # add Telegram's 20 a minute per group on top, or a backlog of thousands would take hours
        emulator.set_rate_limits(None)
        yield emulator


@dataclass
class Town:
    """Two neighbourhood groups: 王书记 created 观梅 (A), 赵主任 created 听竹 (B)."""

    a: EmuChat
    b: EmuChat
    wang: EmuUser
    zhao: EmuUser
    residents_a: list[EmuUser]
    residents_b: list[EmuUser]


@pytest.fixture
def town(emu: BotApiEmulator) -> Town:
    wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
    zhao = emu.add_user("赵主任", username="zhao_zhuren", language_code="zh-hans")
    residents_a = [emu.add_user(name, language_code="zh-hans") for name in ("张三", "李四", "王五", "赵六")]
    residents_b = [emu.add_user(name, language_code="zh-hans") for name in ("钱七", "孙八")]
    a = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=residents_a)
    b = emu.add_chat("supergroup", title="听竹社区邻里群", creator=zhao, members=residents_b)
    return Town(a, b, wang, zhao, residents_a, residents_b)


@pytest.fixture
def ledger(emu: BotApiEmulator) -> Ledger:
    return Ledger(emu)
