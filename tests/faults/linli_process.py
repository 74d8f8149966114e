"""The real ``linli`` program as an operator runs it: a settings.toml, ``linli migrate``, ``linli run``.

:class:`LinliProcess` starts ``python -m core.cli run --adapter telegram`` as a child process pointed at
the Bot API emulator (``telegram.base_url``), with the token in ``LINLI_TELEGRAM__TOKEN`` like in
production, and can end it three ways: SIGKILL (a crash: nothing flushed, nothing confirmed), SIGTERM
(a graceful stop: drain within ``[delivery] drain_seconds``) or by the test's end. Every run writes its
own log file, named in assertion messages, so a failing test says where to look.

Timings are scaled down through settings, never by patching code: the retry back-off of sends
(``[delivery]``) and of fetching (``[telegram] retry_base / retry_cap``) and the flood limits
(``[telegram.limits]``) are written into the settings file by :class:`FaultSettings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.support.telegram_emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Limits:
    """``[telegram.limits]``: what linli's own flood control allows itself (Telegram's shape, faster)."""

    global_messages: int = 1000
    global_window: float = 1.0
    group_messages: int = 1000
    group_window: float = 1.0
    chat_interval: float = 0.0


@dataclass
class FaultSettings:
    """What goes into the settings.toml of a fault run.

    Defaults: fetching retries start at 0.2 s and are capped at 1 s (so the old budget of six attempts
    is a few seconds, and an outage "several times" that is tens of seconds, not minutes); sends retry
    on the same scale for an hour; a graceful stop drains for 2 s.
    """

    database_url: str
    limits: Limits = field(default_factory=Limits)
    retry_base: float = 0.2
    retry_cap: float = 1.0
    delivery_ttl: float = 3600.0
    drain_seconds: float = 2.0
    poll_timeout: int = 2
    web_port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def toml(self, emu: BotApiEmulator) -> str:
        def value(v: Any) -> str:
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, str):
                return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            return repr(v)

        lines = [
            'adapters = ["telegram"]',
            "[database]",
            f"url = {value(self.database_url)}",
            "[web]",
            f"enabled = {value(self.web_port is not None)}",
            'host = "127.0.0.1"',
            f"port = {self.web_port or 0}",
            "[plugins]",
            "refresh_seconds = 5.0",
            "[delivery]",
            f"ttl_seconds = {self.delivery_ttl!r}",
            f"retry_base = {self.retry_base!r}",
            f"retry_cap = {self.retry_cap!r}",
            f"drain_seconds = {self.drain_seconds!r}",
            "[telegram]",
            'mode = "polling"',
            f"base_url = {value(emu.base_url)}",
            f"base_file_url = {value(emu.base_file_url)}",
            f"poll_timeout = {self.poll_timeout}",
            f"retry_base = {self.retry_base!r}",
            f"retry_cap = {self.retry_cap!r}",
            "privacy_mode = false",
            "[telegram.limits]",
            *(f"{name} = {getattr(self.limits, name)!r}" for name in Limits.__dataclass_fields__),
        ]
        for section, table in self.extra.items():
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {value(v)}" for k, v in table.items())
        return "\n".join(lines) + "\n"


class LinliError(AssertionError):
    """linli did not do what an operator expects (start, migrate, stop); the message names its log."""


class LinliProcess:
    """One installation (a settings file and a database) whose ``linli run`` is started again and again."""

    def __init__(self, emu: BotApiEmulator, settings: FaultSettings, workdir: Path) -> None:
        self.emu = emu
        self.settings = settings
        self.workdir = workdir
        self.settings_path = workdir / "settings.toml"
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0
        self.kills = 0
        self.terminations: list[int] = []
        self.log_path: Path | None = None
        self._log: IO[bytes] | None = None

    # -- environment ---------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The operator's environment: the token and nothing else of ours (other LINLI_ variables of the
        test run, such as LINLI_FAULTS_LONG, would be read as settings)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
        env.update(
            PYTHONPATH=str(ROOT),
            LINLI_TELEGRAM__TOKEN=self.emu.token,
            PTB_TIMEDELTA="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def write_settings(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.settings_path.write_text(self.settings.toml(self.emu), encoding="utf-8")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "core.cli", "--settings", str(self.settings_path), *args]

    # -- one-off commands ----------------------------------------------------------------------------
    async def migrate(self) -> str:
        """``linli migrate``; returns its output."""
        self.write_settings()
        proc = await asyncio.create_subprocess_exec(
            *self.command("migrate"), cwd=self.workdir, env=self.environment(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        text = out.decode(errors="replace")
        if proc.returncode != 0:
            raise LinliError(f"linli migrate exited with {proc.returncode}:\n{text}")
        return text

    # -- the running bot -----------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, *, timeout: float = 60.0) -> None:
        """Start ``linli run --adapter telegram`` and wait until it long-polls the emulator."""
        assert not self.alive, "linli is already running"
        self.write_settings()
        self.runs += 1
        self.log_path = self.workdir / f"run-{self.runs:03d}.log"
        self._log = self.log_path.open("wb")
        calls_before = len(self.emu.calls)
        self.process = await asyncio.create_subprocess_exec(
            *self.command("run", "--adapter", "telegram"), cwd=self.workdir, env=self.environment(),
            stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=asyncio.subprocess.STDOUT,
        )

        def polling() -> bool:
            return any(call.method == "getUpdates" for call in self.emu.calls[calls_before:])

        try:
            await self.wait_for(polling, timeout=timeout, what="linli to poll for updates")
        except TimeoutError:
            raise LinliError(f"linli did not start polling within {timeout} s; see {self.log_path}") from None

    async def wait_for(self, predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Wait until ``predicate()`` holds after emulator activity; fail at once if linli exits meanwhile."""
        process = self._running()
        waiting = asyncio.ensure_future(self.emu.wait_until(predicate, timeout=timeout, what=what))
        exited = asyncio.ensure_future(process.wait())
        try:
            await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiting, exited):
                task.cancel()
            await asyncio.gather(waiting, exited, return_exceptions=True)
        if waiting.done() and not waiting.cancelled():
            waiting.result()  # raises TimeoutError with the emulator's last calls
            return
        raise LinliError(f"linli exited with {process.returncode} while waiting for {what}; log:\n"
                         f"{self.log_text()[-4000:]}")

    async def settle(self, done: Callable[[], bool], *, idle: float = 10.0, timeout: float = 120.0,
                     what: str = "the bot to finish") -> bool:
        """Wait until ``done()``, as long as the bot keeps sending something at least every ``idle`` seconds.

        Returns whether ``done()`` holds. A test then asserts with its own message: a bot that went quiet
        with answers missing fails in ``idle`` seconds, not at a long timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            sent = len(self.emu.sent)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False

            def moved(sent: int = sent) -> bool:
                return done() or len(self.emu.sent) > sent

            try:
                await self.wait_for(moved, timeout=min(idle, remaining), what=what)
            except TimeoutError:
                return done()
        return True

    async def kill(self) -> None:
        """SIGKILL: the process dies where it stands, as in a crash or an OOM kill."""
        process = self._running()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        self.kills += 1
        self._close_log()

    async def terminate(self, *, timeout: float = 30.0) -> float:
        """SIGTERM, as systemd or docker stop does; returns how many seconds the stop took."""
        process = self._running()
        loop = asyncio.get_running_loop()
        began = loop.time()
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            self._close_log()
            raise LinliError(f"linli did not stop within {timeout} s of SIGTERM; see {self.log_path}") from None
        self.terminations.append(code)
        self._close_log()
        return loop.time() - began

    async def close(self) -> None:
        """End of the test: whatever state it is in, the process is gone afterwards."""
        if self.alive:
            assert self.process is not None
            self.process.kill()
            await self.process.wait()
        self._close_log()

    def log_text(self) -> str:
        """The whole log of the current (or last) run."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _running(self) -> asyncio.subprocess.Process:
        if self.process is None or self.process.returncode is not None:
            raise LinliError(f"linli is not running (it exited with "
                             f"{None if self.process is None else self.process.returncode}); see {self.log_path}")
        return self.process

    def _close_log(self) -> None:
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None
