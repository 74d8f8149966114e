"""The runner's end: a finished script exits 0, a dying adapter exits 1 with the reason."""

from __future__ import annotations

import asyncio

import pytest

from core.adapter import Adapter
from core.events import OutgoingMessage
from core.runner import _wait_for_end


class Scripted(Adapter):
    platform = "scripted"

    def __init__(self, outcome: BaseException | None) -> None:
        self.outcome = outcome

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutgoingMessage) -> str | None:
        return None

    async def run_until_done(self) -> None:
        await asyncio.sleep(0)
        if self.outcome is not None:
            raise self.outcome


async def test_all_adapters_finishing_is_a_normal_end() -> None:
    assert await _wait_for_end([Scripted(None)]) == 0


async def test_a_dying_adapter_ends_the_process_with_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert await _wait_for_end([Scripted(RuntimeError("token revoked"))]) == 1
    assert "the scripted adapter stopped: token revoked" in capsys.readouterr().err
