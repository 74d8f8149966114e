"""``/setup topic <kind>``: announcements of a kind go to the topic this is sent in (:mod:`core.topics`)."""

from __future__ import annotations

from core.arguments import Arg, Choice
from core.commands import Command, command
from core.context import CommandContext
from core.i18n import N_
from core.permissions import Role
from core.topics import KIND_LABELS, KINDS, choose

KIND_CHOICE = Choice(KINDS, shown=tuple(KIND_LABELS.values()))


def topic_command() -> Command:
    @command("topic", aliases=("话题",), args=(Arg("kind", KIND_CHOICE, label=N_("kind")),), role=Role.ORGANIZER,
             needs_person=False, help=N_("Send announcements of this kind to the topic this is sent in"))
    async def topic(ctx: CommandContext, kind: str) -> None:
        channel = ctx.event.channel
        await choose(channel, kind)
        label = ctx.t(KIND_LABELS[kind])
        if channel.thread_id is None:
            ctx.reply(ctx.t("Announcements of {kind} go to the chat itself (the General topic) from now on.",
                            kind=label))
        else:
            ctx.reply(ctx.t("Announcements of {kind} go to this topic from now on.", kind=label))

    return topic
