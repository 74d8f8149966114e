"""What a command handler gets: who asked, where, in which community, and how to answer.

Everything else a plugin needs (settings, names, announcements, private notices, jobs, events) comes from
:class:`core.scope.Scope`, shared with jobs. Handlers answer with :meth:`CommandContext.reply` or refuse by
raising :class:`core.refusal.Refusal`; nothing is sent before the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.events import ChannelRef, MessageReceived, OutgoingFile, OutgoingMessage
from core.i18n import N_
from core.identity import Community, Membership, User, find_members_by_name, membership_for, user_for
from core.permissions import Role, allows
from core.refusal import Refusal
from core.scope import Buttons, Scope, _frozen_buttons
from core.speakers import RecentSpeakers

#: The longest @name anyone can have (platform usernames and display names are shorter).
MAX_NAME = 128


@dataclass
class CommandContext(Scope):
    event: MessageReceived = field(default=None)  # type: ignore[assignment]
    user: User = field(default=None)  # type: ignore[assignment]
    community: Community | None = None
    membership: Membership | None = None
    #: People who spoke in chats without a command, not yet stored (core.speakers).
    speakers: RecentSpeakers | None = None
    #: Set by a handler whose every answer tells something personal (a badge not shown): from then on its
    #: replies, and the router's refusal, go to the asker alone unless a reply says ``private=False``.
    private_answers: bool = False

    def __post_init__(self) -> None:
        if self.community is not None:
            self.community_id_ = self.community.id

    # -- who and where -----------------------------------------------------------------------------
    def has_role(self, role: Role) -> bool:
        return self.membership is not None and allows(self.membership.role_set(), role)

    def enter(self, community: Community) -> None:
        """The chat now belongs to ``community`` (``/setup``): speak its language from here on."""
        self.community = community
        self.community_id_ = community.id
        self._channels = None
        self.t = self.host.translator(community.language, self.plugin)

    async def resolve_mention(self, raw: str) -> User | None:
        """The person ``@name`` means here; refuses when several people share that name."""
        name = raw.lstrip("@＠")
        if len(name) > MAX_NAME:
            raise Refusal(N_("That name is too long (at most {maximum} characters)."), usage=True, maximum=MAX_NAME)
        for mention in self.event.mentions:  # the platform said exactly whom (e.g. a tapped name)
            if name in (mention.username, mention.display_name, mention.user_id):
                return await user_for(mention)
        if self.community is None:
            return None
        users = await find_members_by_name(self.community.id, self.event.channel.platform, name)
        if not users and self.speakers is not None:
            # Someone who only chatted here: stored now, the first time a command needs them.
            keys = list(dict.fromkeys([self.event.channel.key, *(c.key for c in await self.channels())]))
            for ref in self.speakers.find(keys, name):
                user = await user_for(ref)
                await membership_for(self.community.id, user.id)
                users.append(user)
        if len(users) > 1:
            raise Refusal(N_("Several people here are called {value}; use their @username, or tap their name "
                             "to mention them."), usage=True, value=raw)
        return users[0] if users else None

    async def is_member(self, user_id: int) -> bool:
        """Whether ``user_id`` belongs to this community: an id typed or pressed from elsewhere means nobody."""
        return self.community is not None and await Membership.exists(community_id=self.community.id,
                                                                      user_id=user_id)

    async def _preferred_channels(self) -> list[ChannelRef]:
        here = [] if self.event.channel.is_direct else [self.event.channel]
        others = await self.channels() if self.community_id_ is not None else []
        return here + [c for c in others if c.key != self.event.channel.key]

    async def latin_commands_only(self) -> bool:
        """Also where the command came from (a private chat is on one platform, its community on others)."""
        return self.host.latin_commands_only(self.event.channel.platform) or await super().latin_commands_only()

    # -- answering ---------------------------------------------------------------------------------
    def reply(self, text: str, *, buttons: Buttons = (), private: bool | None = None,
              files: Sequence[OutgoingFile] = (), asks: bool = False) -> None:
        """Answer in the chat the command came from (``private``: to the asker alone, by default when
        :attr:`private_answers` is set; ``asks``: a question whose answer is the person's next plain message)."""
        private = self.private_answers if private is None else private
        self.uow.send(
            OutgoingMessage(
                channel=self.event.channel,
                text=text,
                buttons=_frozen_buttons(buttons),
                reply_to_message_id=None if private else self.event.message_id,
                private_to=self.event.sender if private else None,
                sensitive=private,
                files=tuple(files),
                asks=asks,
            )
        )
