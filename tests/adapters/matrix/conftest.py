"""The real application with the real Matrix adapter, against a real Synapse on loopback.

One Synapse runs per test run (``synapse``, session-scoped). Each test registers its own people with
fresh names — 王书记 the organizer, 张三 and 李四 the residents, and the bot — and drives the people with
matrix-nio clients (:class:`Person`), while :class:`MatrixStack` plays the operator: it opens the
database, starts the :class:`core.app.Application` with the :class:`adapters.matrix.adapter.MatrixAdapter`,
and stops it; a crash after a commit is replayed by putting the stored sync position back.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessageFile,
    RoomMessageNotice,
    RoomSendResponse,
    UploadResponse,
)
from pydantic import SecretStr
from tortoise import Tortoise

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.settings import MatrixSettings
from core.adapter import Adapter, AdapterHost
from core.app import Application
from core.config import DatabaseSettings, Settings, WebSettings
from core.storage import close_database, is_sqlite, open_database
from core.testing import FakeClock
from tests.support.synapse import SERVER_NAME, Synapse, synapse_missing

FAST: dict[str, Any] = {"retry_base": 0.2, "retry_cap": 2.0, "sync_timeout": 5.0, "send_attempts": 4}


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    missing = synapse_missing()
    if missing is not None:
        if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{missing}, and LINLI_REQUIRE_SERVICES=1 requires it")
        pytest.skip(missing)
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Said:
    room_id: str
    sender: str
    event_id: str
    content: dict[str, Any]
    encrypted: bool = False

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))


class Person:
    """A resident's Matrix client: syncs in the background, joins what they are invited to, remembers
    every notice the bot sends."""

    def __init__(self, synapse: Synapse, name: str, store: Path, *, encryption: bool = False) -> None:
        self.synapse = synapse
        self.name = name
        self.localpart = f"u{secrets.token_hex(5)}"
        self.password = secrets.token_hex(8)
        self.user_id = f"@{self.localpart}:{SERVER_NAME}"
        self.encryption = encryption
        store.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=encryption, store_sync_tokens=True, max_timeouts=0)
        self.client = AsyncClient(synapse.url, self.user_id, store_path=str(store), config=config)
        self.notices: list[Said] = []
        self.files: list[Said] = []
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.synapse.register(self.localpart, self.password, displayname=self.name)
        answer = await self.client.login(self.password, device_name=self.name)
        assert answer.__class__.__name__ == "LoginResponse", answer
        self.client.add_event_callback(self._on_notice, RoomMessageNotice)  # type: ignore[arg-type]
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)  # type: ignore[arg-type]
        self.client.add_event_callback(self._on_file, (RoomMessageFile, RoomEncryptedFile))  # type: ignore[arg-type]
        self._task = asyncio.create_task(self._sync())

    async def _sync(self) -> None:
        """nio's sync loop, started again after the homeserver was away (the outage test stops it)."""
        while True:
            try:
                await self.client.sync_forever(timeout=1000, full_state=True)
            except Exception:
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()

    async def _on_notice(self, room: MatrixRoom, event: RoomMessageNotice) -> None:
        content = dict(event.source.get("content", {}))
        self.notices.append(Said(room.room_id, event.sender, event.event_id, content, encrypted=event.decrypted))
        self._changed.set()

    async def _on_file(self, room: MatrixRoom, event: RoomMessageFile | RoomEncryptedFile) -> None:
        self.files.append(Said(room.room_id, event.sender, event.event_id, dict(event.source.get("content", {}))))
        self._changed.set()

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)
            self._changed.set()

    async def wait(self, condition: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
        """Wait until ``condition()`` is truthy (re-checked on every change and every 0.2 s)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = condition()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.name}: timed out waiting for {what or condition}; "
                                     f"notices: {[n.body for n in self.notices]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.2)

    async def notices_in(self, room_id: str, count: int, timeout: float = 30.0) -> list[Said]:
        def enough() -> list[Said] | None:
            found = [n for n in self.notices if n.room_id == room_id]
            return found if len(found) >= count else None

        found: list[Said] = await self.wait(enough, timeout, f"{count} notices in {room_id}")
        return found

    async def joined(self, room_id: str) -> None:
        rooms = self.client.rooms
        await self.wait(lambda: room_id in rooms and self.user_id not in rooms[room_id].invited_users,
                        what=f"joining {room_id}")

    async def say(self, room_id: str, text: str, *, reply_to: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self._send(room_id, "m.room.message", content)

    async def send_image(self, room_id: str, data: bytes, caption: str) -> str:
        """A photo with a caption (the body differs from the file name), encrypted in an encrypted room."""
        encrypted = self.client.rooms[room_id].encrypted
        upload, keys = await self.client.upload(lambda *_: io.BytesIO(data), content_type="image/png",
                                                filename="photo.png", encrypt=encrypted, filesize=len(data))
        assert isinstance(upload, UploadResponse), upload
        content: dict[str, Any] = {"msgtype": "m.image", "body": caption, "filename": "photo.png",
                                   "info": {"mimetype": "image/png", "size": len(data)}}
        if keys is not None:
            content["file"] = {**keys, "url": upload.content_uri}
        else:
            content["url"] = upload.content_uri
        return await self._send(room_id, "m.room.message", content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self._send(room_id, "m.reaction", content)

    async def _send(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        answer = await self.client.room_send(room_id, event_type, content, ignore_unverified_devices=True)
        assert isinstance(answer, RoomSendResponse), answer
        return str(answer.event_id)

    async def create_room(self, name: str, invite: list[str], *, encrypted: bool = False) -> str:
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        answer = await self.client.room_create(name=name, invite=invite, initial_state=state if encrypted else ())
        assert isinstance(answer, RoomCreateResponse), answer
        await self.joined(answer.room_id)
        return str(answer.room_id)


@dataclass
class Running:
    app: Application
    adapter: MatrixAdapter
    others: list[Adapter] = field(default_factory=list)


@dataclass
class MatrixStack:
    """One database and one bot account; applications started and stopped on it, one at a time."""

    synapse: Synapse
    db_url: str
    store_dir: Path
    encryption: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    clock: FakeClock = field(default_factory=FakeClock)
    running: Running | None = None
    localpart: str = field(default_factory=lambda: f"bot{secrets.token_hex(4)}")
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    adapters: list[str] = field(default_factory=lambda: ["matrix"])
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.synapse.register(self.localpart, self.password, displayname="linli")
        self.user_id = f"@{self.localpart}:{SERVER_NAME}"
        self.settings = Settings(database=DatabaseSettings(url=self.db_url), web=WebSettings(enabled=False),
                                 adapters=self.adapters)
        self.matrix = MatrixSettings(homeserver=self.synapse.url, user_id=self.user_id,
                                     password=SecretStr(self.password), store_dir=self.store_dir,
                                     encryption=self.encryption, **{**FAST, **self.options})

    def build(self) -> Application:
        return Application(self.settings, clock=self.clock, load_entry_points=False)

    async def open(self) -> None:
        await open_database(self.db_url, self.build().plugins.model_modules(), create_db=not is_sqlite(self.db_url))
        await Tortoise.generate_schemas()

    async def close(self) -> None:
        if self.running is not None:
            await self.stop()
        await close_database(drop=not is_sqlite(self.db_url))

    async def start(self, *others: Callable[[AdapterHost], Adapter]) -> Running:
        """Start the application with the Matrix adapter and, built on the same host, ``others``
        (a Telegram adapter, for one community on two platforms)."""
        app = self.build()
        adapter = MatrixAdapter(app.adapter_services, self.matrix)
        app.adapters["matrix"] = adapter
        extra = [build(app.adapter_services) for build in others]
        for other in extra:
            app.adapters[other.platform] = other
        await app.start_core()
        await adapter.start()
        for other in extra:
            await other.start()
        await app.start_delivery()
        self.running = Running(app, adapter, extra)
        return self.running

    @property
    def adapter(self) -> MatrixAdapter:
        assert self.running is not None
        return self.running.adapter

    async def stop(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            for other in running.others:
                await other.stop()
            await running.adapter.stop()
            await running.app.stop_core()

    async def run_jobs(self, after: Any = None) -> int:
        assert self.running is not None
        if after is not None:
            self.clock.advance(after)
        return await self.running.app.scheduler.run_due()


@contextlib.asynccontextmanager
async def matrix_stack(synapse: Synapse, db_url: str, store_dir: Path, **options: Any) -> AsyncIterator[MatrixStack]:
    stack = MatrixStack(synapse, db_url, store_dir, **options)
    await stack.open()
    try:
        yield stack
    finally:
        await stack.close()


@dataclass
class Neighbours:
    wang: Person
    zhang: Person
    li: Person

    def all(self) -> list[Person]:
        return [self.wang, self.zhang, self.li]


@contextlib.asynccontextmanager
async def neighbours(synapse: Synapse, base: Path, *, encryption: bool = False) -> AsyncIterator[Neighbours]:
    people = Neighbours(*(Person(synapse, name, base / key, encryption=encryption)
                          for key, name in (("wang", "王书记"), ("zhang", "张三"), ("li", "李四"))))
    for person in people.all():
        await person.start()
    try:
        yield people
    finally:
        for person in people.all():
            await person.stop()
