"""The public plugin API: everything a plugin (built-in or third-party) may import from linli.

Import from here, not from core internals, so the core can change inside without breaking plugins. A
plugin's code runs in a :class:`Scope` (a :class:`CommandContext` for commands, a :class:`JobContext` for
jobs), says no by raising :class:`Refusal`, and talks to other plugins only through events and hooks.
See ``docs/architecture.md`` and ``docs/plugins.md``.
"""

from core.arguments import Arg, Choice, Date, Int, Mention, Offer, Rest, Text, when
from core.audit import audited, reads
from core.bus import Subscription
from core.cli import CliCommand, CliContext
from core.commands import Command, command, group, parse_line, sub
from core.config import env_secret
from core.context import CommandContext
from core.corrections import AwardsReversed, Correction, Reversal
from core.events import (
    Attachment,
    AwardingEvent,
    Button,
    ChannelRef,
    DomainEvent,
    IdentityRef,
    MessageReceived,
    OutgoingFile,
    OutgoingMessage,
    PluginToggled,
    PointsAward,
    PointsBooked,
)
from core.hookspecs import hookimpl
from core.households import households_of, verified_households
from core.i18n import N_, NP_
from core.identity import User
from core.manifest import PluginManifest
from core.permissions import Role
from core.points import PointsEntry, balance_of, is_booked
from core.refusal import Hint, Person, Plural, Refusal
from core.rosters.kinds import Column as RosterColumn
from core.rosters.kinds import Outcome as RosterOutcome
from core.rosters.kinds import RosterKind, RosterScope
from core.scheduler import JobContext, JobSpec
from core.scope import Scope
from core.secrets import register_secret
from core.storage import execute, fetch, fetch_models, for_update, placeholders
from core.unit_of_work import UnitOfWork
from core.web import WebRoute
from core.web.charts import ChartGuide, ChartPoint, ChartSeries, bar_chart, line_chart
from core.web.dates import board_date
from core.web.pages import WebPage, WebScope

__all__ = [
    "NP_",
    "N_",
    "Arg",
    "Attachment",
    "AwardingEvent",
    "AwardsReversed",
    "Button",
    "ChannelRef",
    "ChartGuide",
    "ChartPoint",
    "ChartSeries",
    "Choice",
    "CliCommand",
    "CliContext",
    "Command",
    "CommandContext",
    "Correction",
    "Date",
    "DomainEvent",
    "Hint",
    "IdentityRef",
    "Int",
    "JobContext",
    "JobSpec",
    "Mention",
    "MessageReceived",
    "Offer",
    "OutgoingFile",
    "OutgoingMessage",
    "Person",
    "PluginManifest",
    "PluginToggled",
    "Plural",
    "PointsAward",
    "PointsBooked",
    "PointsEntry",
    "Refusal",
    "Rest",
    "Reversal",
    "Role",
    "RosterColumn",
    "RosterKind",
    "RosterOutcome",
    "RosterScope",
    "Scope",
    "Subscription",
    "Text",
    "UnitOfWork",
    "User",
    "WebPage",
    "WebRoute",
    "WebScope",
    "audited",
    "balance_of",
    "bar_chart",
    "board_date",
    "command",
    "env_secret",
    "execute",
    "fetch",
    "fetch_models",
    "for_update",
    "group",
    "hookimpl",
    "households_of",
    "is_booked",
    "line_chart",
    "parse_line",
    "placeholders",
    "reads",
    "register_secret",
    "sub",
    "verified_households",
    "when",
]
