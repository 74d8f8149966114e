"""What a plugin's code runs in: one community, one transaction, and the services a plugin may use.

Command handlers get a :class:`core.context.CommandContext` and jobs a :class:`core.scheduler.JobContext`;
both are a :class:`Scope`, so a plugin speaks the same way from either (the claims reminder sent by a job
reads like a reply to a command). Nothing is sent before the transaction commits: messages go to the unit
of work's outbox. The scope reaches the core only through :class:`ScopeHost`, a narrow interface; it
never hands a plugin the application.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from core.audit import AuditNote
from core.audit import record as audit_record
from core.events import AwardingEvent, Button, ChannelRef, DomainEvent, IdentityRef, OutgoingFile, OutgoingMessage
from core.i18n import Translator
from core.identity import Channel, Identity, cached_group_chats
from core.refusal import Hint, Person, Plural, Refusal
from core.topics import thread_for
from core.unit_of_work import UnitOfWork

SettingsT = TypeVar("SettingsT", bound=BaseModel)
Buttons = Sequence[Sequence[Button]]


class ScopeHost(Protocol):
    """The core's services behind a scope (implemented by :class:`core.services.PluginServices`)."""

    def now(self) -> datetime: ...

    @property
    def timezone(self) -> ZoneInfo: ...

    def translator(self, language: str | None, plugin: str | None = None) -> Translator: ...

    def plugin_settings(self, plugin: str, model: type[SettingsT], community_id: int | None = None) -> SettingsT: ...

    async def render_names(self, community_id: int | None, user_ids: list[int]) -> dict[int, str]: ...

    async def has_badge(self, community_id: int, user_id: int, badge: str) -> bool: ...

    async def verifiable_badges(self, community_id: int) -> frozenset[str]: ...

    async def schedule(self, plugin: str, job: str, at: datetime, *, key: str, community_id: int | None,
                       payload: dict[str, Any]) -> None: ...

    async def cancel_job(self, plugin: str, key: str) -> None: ...

    def command_spelling(self, name: str, language: str, latin_only: bool) -> str: ...

    def latin_commands_only(self, platform: str) -> bool: ...


def _frozen_buttons(buttons: Buttons) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in buttons)


COMMUNITY_MARK = re.compile(r"^c(\d{1,10}):(?=/)")


def community_mark(data: str) -> tuple[int | None, str]:
    """A button of a private notice carries its community (``c3:/done 1``), because a private chat with the
    bot belongs to no community; returns the community id (or None) and the command."""
    found = COMMUNITY_MARK.match(data)
    return (int(found.group(1)), data[found.end():]) if found else (None, data)


def _marked(buttons: Buttons, community_id: int | None) -> tuple[tuple[Button, ...], ...]:
    if community_id is None:
        return _frozen_buttons(buttons)
    return tuple(tuple(Button(b.label, f"c{community_id}:{b.data}") for b in row) for row in buttons)


