"""Which people have an open question in which chat, in memory: so a plain chat message, which asks the bot
nothing, is handled without a transaction or a query.

A dialog's row is written in :mod:`core.dialogs`; this module only hears of it (Tortoise's signals on
:class:`core.dialogs.PendingDialog`). Every error it can make is on the safe side: a key is added as soon as
a row is saved (before its commit: a rolled-back question only costs a query later), removed only after the
deleting transaction commits, and a bulk delete removes nothing (the key lingers until the next load, again
only a query). It is trusted only where one process owns the database (SQLite); with PostgreSQL, where
several workers may share the chats, every plain message is checked in the database as before.
"""

from __future__ import annotations

from typing import Any

from tortoise.signals import post_delete, post_save

from core.dialogs import PendingDialog
from core.events import MessageReceived
from core.storage import dialect
from core.unit_of_work import after_this_commit

#: Beyond this many open dialogs the set is not kept (every plain message is checked in the database).
LIMIT = 100_000


class OpenDialogs:
    def __init__(self) -> None:
        self._keys: set[tuple[str, str]] | None = None

    async def load(self) -> None:
        """Read the open dialogs' keys (at start and on every refresh of shared state)."""
        if dialect() != "sqlite":
            self._keys = None
            return
        rows = await PendingDialog.all().limit(LIMIT + 1).values_list("channel_key", "platform_user_id")
        self._keys = {(str(c), str(u)) for c, u in rows} if len(rows) <= LIMIT else None

    def forget_all(self) -> None:
        """Stop trusting the set (the database was closed or changed under us)."""
        self._keys = None

    def may_be_open(self, event: MessageReceived) -> bool:
        """False only when this person surely has no open question in this chat."""
        return self._keys is None or (event.channel.key, event.sender.user_id) in self._keys

    def _saved(self, row: PendingDialog) -> None:
        if self._keys is not None:
            self._keys.add((row.channel_key, row.platform_user_id))
            if len(self._keys) > LIMIT:
                self._keys = None

    def _deleted(self, key: tuple[str, str]) -> None:
        if self._keys is not None:
            self._keys.discard(key)


open_dialogs = OpenDialogs()


@post_save(PendingDialog)
async def _on_save(_sender: Any, row: PendingDialog, *_rest: Any) -> None:
    open_dialogs._saved(row)


@post_delete(PendingDialog)
async def _on_delete(_sender: Any, row: PendingDialog, *_rest: Any) -> None:
    key = (row.channel_key, row.platform_user_id)
    after_this_commit(lambda: open_dialogs._deleted(key))
