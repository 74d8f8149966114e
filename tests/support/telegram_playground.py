"""Try the Telegram adapter locally without a bot, a token or the internet: the Bot API emulator as a program.

    python -m tests.support.telegram_emulator            # prints how to start linli against it, then a prompt

It serves the Bot API on 127.0.0.1 (port 8081 by default) with one supergroup, ``邻里测试群``, and reads
lines like the console does:

    王书记: /setup 观梅社区       a user (created on first use; 王书记 is the group's owner) writes in the group
    张三: !press 1               press button 1 (the numbers are printed under the bot's messages)
    privacy on|off               the bot's BotFather privacy mode (on: plain chat and /认领 no longer reach it)
    quit                         (or Ctrl-D, Ctrl-C)

What the bot sends is printed as ``[邻里测试群] bot: …``. Why: the Telegram guide tells operators to try
everything on the console first; this lets them (and adapter authors) see the real Telegram adapter and
python-telegram-bot at work, with privacy mode and buttons, before creating a bot with BotFather.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from tests.support.telegram_emulator import DEFAULT_TOKEN, BotApiEmulator, EmuChat, EmuUser, SentMessage

GROUP_TITLE = "邻里测试群"
OWNER = "王书记"
LINE = re.compile(r"^(?P<name>[^:：]{1,64})[:：]\s?(?P<text>.*)$")
PRESS = re.compile(r"^!press\s+(\d+)$")


class Playground:
    """One group, users made on first use, the bot's messages printed with numbered buttons."""

    def __init__(self, emulator: BotApiEmulator, out: TextIO) -> None:
        self.emulator = emulator
        self.out = out
        self.owner = emulator.add_user(OWNER, username="wang_shuji")
        self.group: EmuChat = emulator.add_chat("supergroup", title=GROUP_TITLE, creator=self.owner)
        self.users: dict[str, EmuUser] = {OWNER: self.owner}
        self.buttons: dict[int, tuple[int, str]] = {}
        self._shown = 0

    def user(self, name: str) -> EmuUser:
        if name not in self.users:
            self.users[name] = self.emulator.add_user(name)
            self.emulator.set_member(self.group, self.users[name], "member")
        return self.users[name]

    def handle(self, line: str) -> bool:
        """Act on one typed line; False to stop."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in ("quit", "exit"):
            return False
        if line.startswith("privacy "):
            self.emulator.privacy_mode = line.split()[1] == "on"
            self.say(f"(emulator) privacy mode {'on' if self.emulator.privacy_mode else 'off'}")
            return True
        match = LINE.match(line)
        if match is None:
            self.say("(emulator) write NAME: TEXT, NAME: !press N, privacy on|off or quit")
            return True
        user, text = self.user(match.group("name").strip()), match.group("text").strip()
        press = PRESS.match(text)
        if press is None:
            if not self.emulator.reaches_bot_in_group(text):
                self.say("(emulator) privacy mode: the bot does not receive this message")
            self.emulator.user_says(self.group, user, text)
        elif int(press.group(1)) in self.buttons:
            message_id, data = self.buttons[int(press.group(1))]
            self.emulator.user_presses(self.group, user, message_id, data, check_button=False)
        else:
            self.say(f"(emulator) there is no button {press.group(1)}")
        return True

    def show_new(self) -> None:
        """Print what the bot sent since the last call, buttons numbered."""
        for message in self.emulator.sent[self._shown:]:
            self._show(message)
        self._shown = len(self.emulator.sent)

    def _show(self, message: SentMessage) -> None:
        where = GROUP_TITLE if message.chat_id == self.group.id else f"private {message.chat_id}"
        for line in (message.plain_text or "").splitlines() or [""]:
            self.say(f"[{where}] bot: {line}")
        for row in message.buttons:
            for button in row:
                number = len(self.buttons) + 1
                self.buttons[number] = (message.message_id, str(button.get("callback_data", "")))
                self.say(f"[{where}] bot:   [{number}] {button.get('text', '')}")

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def instructions(emulator: BotApiEmulator) -> list[str]:
    host = f"http://127.0.0.1:{emulator.port}"
    return [
        f"Bot API emulator on {host} (bot @{emulator.bot.username}, group {GROUP_TITLE}, owner {OWNER}).",
        "In another terminal, start linli against it:",
        f"  LINLI_TELEGRAM__TOKEN='{emulator.token}' LINLI_TELEGRAM__BASE_URL='{host}/bot' "
        f"LINLI_TELEGRAM__BASE_FILE_URL='{host}/file/bot' LINLI_TELEGRAM__PRIVACY_MODE=false "
        ".venv/bin/linli run --adapter telegram --no-web",
        f"Then speak here: `{OWNER}: /setup 观梅社区`, `张三: /whoami`, `张三: !press 1`, `privacy on`, `quit`.",
    ]


async def serve(port: int, stdin: TextIO, out: TextIO, *, token: str = DEFAULT_TOKEN) -> None:
    """Run the emulator and the prompt until quit or the end of input."""
    async with BotApiEmulator(token, port=port, privacy_mode=False) as emulator:  # `privacy on` turns it on
        playground = Playground(emulator, out)
        for line in instructions(emulator):
            playground.say(line)
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:  # a daemon thread, so that Ctrl-C never waits for a line
            for line in iter(stdin.readline, ""):
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(lines.put_nowait, line)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lines.put_nowait, "")

        threading.Thread(target=read, name="emulator-stdin", daemon=True).start()
        while True:
            try:
                line = await asyncio.wait_for(lines.get(), 0.2)
            except TimeoutError:
                playground.show_new()
                continue
            if not line or not playground.handle(line):
                break
            await asyncio.sleep(0.5)  # the bot's answer usually arrives within this
            playground.show_new()
        playground.show_new()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.telegram_emulator",
                                     description="A local Telegram Bot API to try linli's Telegram adapter")
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (default: 8081)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, sys.stdin, sys.stdout))
    return 0
