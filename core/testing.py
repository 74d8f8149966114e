"""A test harness for plugin authors (and for linli's own tests): a community in a box.

``Harness`` runs the real application (bus, router, plugins, ledger, scheduler) on a real database
with a recording adapter in place of a chat platform, and a clock the test moves::

    async with Harness.create("sqlite://:memory:", plugins=[my_plugin]) as h:
        await h.send("王书记", "/setup 观梅社区")
        replies = await h.send("张三", "/claim 1")
        assert "认领成功" in replies[0]

Everything goes through :meth:`core.app.Application.receive`, exactly as a chat message would.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from core.adapter import Adapter
from core.app import Application
from core.config import DatabaseSettings, Settings, WebSettings
from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived, OutgoingMessage
from core.storage import close_database, is_sqlite, open_database

PLATFORM = "console"
DEFAULT_ROOM = "group"


@dataclass
class FakeClock:
    """The harness's time: starts at a fixed moment and moves only when the test says so."""

    current: datetime = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class RecordingAdapter(Adapter):
    """Keeps what the bot said, instead of saying it anywhere."""

    platform = PLATFORM
    connected: bool | None = True  # for /healthz: nothing to lose

    def __init__(self, app: Application) -> None:
        super().__init__(app.adapter_services)
        self.sent: list[OutgoingMessage] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: OutgoingMessage) -> str | None:
        self.sent.append(message)
        return str(len(self.sent))


class Harness:
    def __init__(self, app: Application, adapter: RecordingAdapter, clock: FakeClock, admins: Sequence[str]) -> None:
        self.app = app
        self.adapter = adapter
        self.clock = clock
        self.admins = set(admins)
        self._build: Callable[[], Application] = lambda: app

    @classmethod
    @asynccontextmanager
    async def create(
        cls,
        db_url: str = "sqlite://:memory:",
        *,
        plugins: Iterable[object] = (),
        admins: Sequence[str] = ("王书记",),
        settings: dict[str, Any] | None = None,
        load_builtins: bool = True,
    ) -> AsyncIterator[Harness]:
        """A running application on a fresh schema at ``db_url`` (created, and dropped afterwards)."""
        base = Settings(
            database=DatabaseSettings(url=db_url), web=WebSettings(enabled=False, port=0),
        )
        merged = Settings.model_validate({**base.model_dump(), **(settings or {})})
        clock = FakeClock()
        plugins = list(plugins)

        def build() -> Application:
            return Application(merged, clock=clock, plugins=plugins, load_builtins=load_builtins,
                               load_entry_points=False)

        app = build()
        throwaway = not is_sqlite(db_url)
        await open_database(db_url, app.plugins.model_modules(), create_db=throwaway)
        try:
            await Tortoise.generate_schemas()
            harness = cls(app, RecordingAdapter(app), clock, admins)
            harness._build = build
            await harness._start()
            try:
                yield harness
            finally:
                await harness.app.stop_core()
        finally:
            await close_database(drop=throwaway)

    async def _start(self) -> None:
        self.app.adapters[PLATFORM] = self.adapter
        await self.app.start_core()
        await self.app.start_delivery()

    async def restart(self) -> None:
        """Stop the application and start a new one on the same database, as after a process restart.

        Everything held in memory is gone; what the database holds (processed event ids, jobs, plugin
        states) is all the new application knows. What was said before stays in ``adapter.sent``.
        """
        await self.app.stop_core()
        sent = self.adapter.sent
        self.app = self._build()
        self.adapter = RecordingAdapter(self.app)
        self.adapter.sent = sent
        await self._start()

    # -- acting ------------------------------------------------------------------------------------
    def identity(self, name: str) -> IdentityRef:
        return IdentityRef(PLATFORM, name, name, username=name, is_chat_admin=name in self.admins)

    def event(
        self, name: str, text: str = "", *, room: str = DEFAULT_ROOM, event_id: str | None = None,
        button_data: str | None = None, attachments: Sequence[Attachment] = (), direct: bool = False,
        button_token: str | None = None,
    ) -> MessageReceived:
        return MessageReceived(
            event_id=event_id or f"{PLATFORM}:{uuid.uuid4().hex}",
            channel=ChannelRef(PLATFORM, f"dm:{name}" if direct else room, room, is_direct=direct),
            sender=self.identity(name),
            text=text,
            message_id=uuid.uuid4().hex[:16],  # unique among thousands (benchmarks match replies by it)
            button_data=button_data,
            attachments=tuple(attachments),
            button_token=button_token,
        )

    async def deliver(self, event: MessageReceived) -> list[OutgoingMessage]:
        """Hand one event to the application and wait until it, and what it caused, is handled."""
        before = len(self.adapter.sent)
        await self.app.receive(event)
        await self.app.settle()
        return self.adapter.sent[before:]

    async def send(self, name: str, text: str, **options: Any) -> list[str]:
        """``name`` says ``text``; returns the texts the bot sent in response."""
        return [m.text for m in await self.deliver(self.event(name, text, **options))]

    async def say(self, name: str, text: str, **options: Any) -> str:
        """Like :meth:`send`, for the common case of exactly one reply: returns it."""
        replies = await self.send(name, text, **options)
        assert len(replies) == 1, f"expected one reply to {text!r}, got {replies!r}"
        return replies[0]

    async def press(self, name: str, label: str, *, room: str = DEFAULT_ROOM) -> list[str]:
        """Press the most recent button labelled ``label`` in ``room``; returns the texts the bot sent."""
        return [m.text for m in await self.deliver(self.button_event(name, label, room=room))]

    def button_event(self, name: str, label: str, *, room: str = DEFAULT_ROOM) -> MessageReceived:
        """``name`` pressing the most recent button labelled ``label`` in ``room``, as a platform reports it:
        the button's data and a token for answering the press (a refusal comes back as a pop-up on it)."""
        for message in reversed(self.adapter.sent):
            if message.channel.chat_id != room:
                continue
            for row in message.buttons:
                for button in row:
                    if button.label == label:
                        return self.event(name, "", room=room, button_data=button.data,
                                          button_token=f"press:{uuid.uuid4().hex[:12]}")
        raise AssertionError(f"no button {label!r} in {room}")

    async def run_jobs(self, after: timedelta | None = None) -> int:
        """Move the clock (optionally) and run the jobs that are due, as the scheduler loop would."""
        if after is not None:
            self.clock.advance(after)
        ran = await self.app.scheduler.run_due()
        await self.app.settle()  # what the jobs said is delivered, as a reply to a message is
        return ran

    def said(self, room: str = DEFAULT_ROOM) -> list[str]:
        return [m.text for m in self.adapter.sent if m.channel.chat_id == room]
