"""Core buttons as Telegram inline keyboards, with ``callback_data`` that survives a restart.

Telegram gives a button at most 64 bytes of ``callback_data``. Core buttons are usually short command
lines (``/claim 12``) and go as they are. Longer data (a Chinese note, a person's name), or data that
could be mistaken for a key, is replaced by ``~`` and a hash of it, and the data itself is stored
through the host's key-value state (:meth:`core.adapter.AdapterHost.state_put`) for
:data:`BUTTON_LIFETIME`. So a button pressed days later, after a restart or on another worker, still
does what it said; only a button older than that answers that it has expired.

Recently used payloads are also kept in memory, so a busy keyboard costs no database read per press
and no write per message (the stored expiry is renewed at most once a day). If the database cannot
take a payload, the button still works from memory until the process restarts.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.adapter import AdapterHost
from core.events import Button

log = logging.getLogger("adapters.telegram")

CALLBACK_DATA_LIMIT = 64
#: How long a button with stored data keeps working after it was last sent.
BUTTON_LIFETIME = timedelta(days=30)
#: A payload whose stored expiry is at least this fresh is not written again.
RENEW_AFTER = timedelta(days=1)
NAMESPACE = "telegram"
PREFIX = "~"


def button_key(data: str) -> str:
    """The ``callback_data`` that stands for ``data``: 41 bytes, the same for the same data."""
    return PREFIX + hashlib.sha256(data.encode()).hexdigest()[:40]


def fits(data: str) -> bool:
    """Whether ``data`` can be the ``callback_data`` itself."""
    return bool(data) and len(data.encode()) <= CALLBACK_DATA_LIMIT and not data.startswith(PREFIX)


class ButtonStore:
    """Encodes core button data into ``callback_data`` and back."""

    def __init__(self, host: AdapterHost, *, capacity: int = 10_000) -> None:
        self.host = host
        self.capacity = capacity
        #: key → (data, until when the stored copy is valid)
        self._recent: OrderedDict[str, tuple[str, datetime | None]] = OrderedDict()

    async def encode(self, data: str) -> str:
        if fits(data):
            return data
        key = button_key(data)
        now = self.host.now()
        known = self._recent.get(key)
        if known is None or known[1] is None or known[1] - now < BUTTON_LIFETIME - RENEW_AFTER:
            until: datetime | None = now + BUTTON_LIFETIME
            try:
                await self.host.state_put(NAMESPACE, _state_key(key), {"data": data}, expires_at=until)
            except Exception as error:  # the button still works from memory until a restart
                log.warning("telegram: could not store a long button's data (%s); it works until a restart", error)
                until = None
            self._remember(key, data, until)
        else:
            self._recent.move_to_end(key)
        return key

    async def decode(self, callback_data: str) -> str | None:
        """The core's button data for a pressed button; None when it has expired or was never ours."""
        if not callback_data.startswith(PREFIX):
            return callback_data or None
        known = self._recent.get(callback_data)
        if known is not None:
            return known[0]
        stored = await self.host.state_get(NAMESPACE, _state_key(callback_data))
        data = stored.get("data") if isinstance(stored, dict) else None
        if not isinstance(data, str):
            return None
        self._remember(callback_data, data, self.host.now())  # renewed when it is next sent
        return data

    async def markup(self, buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
        rows = [
            [InlineKeyboardButton(button.label.strip() or "·", callback_data=await self.encode(button.data))
             for button in row]
            for row in buttons
            if row
        ]
        return InlineKeyboardMarkup(rows) if rows else None

    def _remember(self, key: str, data: str, until: datetime | None) -> None:
        self._recent[key] = (data, until)
        self._recent.move_to_end(key)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)


def _state_key(key: str) -> str:
    return "button:" + key.removeprefix(PREFIX)
