"""Commands the test's residents sent and what the bot answered, counted from the emulator's records.

Every answer to a command in a group is a reply to it (``reply_to_message_id``), so the emulator's list
of sent messages says, per command, whether it was answered, how many times, and in which order the
bot's ``sendMessage`` calls arrived — the order fairness is judged by, not a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tests.support.telegram_emulator import ApiCall, BotApiEmulator, EmuChat, EmuUser, SentMessage


@dataclass(frozen=True)
class Command:
    update_id: int
    chat_id: int
    message_id: int
    text: str


@dataclass
class Ledger:
    """The commands sent so far and a running count of the replies to them."""

    emu: BotApiEmulator
    commands: list[Command] = field(default_factory=list)
    _counts: Counter[tuple[int, int]] = field(default_factory=Counter)
    _seen: int = 0

    def say(self, chat: EmuChat, user: EmuUser, text: str) -> Command:
        update_id = self.emu.user_says(chat, user, text)
        message_id = int(self.emu.injected[update_id]["message"]["message_id"])
        command = Command(update_id, chat.id, message_id, text)
        self.commands.append(command)
        return command

    def burst(self, chat: EmuChat, users: Iterable[EmuUser], text: str, count: int) -> list[Command]:
        """``count`` commands, the users taking turns."""
        people = list(users)
        return [self.say(chat, people[i % len(people)], text) for i in range(count)]

    def _update(self) -> None:
        sent = self.emu.sent
        for message in sent[self._seen :]:
            if message.reply_to_message_id is not None:
                self._counts[(message.chat_id, message.reply_to_message_id)] += 1
        self._seen = len(sent)

    def copies(self, command: Command) -> int:
        """How many messages the bot sent in answer to ``command``."""
        self._update()
        return self._counts[(command.chat_id, command.message_id)]

    def answered(self, commands: Iterable[Command] | None = None) -> int:
        return sum(1 for c in self._of(commands) if self.copies(c) > 0)

    def unanswered(self, commands: Iterable[Command] | None = None) -> list[Command]:
        return [c for c in self._of(commands) if self.copies(c) == 0]

    def duplicates(self, commands: Iterable[Command] | None = None) -> int:
        """Extra copies: every answer beyond the first one to the same command."""
        return sum(max(0, self.copies(c) - 1) for c in self._of(commands))

    def all_answered(self, commands: Iterable[Command] | None = None) -> Callable[[], bool]:
        """A predicate for :meth:`BotApiEmulator.wait_until` (cheap: it counts new messages only)."""
        wanted = list(self._of(commands))
        return lambda: all(self.copies(c) > 0 for c in wanted)

    def at_least(self, n: int, commands: Iterable[Command] | None = None) -> Callable[[], bool]:
        wanted = list(self._of(commands))
        return lambda: sum(1 for c in wanted if self.copies(c) > 0) >= n

    def replies_to(self, command: Command) -> list[SentMessage]:
        return [s for s in self.emu.sent
                if s.chat_id == command.chat_id and s.reply_to_message_id == command.message_id]

    def report(self, commands: Iterable[Command] | None = None) -> str:
        """A one-line summary for assertion messages."""
        wanted = list(self._of(commands))
        lost = self.unanswered(wanted)
        return (f"{len(wanted)} commands, {len(wanted) - len(lost)} answered, {len(lost)} never answered "
                f"(update ids {[c.update_id for c in lost][:20]}), {self.duplicates(wanted)} duplicate answers")

    def _of(self, commands: Iterable[Command] | None) -> Iterable[Command]:
        return self.commands if commands is None else commands


def calls_between(emu: BotApiEmulator, method: str, start: float, end: float) -> list[ApiCall]:
    """Calls of ``method`` that reached the emulator in ``[start, end)`` (the emulator's clock)."""
    return [c for c in emu.calls if c.method == method and start <= c.time < end]


def busiest_second(calls: list[ApiCall]) -> int:
    """The most calls that arrived within any one second (a sliding window over arrival times)."""
    times = sorted(c.time for c in calls)
    best, low = 0, 0
    for high, t in enumerate(times):
        while t - times[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best
