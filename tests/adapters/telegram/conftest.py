"""The real application with the real Telegram adapter, talking HTTP to the Bot API emulator on loopback.

:class:`Stack` plays the operator: it opens the database, starts an :class:`core.app.Application` with a
:class:`adapters.telegram.TelegramAdapter` (and linli's web server in webhook mode), and can stop it
cleanly, or *kill* it the way a crashed process dies: tasks cancelled mid-work, nothing flushed, no
``getUpdates`` to confirm what was fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import SecretStr
from tortoise import Tortoise

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import TelegramLimits, TelegramSettings
from core.app import Application
from core.bus import Subscription
from core.config import DatabaseSettings, DeliverySettings, Settings, WebSettings
from core.events import ChannelRef, MessageReceived, OutgoingMessage
from core.storage import close_database, is_sqlite, open_database
from core.testing import FakeClock
from core.unit_of_work import UnitOfWork
from core.web import start_web
from tests.support.telegram_emulator import BotApiEmulator, EmuChat, EmuUser

#: Limits scaled down so a test runs in seconds; the limiter code is the same as with Telegram's values.
FAST_LIMITS = TelegramLimits(global_messages=30, global_window=0.2, group_messages=20, group_window=0.5,
                             chat_interval=0.01)
FAST_RETRIES: dict[str, Any] = {"retry_base": 0.05, "retry_cap": 0.2, "send_attempts": 4, "poll_timeout": 5,
                                "admin_cache_seconds": 600.0}


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB >= 22.2 warns on every RetryAfter unless retry_after is opted in as a timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


#: The emulator's time runs this much faster than Telegram's for flood limits: 20 messages per 0.5 s into a
#: group, 30 per 8 ms overall, one per 8 ms into a chat, so FAST_LIMITS stay within them, as Telegram's
#: own limits do with the default settings.
TIME_SCALE = 1 / 120
#: Button presses must be answered within 2 s (Telegram: about 15 s); the adapter answers within 0.5 s.
CALLBACK_TIMEOUT = 2.0


def strict_emulator(**options: Any) -> BotApiEmulator:
    """The emulator as strict as Telegram (privacy on, flood limits, expiring presses), time scaled."""
    return BotApiEmulator(**{"strict_webhook_url": False, "time_scale": TIME_SCALE,
                             "callback_timeout": CALLBACK_TIMEOUT, **options})


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with strict_emulator() as emulator:
        yield emulator


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For tests about the adapter itself, where running on PostgreSQL too would add nothing."""
    return f"sqlite://{tmp_path / 'linli.db'}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    app: Application
    adapter: TelegramAdapter
    web: web.AppRunner | None = None
    events: list[MessageReceived] = field(default_factory=list)

    async def post(self, *messages: OutgoingMessage) -> None:
        """Have the core say ``messages`` as a handler would: stored in the outbox in one transaction,
        then delivered; returns once they have been sent (or given up)."""

        async def say(uow: UnitOfWork) -> None:
            for message in messages:
                uow.send(message)

        await self.app.run_in_transaction(say)
        await self.app.settle()
        await self.adapter.flush()


class Stack:
    """One database; applications started and stopped (or killed) on it, one at a time."""

    def __init__(self, emu: BotApiEmulator, db_url: str, *, webhook: bool = False, **telegram: Any) -> None:
        self.emu = emu
        self.db_url = db_url
        self.webhook = webhook
        self.port = free_port() if webhook else 0
        options: dict[str, Any] = {**FAST_RETRIES, "limits": FAST_LIMITS, **telegram}
        if webhook:
            options.setdefault("mode", "webhook")
            options.setdefault("webhook_url", f"http://127.0.0.1:{self.port}/telegram/hook")
            options.setdefault("webhook_secret", SecretStr("s3cret-hook"))
        self.settings = Settings(
            database=DatabaseSettings(url=db_url),
            delivery=DeliverySettings(retry_base=0.01, retry_cap=0.2),
            web=WebSettings(enabled=webhook, port=self.port),
            adapters=["telegram"],
        )
        self.telegram = TelegramSettings(**{"token": SecretStr(emu.token), "base_url": emu.base_url,
                                            "base_file_url": emu.base_file_url, **options})
        self.clock = FakeClock()
        self.running: Running | None = None
        self._opened = False

    def build(self) -> Application:
        return Application(self.settings, clock=self.clock, load_entry_points=False)

    async def open(self) -> None:
        throwaway = not is_sqlite(self.db_url)
        await open_database(self.db_url, self.build().plugins.model_modules(), create_db=throwaway)
        await Tortoise.generate_schemas()
        self._opened = True

    async def close(self) -> None:
        if self.running is not None:
            await self.stop()
        if self._opened:
            await close_database(drop=not is_sqlite(self.db_url))
            self._opened = False

    async def start(self) -> Running:
        app = self.build()
        adapter = TelegramAdapter(app.adapter_services, self.telegram)
        app.adapters["telegram"] = adapter
        running = Running(app, adapter)

        async def record(event: MessageReceived, uow: UnitOfWork) -> None:
            running.events.append(event)

        app.bus.subscribe(Subscription(MessageReceived, record))
        await app.start_core()
        if self.webhook:
            running.web = await start_web(app, "127.0.0.1", self.port)
        await adapter.start()
        await app.start_delivery()
        self.running = running
        return running

    async def stop(self) -> None:
        running, self.running = self.running, None
        if running is None:
            return
        await running.adapter.stop()
        await running.app.stop_core()
        if running.web is not None:
            await running.web.cleanup()

    async def kill(self) -> None:
        """Die like a killed process: every task of this application cancelled where it stands."""
        running, self.running = self.running, None
        assert running is not None
        adapter, app = running.adapter, running.app
        tasks: list[asyncio.Task[Any]] = [t for t in (adapter._poller, adapter._refresher) if t is not None]
        tasks += list(adapter._background) + list(app.bus._workers.values())
        tasks += [lane.worker for lane in app.delivery._lanes.values() if lane.worker is not None]
        tasks += [lane.worker for lane in app.inbox._lanes.values() if lane.worker is not None]
        if adapter.flood is not None:
            tasks += [lane.worker for lane in adapter.flood._lanes.values() if lane.worker is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if running.web is not None:
            await running.web.cleanup()
        if adapter.bot is not None:
            await adapter.bot.shutdown()  # closes the sockets, as the kernel would for a dead process


@contextlib.asynccontextmanager
async def stack(emu: BotApiEmulator, db_url: str, **options: Any) -> AsyncIterator[Stack]:
    opened = Stack(emu, db_url, **options)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@dataclass
class Neighbourhood:
    """A Telegram group: 王书记 created it (so she is its admin), 张三 and 李四 are members."""

    group: EmuChat
    wang: EmuUser
    zhang: EmuUser
    li: EmuUser


@pytest.fixture
def hood(emu: BotApiEmulator) -> Neighbourhood:
    wang = emu.add_user("王书记", username="wang_shuji", language_code="zh-hans")
    zhang = emu.add_user("张三", username="zhangsan", language_code="zh-hans")
    li = emu.add_user("李四", language_code="zh-hans")
    group = emu.add_chat("supergroup", title="观梅社区邻里群", creator=wang, members=[zhang, li])
    return Neighbourhood(group, wang, zhang, li)


def channel(chat: EmuChat) -> ChannelRef:
    """The core's reference to an emulated chat."""
    return ChannelRef("telegram", str(chat.id), chat.title or "", is_direct=chat.type == "private")
