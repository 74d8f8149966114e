"""/healthz tells the truth about Telegram: connected while the Bot API answers the adapter's polls, down
(503) when it stops answering, so an operator's monitoring notices a bot that no longer receives anything."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from core.web import start_web
from tests.adapters.telegram.conftest import stack
from tests.support.telegram_emulator import BotApiEmulator


async def _until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never came true")


async def _healthz(port: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as response:
        return response.status, await response.json()


async def test_healthz_reports_telegram_down_when_the_bot_api_stops_answering(
    emu: BotApiEmulator, sqlite_url: str
) -> None:
    async with stack(emu, sqlite_url, poll_timeout=1) as linli:
        running = await linli.start()
        server = await start_web(running.app, "127.0.0.1", 0)
        try:
            port = int(server.addresses[0][1])
            await _until(lambda: running.adapter.connected is True)
            status, report = await _healthz(port)
            assert status == 200 and report["adapters"]["telegram"] == "connected", report
            await emu.stop()
            await _until(lambda: running.adapter.connected is False)
            status, report = await _healthz(port)
            assert status == 503 and report["adapters"]["telegram"] == "disconnected", report
            assert "adapter telegram" in report["problems"]
        finally:
            await server.cleanup()
