"""What a command handler gets: who asked, where, in which community, and how to answer.

Handlers answer through the context (``reply``, ``announce``, ``publish``); nothing is sent before the
transaction commits. Names are always rendered through :meth:`names`, which asks plugins for
decorations, so a badge added by one plugin shows up in every other plugin's listings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from core.arguments import ArgError
from core.commands import parse_line
from core.events import Button, DomainEvent, MessageReceived, OutgoingMessage
from core.i18n import N_, Translator
from core.identity import Channel, Community, Membership, User, find_members_by_name, user_for
from core.permissions import Role, allows
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application

SettingsT = TypeVar("SettingsT", bound=BaseModel)
Buttons = Sequence[Sequence[Button]]


@dataclass
class CommandContext:
    app: Application
    event: MessageReceived
    uow: UnitOfWork
    user: User
    t: Translator
    community: Community | None = None
    membership: Membership | None = None
    plugin: str = "core"

    # -- who and where -----------------------------------------------------------------------------
    @property
    def community_id(self) -> int:
        if self.community is None:
            raise RuntimeError("command needs a community but the chat is not set up")
        return self.community.id

    def has_role(self, role: Role) -> bool:
        return self.membership is not None and allows(self.membership.role_set(), role)

    def now(self) -> datetime:
        return self.app.now()

    @property
    def timezone(self) -> ZoneInfo:
        """The installation's time zone: how people in the chat read dates and times."""
        return ZoneInfo(self.app.settings.timezone)

    def local_day(self) -> date:
        """Today in the installation's time zone: what 'today' means to the people in the chat."""
        return self.now().astimezone(self.timezone).date()

    def settings(self, model: type[SettingsT]) -> SettingsT:
        """This plugin's settings for this community: settings.toml ``[plugin.<name>]`` and /config changes."""
        return self.app.plugin_settings(self.plugin, model, self.community.id if self.community else None)

    async def has_badge(self, user_id: int, badge: str) -> bool:
        """Whether the person holds a verified badge (e.g. "party_member"), asked of the plugins that grant them."""
        return await self.app.has_badge(self.community_id, user_id, badge)

    async def resolve_mention(self, raw: str) -> User | None:
        """The person ``@name`` means here; raises ArgError when several people share that name."""
        name = raw.lstrip("@")
        for mention in self.event.mentions:  # the platform said exactly whom (e.g. a tapped name)
            if name in (mention.username, mention.display_name, mention.user_id):
                return await user_for(mention)
        if self.community is None:
            return None
        users = await find_members_by_name(self.community.id, self.event.channel.platform, name)
        if len(users) > 1:
            raise ArgError(N_("Several people here are called {value}; use their @username, or tap their name "
                              "to mention them."), value=raw)
        return users[0] if users else None

    async def run(self, line: str) -> None:
        """Run ``line`` as if this person had typed it here (role checks, arguments, dialogs included)."""
        parsed = parse_line(line)
        if parsed is None:
            raise ValueError(f"not a command line: {line!r}")
        await self.app.router.run(self, parsed)

    # -- answering ---------------------------------------------------------------------------------
    def reply(self, text: str, *, buttons: Buttons = (), private: bool = False) -> None:
        """Answer in the chat the command came from (``private``: to the asker alone)."""
        self.uow.send(
            OutgoingMessage(
                channel=self.event.channel,
                text=text,
                buttons=tuple(tuple(row) for row in buttons),
                reply_to_message_id=None if private else self.event.message_id,
                private_to=self.event.sender if private else None,
            )
        )

    async def announce(self, text: str, *, buttons: Buttons = ()) -> None:
        """Post to every chat bound to this community (a community may live on several platforms)."""
        for channel in await Channel.filter(community_id=self.community_id, is_direct=False):
            self.uow.send(
                OutgoingMessage(channel=channel.ref(), text=text, buttons=tuple(tuple(r) for r in buttons))
            )

    def publish(self, event: DomainEvent) -> None:
        """Publish a domain event; it is handled in this same transaction, after this handler."""
        self.uow.publish(event)

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self.app.render_names(self.community.id if self.community else None, list(user_ids))

    async def name(self, user_id: int) -> str:
        return (await self.names([user_id]))[user_id]
