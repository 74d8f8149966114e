"""The Bot API emulator as a program (``python -m tests.support.telegram_emulator``), used the way the Telegram
guide describes: start it, start `linli run --adapter telegram` with the variables it prints, speak as users."""

from __future__ import annotations

import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lines_of(stream: object) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
            found.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return found


def wait_for(lines: queue.Queue[str], pattern: str, seen: list[str], timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no line matching {pattern!r} in {seen!r}")


def test_the_emulator_program_lets_an_operator_try_the_telegram_adapter(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": f"sqlite://{tmp_path / 't.db'}"}
    assert subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=tmp_path, env=env, capture_output=True,
                          check=False, timeout=120).returncode == 0
    emulator = subprocess.Popen([sys.executable, "-m", "tests.support.telegram_emulator", "--port", "0"], cwd=ROOT,
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    linli: subprocess.Popen[str] | None = None
    seen: list[str] = []
    try:
        assert emulator.stdin is not None
        out = lines_of(emulator.stdout)
        command = wait_for(out, r"linli run --adapter telegram", seen).strip()
        variables = dict(word.split("=", 1) for word in shlex.split(command) if "=" in word)
        linli = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "--adapter", "telegram", "--no-web"],
                                 cwd=tmp_path, env={**env, **variables}, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=(tmp_path / "linli.log").open("w"), text=True)
        emulator.stdin.write("王书记: /setup 观梅社区\n")
        emulator.stdin.flush()
        try:  # a busy machine may take a while to start linli; if it failed, its own words say why
            wait_for(out, r"^\[邻里测试群\] bot: 观梅社区设置好了，王书记 是组织者。", seen)
        except AssertionError as error:
            raise AssertionError(f"{error}; linli said: {(tmp_path / 'linli.log').read_text()}") from None
        emulator.stdin.write("张三: 大家好\n王书记: /grant @张三 volunteer\n")
        emulator.stdin.flush()
        wait_for(out, r"^\[邻里测试群\] bot: 张三 现在是志愿者了。$", seen)
        emulator.stdin.write("privacy on\n张三: 今天几点集合？\n")
        emulator.stdin.flush()
        wait_for(out, r"privacy mode: the bot does not receive this message", seen)
        emulator.stdin.write("quit\n")
        emulator.stdin.flush()
        assert emulator.wait(timeout=30) == 0
    finally:
        for process in (linli, emulator):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
