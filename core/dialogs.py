"""Step-by-step completion of a command whose arguments are missing: a dialog that forgives.

On a phone, ``/project new 整治共享单车 3 12-31 10分`` is a lot to get right at once. A command declared
with ``dialog=True`` instead asks for each missing argument in turn, optional ones too (``跳过`` / ``skip``
passes one by), and says where it is (2/5). The person's next plain message in the same chat is the
answer; a bad answer gets the reason and the same question again, up to :data:`MAX_TRIES` times. The
answers so far are stored in the database (one row per person and chat, found with one indexed read), so
a restart loses nothing, and the row expires so an abandoned dialog does not swallow later chatter.

The dialog only keeps the state; the router (:mod:`core.router`) asks, checks and runs the command.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise import fields
from tortoise.models import Model

from core.events import MessageReceived

DIALOG_TTL = timedelta(minutes=30)
MAX_TRIES = 3
SKIP_WORDS = frozenset({"跳过", "skip", "-", "无", "none"})


class PendingDialog(Model):
    id = fields.IntField(primary_key=True)
    channel_key = fields.CharField(max_length=191)
    platform_user_id = fields.CharField(max_length=128)
    #: The command's path (``newproject``, ``project new``).
    line = fields.TextField()
    #: Raw answers so far, by argument name (null: skipped).
    answers: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    #: The index of the argument being asked for.
    step = fields.IntField(default=0)
    #: Bad answers to the current question.
    tries = fields.IntField(default=0)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "linli_pending_dialog"
        unique_together = (("channel_key", "platform_user_id"),)


class Dialogs:
    """The stored state of open dialogs."""

    async def open(self, event: MessageReceived, path: str, answers: dict[str, str | None], step: int,
                   now: datetime) -> None:
        await PendingDialog.update_or_create(
            channel_key=event.channel.key,
            platform_user_id=event.sender.user_id,
            defaults={"line": path, "answers": answers, "step": step, "tries": 0, "expires_at": now + DIALOG_TTL},
        )

    async def pending(self, event: MessageReceived) -> PendingDialog | None:
        return await PendingDialog.get_or_none(channel_key=event.channel.key, platform_user_id=event.sender.user_id)

    async def advance(self, dialog: PendingDialog, step: int, now: datetime) -> None:
        dialog.step, dialog.tries, dialog.expires_at = step, 0, now + DIALOG_TTL
        await dialog.save(update_fields=["answers", "step", "tries", "expires_at"])

    async def failed(self, dialog: PendingDialog, now: datetime) -> bool:
        """Count a bad answer; False when that was the last try (the dialog is then closed)."""
        dialog.tries += 1
        if dialog.tries >= MAX_TRIES:
            await dialog.delete()
            return False
        dialog.expires_at = now + DIALOG_TTL
        await dialog.save(update_fields=["tries", "expires_at"])
        return True

    async def close(self, dialog: PendingDialog) -> None:
        await dialog.delete()

    async def cancel(self, event: MessageReceived) -> bool:
        deleted = await PendingDialog.filter(
            channel_key=event.channel.key, platform_user_id=event.sender.user_id
        ).delete()
        return bool(deleted)
