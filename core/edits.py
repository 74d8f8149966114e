"""Edited commands: handled once more only when their first form was refused.

Telegram lets people edit a message they sent; organizers correct a mistyped command that way. An edit
arrives as a new event (its own event id, so each edit is handled at most once, also after a restart) for
the same ``message_id``. When the first form was refused (bad arguments, wrong role or state) nothing was
done, and the edited form is simply the command the person meant. Anything else (done, a question asked,
or simply not known) gets a short note instead, so nothing is ever applied twice.

What is remembered is therefore the exception: "this person's message M in chat C was a refused command",
written in the refusal's transaction in the core's small key-value table, only for messages the platform
lets people edit (``MessageReceived.editable``), and for two days (edits come within minutes). It links a
person to a message, so it is personal data: keyed by the user id, listed by ``/mydata``, erased by
``/forgetme`` (an edit after that only gets the note) and moved when two users are merged. Successful
commands leave no row at all, and a command whose words are the person's alone (``private_words``, an
anonymous rating) never leaves one: no row ever tells that someone rated, and an edit of it gets the note.
A missing, expired or erased mark errs on the safe side: the note, never a second application.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.adapter_state import AdapterState, state_get, state_put
from core.events import MessageReceived
from core.i18n import N_

NAMESPACE = "core.edits"
#: How long a refused command may still be corrected by editing it.
KEPT_FOR = timedelta(days=2)
EDIT_NOTE = N_("Edits do not change what a command already did. To do something else, send a new command.")


def _key(event: MessageReceived, user_id: int) -> str | None:
    if not event.editable or event.message_id is None or event.button_data is not None:
        return None
    return f"{user_id}:{event.channel.key}:{event.message_id}"


async def was_refused(event: MessageReceived, user_id: int, now: datetime) -> bool:
    """Whether the message this event edits was, until now, a command of this person's that was refused."""
    key = _key(event, user_id)
    return key is not None and await state_get(NAMESPACE, key, now) is not None


async def note_refused(event: MessageReceived, user_id: int, now: datetime) -> None:
    """The command of this message was refused (inside the event's transaction): an edit may redo it."""
    key = _key(event, user_id)
    if key is not None:
        await state_put(NAMESPACE, key, {}, now + KEPT_FOR)


async def done(event: MessageReceived, user_id: int) -> None:
    """An edited form did its work: a further edit of the message only gets the note."""
    key = _key(event, user_id)
    if key is not None:
        await AdapterState.filter(namespace=NAMESPACE, key=key).delete()


def _of(user_id: int) -> Any:
    return AdapterState.filter(namespace=NAMESPACE, key__startswith=f"{user_id}:")


async def member_rows(user_id: int) -> list[dict[str, Any]]:
    """``/mydata``: the person's refused commands that an edit may still redo (chat and message, until when)."""
    rows = []
    for row in await _of(user_id).order_by("id"):
        chat, message = row.key.split(":", 1)[1].rsplit(":", 1)
        rows.append({"chat": chat, "message": message,
                     "until": row.expires_at.isoformat() if row.expires_at is not None else None})
    return rows


async def forget_member(user_id: int) -> None:
    """``/forgetme``: the marks go; an edit of those messages then only gets the note."""
    await _of(user_id).delete()


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    for row in await _of(from_user_id):
        row.key = f"{into_user_id}:{row.key.split(':', 1)[1]}"
        await AdapterState.filter(namespace=NAMESPACE, key=row.key).delete()
        await row.save(update_fields=["key"])
