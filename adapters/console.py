"""The console adapter: try everything locally, as several people, in several rooms.

Input lines:  ``NAME: TEXT`` (NAME says TEXT in the current room), ``NAME: !press N`` (NAME presses
button N), ``@room ROOM`` (switch room; created on first use; in ``@room dm`` each speaker is in a private
chat with the bot), ``#`` comments and blank lines.
Output lines: ``[ROOM] bot: TEXT``, ``[ROOM] bot → NAME: TEXT`` for a private notice, and
``[ROOM] bot:   [N] LABEL`` for buttons, numbered per room and never reused, so an old button still works.
Files the bot sends (certificates, exports) are written to ``[console] files_dir`` and shown as
``[ROOM] bot: 📎 PATH``.

When stdin is not a terminal the adapter runs a script: each line is handled to completion before the
next one is read, so the output is deterministic; at the end of input the process exits. On a terminal it
prints a short banner first, and Ctrl-C stops it as cleanly as Ctrl-D: stdin is read by a daemon thread,
which a stop does not wait for (a thread of the event loop's executor, blocked in ``readline``, kept the
process alive after Ctrl-C until Enter was pressed).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field

from core.adapter import Adapter, AdapterHost, AdapterSpec
from core.events import ChannelRef, IdentityRef, MessageReceived, OutgoingMessage

PLATFORM = "console"
DEFAULT_ROOM = "main"
LINE = re.compile(r"^(?P<name>[^:：]{1,64})[:：]\s?(?P<text>.*)$")
PRESS = re.compile(r"^!press\s+(\d+)$")
#: ``@room dm``: here each speaker is in their own private chat with the bot (shown as ``[dm:张三]``).
DIRECT_ROOM = "dm"
#: What a person at a terminal needs to know to start.
BANNER = (
    "linli console. Speak as anyone: NAME: MESSAGE (e.g. 王书记: /setup 观梅社区; {admins} may set rooms up).",
    "Switch rooms: @room NAME. Press button N: NAME: !press N. Quit: Ctrl-D or Ctrl-C.",
)


class ConsoleSettings(BaseModel):
    """The ``[console]`` section."""

    model_config = ConfigDict(extra="forbid")

    admins: list[str] = Field(default_factory=lambda: ["王书记"])
    files_dir: Path = Path("data/console-files")


class ConsoleAdapter(Adapter):
    platform = PLATFORM
    #: For /healthz: the terminal is there for as long as the process runs.
    connected: bool | None = True

    def __init__(self, host: AdapterHost, settings: ConsoleSettings | None = None, *,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        super().__init__(host)
        self.settings = settings or ConsoleSettings()
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.room = DEFAULT_ROOM
        self.admins = set(self.settings.admins)
        self._buttons: dict[str, dict[int, str]] = {}
        self._button_numbers = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()

    # -- inbound -----------------------------------------------------------------------------------
    def identity(self, name: str) -> IdentityRef:
        return IdentityRef(PLATFORM, name, name, username=name, is_chat_admin=name in self.admins)

    def channel(self, room: str | None = None, speaker: str | None = None) -> ChannelRef:
        room = room or self.room
        if room == DIRECT_ROOM and speaker is not None:
            return ChannelRef(PLATFORM, f"dm:{speaker}", f"dm:{speaker}", is_direct=True)
        return ChannelRef(PLATFORM, room, room)

    def parse(self, line: str) -> MessageReceived | None:
        """Turn one input line into an event (None for comments, room switches and blank lines)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        if line.startswith("@room"):
            self.room = line[len("@room"):].strip() or DEFAULT_ROOM
            return None
        match = LINE.match(line)
        if match is None:
            self.print(f"(console) not understood: {line!r}; write NAME: TEXT, @room ROOM or # comment")
            return None
        name, text = match.group("name").strip(), match.group("text").strip()
        press = PRESS.match(text)
        button_data = None
        if press is None and text.lower().startswith("!press"):
            self.print(f"(console) {text!r}: !press needs a button number, e.g. {name}: !press 1")
            return None
        channel = self.channel(speaker=name)
        if press:
            button_data = self._buttons.get(channel.chat_id, {}).get(int(press.group(1)))
            if button_data is None:
                self.print(f"(console) there is no button {press.group(1)} in {self.room}")
                return None
        return MessageReceived(
            event_id=f"console:{uuid.uuid4().hex}",
            channel=channel,
            sender=self.identity(name),
            text="" if button_data else text,
            message_id=str(next(self._message_ids)),
            button_data=button_data,
        )

    async def feed(self, line: str) -> None:
        """Handle one line to completion, as in a script."""
        event = self.parse(line)
        if event is not None:
            await self.host.receive(event)
            await self.host.drain()  # the line's replies are printed before the next line is read

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="console-reader")

    async def stop(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()

    async def run_until_done(self) -> None:
        await self.finished.wait()

    async def _read(self) -> None:
        interactive = self.stdin.isatty()
        if interactive:
            for line in BANNER:
                self.print(line.format(admins=", ".join(sorted(self.admins)) or "nobody"))
        lines = self._pump()
        try:
            while True:
                if interactive:
                    self.stdout.write(f"[{self.room}] > ")
                    self.stdout.flush()
                line = await lines.get()
                if not line:
                    break
                await self.feed(line)
        finally:
            self.finished.set()

    def _pump(self) -> asyncio.Queue[str]:
        """Lines of stdin, read by a daemon thread (``""`` at the end), so that stopping never waits for one."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def put(line: str) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
                loop.call_soon_threadsafe(lines.put_nowait, line)

        def read() -> None:
            try:
                for line in iter(self.stdin.readline, ""):
                    put(line)
            except (OSError, ValueError):  # stdin closed under us
                pass
            put("")

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        return lines

    # -- outbound ----------------------------------------------------------------------------------
    def print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def send(self, message: OutgoingMessage) -> str | None:
        room = message.channel.chat_id
        who = f"bot → {message.private_to.display_name}" if message.private_to else "bot"
        for line in message.text.splitlines() or ([] if message.files else [""]):
            self.print(f"[{room}] {who}: {line}")
        for file in message.files:
            self.print(f"[{room}] {who}: 📎 {self._save(file.filename, file.data)}")
        numbers = self._buttons.setdefault(room, {})
        for row in message.buttons:
            for button in row:
                number = next(self._button_numbers)
                numbers[number] = button.data
                self.print(f"[{room}] {who}:   [{number}] {button.label}")
        return str(next(self._message_ids))

    def _save(self, filename: str, data: bytes) -> Path:
        """Write a file the bot sent; a name already used gets a number, so nothing is overwritten."""
        folder = self.settings.files_dir
        folder.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(filename).stem or "file", Path(filename).suffix
        target = folder / f"{stem}{suffix}"
        for number in itertools.count(2):
            if not target.exists():
                break
            target = folder / f"{stem}-{number}{suffix}"
        target.write_bytes(data)
        return target


def _create(host: AdapterHost, settings: Any, **streams: Any) -> Adapter:
    return ConsoleAdapter(host, settings, stdin=streams.get("stdin"), stdout=streams.get("stdout"))


SPEC = AdapterSpec("console", _create, ConsoleSettings)
