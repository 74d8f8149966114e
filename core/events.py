"""The events that flow over the bus: platform-neutral messages in, domain facts between plugins.

Adapters produce :class:`MessageReceived`; plugins publish domain events (subclasses of
:class:`DomainEvent`). Everything is a frozen dataclass so a subscriber cannot change what the next
one sees, and so an event can be serialised for a broker-backed bus later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class IdentityRef:
    """Who, as the platform knows them."""

    platform: str
    user_id: str
    display_name: str
    username: str | None = None
    #: The platform says this account administers the chat (Telegram creator/administrator, console admin).
    is_chat_admin: bool = False
    language: str | None = None
    #: Not a person: the chat's admins writing anonymously as the chat (Telegram's GroupAnonymousBot). Served
    #: only for commands that need no person (``Command.needs_person``), never made organizer.
    as_group: bool = False
    #: The platform cannot tell yet whether this account administers the chat (its admin list is still
    #: loading): ``is_chat_admin`` is then False, and what only a chat admin may do asks to try again.
    admin_unknown: bool = False


@dataclass(frozen=True)
class ChannelRef:
    """Where: a group chat, a room, or a private chat with the bot."""

    platform: str
    chat_id: str
    title: str = ""
    is_direct: bool = False
    #: A thread inside the chat (a Telegram forum topic): replies go back into it. Optional everywhere; the
    #: chat's binding to a community is per chat (``key``), never per thread.
    thread_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Attachment:
    """A file the user sent; ``ref`` is the platform's handle, fetched lazily by the adapter."""

    kind: str  # "photo", "file"
    ref: str
    caption: str | None = None


@dataclass(frozen=True)
class Button:
    """A button under a bot message; pressing it sends ``data`` back as a :class:`MessageReceived`."""

    label: str
    data: str


@dataclass(frozen=True)
class Event:
    """Base of all events. ``event_id`` is set for platform events: the bus handles each id once."""

    def partition_key(self) -> str:
        """Events with the same key are handled strictly in order."""
        return "global"


@dataclass(frozen=True)
class MessageReceived(Event):
    """A user said something, or pressed one of our buttons (``button_data`` set)."""

    event_id: str
    channel: ChannelRef
    sender: IdentityRef
    text: str = ""
    message_id: str | None = None
    mentions: tuple[IdentityRef, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    button_data: str | None = None
    #: The platform's handle for answering a button press (Telegram's callback query id).
    button_token: str | None = None
    #: The user edited their earlier message ``message_id`` into this text (each edit has its own event id).
    edited: bool = False
    #: The platform lets people edit this message later (Telegram): the core then remembers whether its
    #: command did something (core.edits); elsewhere nothing is written for it.
    editable: bool = False
    reply_to_message_id: str | None = None
    received_at: datetime | None = None
    #: Set by the core (:mod:`core.inputs`) when the text was longer than ``bus.max_message_chars``: that
    #: limit. ``text`` then holds only its first characters, and the router refuses it unread.
    over_limit: int | None = None

    def partition_key(self) -> str:
        return f"channel:{self.channel.key}"


@dataclass(frozen=True)
class OutgoingFile:
    """A file the bot sends: a photo, or a document (PDF, CSV, XLSX)."""

    filename: str
    data: bytes
    kind: str = "document"  # or "photo"
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingMessage:
    """What a plugin wants said.

    ``private_to`` makes it a private notice to that person, sent as a direct message where the platform
    can; ``channel`` is then the group it concerns, where a notice that cannot be delivered privately
    falls back to: the notice itself with a mention, or, when ``sensitive``, only a prompt to open a
    private chat with the bot. ``popup_for`` answers a button press (its ``button_token``) with a pop-up
    instead of a message, where the platform still can.
    """

    channel: ChannelRef
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to_message_id: str | None = None
    private_to: IdentityRef | None = None
    sensitive: bool = False
    #: A private notice that must not surface in the group at all, not even as a prompt to open a chat
    #: (a ratings reminder: the prompt alone would tell the group who has not rated): dropped if it
    #: cannot go privately.
    private_only: bool = False
    popup_for: str | None = None
    files: tuple[OutgoingFile, ...] = ()
    #: A question the person answers with a plain message (a dialog step): a platform that delivers only
    #: commands to the bot (Telegram groups in privacy mode) asks for a reply to this message instead.
    asks: bool = False
    #: Edit this earlier bot message instead of sending a new one, where the platform can.
    edit_message_id: str | None = None
    #: Stable id so a platform that supports it (Matrix txn id) sends it once.
    dedupe_key: str | None = None


@dataclass(frozen=True)
class DomainEvent(Event):
    """A fact a plugin established inside a committed transaction.

    ``event_name`` is the stable name (``"claims.claim_verified"``): another plugin subscribes to it by
    that name, without importing the plugin that publishes it.
    """

    event_name: ClassVar[str] = ""

    community_id: int

    def partition_key(self) -> str:
        return f"community:{self.community_id}"


@dataclass(frozen=True)
class PointsAward:
    """Points a domain event is worth to someone; ``source_key`` makes the award idempotent."""

    user_id: int
    delta: int
    reason: str
    source_key: str


@dataclass(frozen=True)
class AwardingEvent(DomainEvent):
    """A domain event that earns points; the core points service books :meth:`awards`."""

    source_plugin: str = ""

    def awards(self) -> list[PointsAward]:
        return []


@dataclass(frozen=True)
class PluginToggled(DomainEvent):
    event_name: ClassVar[str] = "core.plugin_toggled"

    plugin: str
    enabled: bool
    by_user_id: int | None = None


@dataclass(frozen=True)
class CommunityCreated(DomainEvent):
    event_name: ClassVar[str] = "core.community_created"

    name: str
    organizer_user_id: int


@dataclass(frozen=True)
class RoleChanged(DomainEvent):
    event_name: ClassVar[str] = "core.role_changed"

    user_id: int
    role: str
    granted: bool
    by_user_id: int | None = None


@dataclass(frozen=True)
class LanguageChanged(DomainEvent):
    """A community speaks another language now (``/language``): menus and texts follow it."""

    event_name: ClassVar[str] = "core.language_changed"

    language: str
    by_user_id: int | None = None


@dataclass(frozen=True)
class PointsBooked(DomainEvent):
    """The ledger accepted an entry (published once per entry, never for a duplicate award)."""

    event_name: ClassVar[str] = "core.points_booked"

    user_id: int
    delta: int
    reason: str
    source_key: str
    balance: int = 0
