"""The public plugin API: everything a plugin (built-in or third-party) may import from linli.

Import from here, not from core internals, so the core can change inside without breaking plugins.
"""

from core.arguments import Arg, ArgError, Choice, Date, Int, Mention, Rest, Text, when
from core.bus import Subscription
from core.commands import Command, command, parse_line
from core.context import CommandContext
from core.events import (
    Attachment,
    AwardingEvent,
    Button,
    ChannelRef,
    DomainEvent,
    IdentityRef,
    MessageReceived,
    OutgoingMessage,
    PluginToggled,
    PointsAward,
    PointsBooked,
)
from core.hookspecs import hookimpl
from core.i18n import N_
from core.identity import Channel, Community, User
from core.manifest import PluginManifest
from core.permissions import Role
from core.points import PointsEntry, balance_of
from core.scheduler import JobContext, JobSpec
from core.unit_of_work import UnitOfWork
from core.web import WebRoute

__all__ = [
    "N_",
    "Arg",
    "ArgError",
    "Attachment",
    "AwardingEvent",
    "Button",
    "Channel",
    "ChannelRef",
    "Choice",
    "Command",
    "CommandContext",
    "Community",
    "Date",
    "DomainEvent",
    "IdentityRef",
    "Int",
    "JobContext",
    "JobSpec",
    "Mention",
    "MessageReceived",
    "OutgoingMessage",
    "PluginManifest",
    "PluginToggled",
    "PointsAward",
    "PointsBooked",
    "PointsEntry",
    "Rest",
    "Role",
    "Subscription",
    "Text",
    "UnitOfWork",
    "User",
    "WebRoute",
    "balance_of",
    "command",
    "hookimpl",
    "parse_line",
    "when",
]
