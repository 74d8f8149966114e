"""Step-by-step completion of a command whose arguments are missing.

On a phone, ``/project new 整治共享单车 3 12-31 10`` is a lot to get right at once. A command declared
with ``dialog=True`` instead asks for each missing argument in turn; the person's next plain message in
the same chat is the answer. The pending line is stored in the database, so a restart does not lose it,
and it expires after a while so an abandoned dialog does not swallow later chatter.
"""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from core.arguments import Arg
from core.commands import Command, ParsedLine, Router, parse_line
from core.events import MessageReceived
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application
    from core.context import CommandContext

DIALOG_TTL = timedelta(minutes=30)


class PendingDialog(Model):
    id = fields.IntField(primary_key=True)
    channel_key = fields.CharField(max_length=191)
    platform_user_id = fields.CharField(max_length=128)
    line = fields.TextField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "linli_pending_dialog"
        unique_together = (("channel_key", "platform_user_id"),)


class Dialogs:
    def __init__(self, app: Application) -> None:
        self.app = app

    async def ask(self, ctx: CommandContext, cmd: Command, parsed: ParsedLine, arg: Arg) -> None:
        line = " ".join([f"/{cmd.name}", *(shlex.quote(w) for w in parsed.words)])
        await PendingDialog.update_or_create(
            channel_key=ctx.event.channel.key,
            platform_user_id=ctx.event.sender.user_id,
            defaults={"line": line, "expires_at": ctx.now() + DIALOG_TTL},
        )
        ctx.reply(ctx.t(arg.prompt or arg.name) + "\n" + ctx.t("(send /cancel to stop)"))

    async def answer(self, router: Router, event: MessageReceived, uow: UnitOfWork, text: str) -> None:
        pending = await PendingDialog.get_or_none(
            channel_key=event.channel.key, platform_user_id=event.sender.user_id
        )
        if pending is None or not await uow.claim_event():
            return
        await pending.delete()
        if pending.expires_at < self.app.now():
            return
        parsed = parse_line(f"{pending.line} {shlex.quote(text)}")
        if parsed is None:
            return
        ctx = await self.app.context_for(event, uow)
        await router.run(ctx, parsed)

    async def cancel(self, ctx: CommandContext) -> bool:
        deleted = await PendingDialog.filter(
            channel_key=ctx.event.channel.key, platform_user_id=ctx.event.sender.user_id
        ).delete()
        return bool(deleted)
