"""Buttons on Matrix: numbered choices under the bot's message, answered by number or by reaction.

Matrix messages have no buttons. A message with buttons lists them numbered (1️⃣ 认领 #1 — /claim 1)
and the bot reacts to its own message with the keycaps, so a person can press one. A choice is taken
when someone

* replies to that message with the bare number (a Matrix reply names the message it answers, so the
  number cannot be mistaken for a dialog answer or chat), or
* reacts with the keycap (the reaction's own event id makes it one press, however often it is synced).

A bare number that is not a reply to a message with choices is ordinary text. The choices of a message
are kept through the host's state for :data:`CHOICE_LIFETIME` (and in memory), so they still work after
a restart.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta

from core.adapter import AdapterHost
from core.events import Button

log = logging.getLogger("adapters.matrix")
NAMESPACE = "matrix"
CHOICE_LIFETIME = timedelta(days=30)


class Choices:
    """Which command each numbered choice under a bot message stands for."""

    def __init__(self, host: AdapterHost, *, capacity: int = 5000) -> None:
        self.host = host
        self.capacity = capacity
        self._recent: OrderedDict[str, list[str]] = OrderedDict()

    async def remember(self, event_id: str, buttons: Sequence[Button]) -> None:
        data = [button.data for button in buttons]
        self._keep(event_id, data)
        try:
            await self.host.state_put(NAMESPACE, "choices:" + event_id, data,
                                      expires_at=self.host.now() + CHOICE_LIFETIME)
        except Exception as error:  # the choices still work from memory until a restart
            log.warning("matrix: could not store the choices of %s (%s); they work until a restart", event_id, error)

    async def get(self, event_id: str, number: int) -> str | None:
        """The data of choice ``number`` under ``event_id``; None if that message has no such choice."""
        data = self._recent.get(event_id)
        if data is None:
            stored = await self.host.state_get(NAMESPACE, "choices:" + event_id)
            if not isinstance(stored, list):
                return None
            data = [str(item) for item in stored]
            self._keep(event_id, data)
        return data[number - 1] if 1 <= number <= len(data) else None

    def _keep(self, event_id: str, data: list[str]) -> None:
        self._recent[event_id] = data
        self._recent.move_to_end(event_id)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)


def flatten(rows: Sequence[Sequence[Button]]) -> list[Button]:
    return [button for row in rows for button in row]