@dataclass
class Scope:
    host: ScopeHost
    uow: UnitOfWork
    t: Translator
    community_id_: int | None = None
    plugin: str = "core"
    _channels: list[ChannelRef] | None = field(default=None, repr=False)
    #: Set by the router while a command runs: what ``audit()`` adds to the command's audit row.
    audit_note: AuditNote | None = field(default=None, repr=False)

    # -- where and when ----------------------------------------------------------------------------
    @property
    def has_community(self) -> bool:
        """False for a job that runs for no particular community, or a command in an unbound chat."""
        return self.community_id_ is not None

    @property
    def community_id(self) -> int:
        if self.community_id_ is None:
            raise RuntimeError("this needs a community, but there is none here")
        return self.community_id_

    def now(self) -> datetime:
        return self.uow.now

    @property
    def timezone(self) -> ZoneInfo:
        """The installation's time zone: how people in the chat read dates and times."""
        return self.host.timezone

    def local_day(self) -> date:
        """Today in the installation's time zone: what 'today' means to the people in the chat."""
        return self.now().astimezone(self.timezone).date()

    def when(self, moment: datetime) -> str:
        """A date (and the time, unless it is the end of the day) as people in the chat read it."""
        local = moment.astimezone(self.timezone)
        if local.year == self.now().astimezone(self.timezone).year:
            day = self.t("{month}/{day}", month=local.month, day=local.day)
        else:
            day = self.t("{year}/{month}/{day}", year=local.year, month=local.month, day=local.day)
        return day if (local.hour, local.minute) == (23, 59) else f"{day} {local:%H:%M}"

    def settings(self, model: type[SettingsT]) -> SettingsT:
        """This plugin's settings for this community: settings.toml ``[plugin.<name>]`` and /config changes."""
        return self.host.plugin_settings(self.plugin, model, self.community_id_)

    # -- people ------------------------------------------------------------------------------------
    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Display names with every enabled plugin's marks (🚩…): the one way names are shown."""
        return await self.host.render_names(self.community_id_, list(dict.fromkeys(user_ids)))

    async def name(self, user_id: int) -> str:
        return (await self.names([user_id]))[user_id]

    async def name_list(self, user_ids: Iterable[int]) -> str:
        ids = list(dict.fromkeys(user_ids))
        names = await self.names(ids)
        return self.t(", ").join(names[i] for i in ids)

    async def has_badge(self, user_id: int, badge: str) -> bool:
        """Whether the person holds a verified badge (e.g. "party_member"), asked of the plugins that grant them."""
        return await self.host.has_badge(self.community_id, user_id, badge)

    async def verifiable_badges(self) -> frozenset[str]:
        """The badges some plugin enabled here can verify (``"party_member"``…): an option that needs a badge
        nobody can grant should be refused, not offered."""
        return await self.host.verifiable_badges(self.community_id)

    async def render(self, message: str, values: dict[str, Any]) -> str:
        """Translate ``message`` with ``values`` shown as people read them (names, dates, plurals)."""
        shown: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, Person):
                value = await self.name(value.user_id)
            elif isinstance(value, datetime):
                value = self.when(value)
            elif isinstance(value, Plural):
                value = self.t.n(value.singular, value.plural, value.count)
            elif isinstance(value, Hint):
                value = await self.hint(value.command, *value.args)
            shown[key] = value
        return self.t(message, **shown)

    async def refusal_text(self, refusal: Refusal) -> str:
        return await self.render(refusal.message, refusal.values)

    # -- hints -------------------------------------------------------------------------------------
    async def channels(self) -> list[ChannelRef]:
        """The community's group chats, on every platform."""
        if self._channels is None:
            rows = await Channel.filter(community_id=self.community_id, is_direct=False).order_by("id")
            self._channels = [row.ref() for row in rows]
        return self._channels

    async def latin_commands_only(self) -> bool:
        """Whether only ``/latin`` commands reach the bot where this scope's words are read (Telegram groups
        in privacy mode): then the bot must not suggest ``/认领``, nor list it in /help.

        Asked by every reply that suggests a command, so the chats come from the identity cache (a chat
        another worker process just bound may be missing for up to ``plugins.refresh_seconds``: a hint
        spelled the other way, never a message not sent — announcements read :meth:`channels`)."""
        if self.community_id_ is None:
            return False
        chats = await cached_group_chats(self.community_id, self.uow.on_commit)
        return any(self.host.latin_commands_only(p) for p in {c.platform for c in chats})

    async def hint(self, command: str, *args: object) -> str:
        """A command the bot suggests (``/认领 1``), spelled so that it reaches the bot wherever it is read:
        ``/claim 1`` where only Latin commands are delivered (Telegram groups in privacy mode)."""
        spelled = self.host.command_spelling(command, self.t.language, await self.latin_commands_only())
        return " ".join([f"/{spelled}", *(str(a) for a in args)])

    # -- saying ------------------------------------------------------------------------------------
    async def announce(self, text: str, *, buttons: Buttons = (), files: Sequence[OutgoingFile] = (),
                       kind: str | None = None) -> None:
        """Post to every chat bound to this community (a community may live on several platforms).

        ``kind`` says what is announced (``"projects"``, ``"results"``, ``"hours"``, ``"certificates"``): it goes
        to the thread an organizer chose for it there (a Telegram forum topic, :mod:`core.topics`)."""
        for channel in await self.channels():
            target = await thread_for(channel, kind, self.now())
            self.uow.send(OutgoingMessage(channel=target, text=text, buttons=_frozen_buttons(buttons),
                                          files=tuple(files)))

    async def notify(self, user_id: int, text: str, *, buttons: Buttons = (), sensitive: bool = False,
                     files: Sequence[OutgoingFile] = (), private_only: bool = False) -> bool:
        """Tell one person privately: a direct message where the platform allows it and they can be reached.

        Otherwise a harmless notice becomes a mention in the group; a ``sensitive`` one (badges,
        certificates, personal data) only a prompt there to open a private chat with the bot, never the
        content; a ``private_only`` one not at all. False when the person has no account on any of the
        community's platforms.
        """
        target = await self._private_target(user_id)
        if target is None:
            return False
        channel, identity = target
        self.uow.send(OutgoingMessage(channel=channel, text=text, buttons=_marked(buttons, self.community_id_),
                                      private_to=identity, sensitive=sensitive, files=tuple(files),
                                      private_only=private_only))
        return True

    async def _private_target(self, user_id: int) -> tuple[ChannelRef, IdentityRef] | None:
        identities = {i.platform: i for i in await Identity.filter(user_id=user_id)}
        for channel in await self._preferred_channels():
            identity = identities.get(channel.platform)
            if identity is not None:
                return channel, IdentityRef(identity.platform, identity.platform_user_id, identity.display_name,
                                            identity.username)
        return None

    async def _preferred_channels(self) -> list[ChannelRef]:
        return await self.channels() if self.community_id_ is not None else []

    def publish(self, event: DomainEvent) -> None:
        """Publish a domain event; it is handled in this same transaction, after this handler.

        Awards are stamped with this plugin's name, so the ledger says where points came from.
        """
        if isinstance(event, AwardingEvent) and not event.source_plugin:
            event = dataclasses.replace(event, source_plugin=self.plugin)
        self.uow.publish(event)

    # -- the audit log -----------------------------------------------------------------------------
    async def audit(self, action: str | None = None, *, target: int | str | None = None, reason: str = "",
                    **details: Any) -> None:
        """Say what a privileged step did, for the audit log (``/audit``): ``target`` is the person acted on
        (a user id) or what else (``"record #12"``), ``reason`` the reason given.

        In a command, this completes the one row the router writes when the command succeeds (and makes a
        command anyone may send, such as a verifier's ``/badge verify``, recorded); in a job, it writes a row.
        Without ``action`` the command's own path and arguments stay (``ctx.audit(target=member)`` only says
        whom ``/approve 12`` was about, so ``/audit @member`` finds it).
        """
        person = target if isinstance(target, int) and not isinstance(target, bool) else None
        text = target if isinstance(target, str) else ""
        if self.audit_note is not None:
            note = self.audit_note
            note.asked, note.action, note.reason = True, action or note.action, reason or note.reason
            note.plugin = self.plugin
            note.target_user_id = person if person is not None else note.target_user_id
            note.target = text or note.target
            note.details.update(details)
            return
        await audit_record(community_id=self.community_id_, plugin=self.plugin, action=action or self.plugin,
                           target_user_id=person, target=text, details=details, reason=reason, at=self.now())

    # -- later -------------------------------------------------------------------------------------
    async def schedule(self, job: str, at: datetime, *, key: str, payload: dict[str, Any] | None = None) -> None:
        """Run this plugin's job ``job`` once at ``at`` for this community; the same ``key`` moves it."""
        await self.host.schedule(self.plugin, job, at, key=key, community_id=self.community_id_,
                                 payload=payload or {})

    async def cancel(self, key: str) -> None:
        """Drop a one-shot job scheduled with ``key`` (nothing happens if it already ran)."""
        await self.host.cancel_job(self.plugin, key)
