"""The contract between the core and a chat platform: :class:`Adapter`, and the :class:`AdapterHost` it uses.

An adapter knows its platform and nothing of plugins, the router or the core's tables. Inbound, it turns
each platform update into a :class:`core.events.MessageReceived` with a stable ``event_id``
(``"<platform>:<update id>"``) and hands a fetched batch to :meth:`AdapterHost.accept_batch`, which
returns once the batch is stored in the core's inbox (so the adapter may acknowledge it to the platform and
fetch the next at once); :meth:`AdapterHost.receive` instead returns once one event's effects are
committed. Outbound,
:meth:`Adapter.send` renders an :class:`core.events.OutgoingMessage` as the platform can: buttons as an
inline keyboard on Telegram, numbered text elsewhere; files as uploads or saved files. The core calls
``send`` from its outbox (:mod:`core.delivery`), one message at a time per chat, and deletes the stored
message only when ``send`` returns: so ``send`` returns once the platform has accepted the message, raises
:class:`RetryLater` for a failure another try may fix, and raises anything else for a refusal for good.

Adapters are found by name in the entry-point group ``linli.adapters``: each entry point is an
:class:`AdapterSpec`, which names the settings section the adapter owns (``[telegram]``) and its pydantic
model, and builds the adapter only when it is used (so a missing optional library is reported as one
line naming the extra to install).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from core.events import MessageReceived, OutgoingMessage
from core.i18n import Translator

if TYPE_CHECKING:
    from core.web import WebRoute

ENTRY_POINT_GROUP = "linli.adapters"


class RetryLater(Exception):
    """``Adapter.send`` could not deliver now, and another try may work (a network error, a 5xx, a 429).

    ``after``: how long the platform asked us to wait (seconds), else the core backs off on its own.
    ``uncertain``: the request may have reached the platform although its answer was lost (a read
    timeout), so the message may already show; the core waits its longest pause (``delivery.retry_cap``)
    before the next try, so a short loss of answers costs at most one extra copy.
    """

    def __init__(self, reason: str, *, after: float | None = None, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.after = after
        self.uncertain = uncertain


@dataclass(frozen=True)
class MenuEntry:
    """One command as a platform's command menu lists it."""

    name: str
    description: str
    #: The least role that may use it (``core.permissions.Role`` value): a platform may list organizers'
    #: commands to chat admins only (Telegram's ``BotCommandScopeChatAdministrators``).
    role: str = "resident"


class AdapterHost(Protocol):
    """Everything an adapter may ask of the core."""

    async def receive(self, event: MessageReceived) -> bool:
        """Handle ``event`` and return once its effects are committed; False if it was handled before."""
        ...

    async def accept_batch(self, events: Sequence[MessageReceived], *,
                           awaited: Collection[str] = ()) -> dict[str, asyncio.Future[bool]]:
        """Store a fetched batch durably (one insert; an event stored before is ignored) and return once
        that is committed: the adapter then acknowledges the whole batch to the platform and fetches again
        at once. The core handles the events afterwards, per community, in order (:mod:`core.inbox`).
        Raises when the batch could not be stored (the database is away): acknowledge nothing, fetch it
        again later. For the event ids in ``awaited`` (button presses to answer after their commit):
        futures that resolve once each is handled (False: it had been handled before)."""
        ...

    async def drain(self) -> None:
        """Wait until every event accepted so far has been handled and its replies delivered, for at most
        ``delivery.drain_seconds`` (what is not delivered by then stays in the outbox for the next start)."""
        ...

    def translator(self, language: str | None) -> Translator:
        """The core's strings in ``language`` (adapters' own strings live in the core's catalogue)."""
        ...

    def knows_command(self, name: str) -> bool:
        """Whether some plugin answers ``/name`` (e.g. whether ``/start`` needs a stand-in)."""
        ...

    async def command_menus(self, platform: str, language: str | None) -> dict[str | None, list[MenuEntry]]:
        """The commands to list, for a new community (key ``None``) and for each of this platform's chats
        (by chat id) whose community offers something else, in ``language`` (None: the installation's for a
        new community, each community's own for its chats)."""
        ...

    async def member_roles(self, platform: str) -> dict[str, dict[str, list[str]]]:
        """The roles above resident held in the communities of this platform's chats: chat id → the
        platform's account id → roles (for menus by person, Telegram's ``BotCommandScopeChatMember``)."""
        ...

    async def move_channel(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """A chat got a new id (a Telegram group became a supergroup): its community moves along."""
        ...

    async def state_get(self, namespace: str, key: str) -> Any:
        """A value this adapter stored (offsets, sync tokens, long button payloads); None when absent."""
        ...

    async def state_put(self, namespace: str, key: str, value: Any, *, expires_at: datetime | None = None) -> None:
        """Store a small JSON value that survives restarts; it is dropped after ``expires_at``."""
        ...

    def now(self) -> datetime: ...

    @property
    def web_enabled(self) -> bool:
        """Whether linli's web server runs (a webhook needs it)."""
        ...

    @property
    def refresh_seconds(self) -> float:
        """How often state changed by another process (plugin states, menus) is looked at again."""
        ...


class Adapter(ABC):
    #: The platform name used in identities, channels and event ids.
    platform: str = ""
    #: Commands reach the bot only when spelled in Latin letters (Telegram groups in privacy mode), so the
    #: bot's own hints must use ``/claim 1``, never ``/认领 1``.
    latin_commands_only: bool = False

    def __init__(self, host: AdapterHost) -> None:
        self.host = host

    @abstractmethod
    async def start(self) -> None:
        """Connect and start receiving; return once receiving has started."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; messages already accepted by the core are still handled and sent."""

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver ``message`` and return once the platform accepted it (its message id, when known).

        Raise :class:`RetryLater` when another try may succeed; any other exception means the platform
        refused the message for good (it is logged and not tried again)."""

    def web_routes(self) -> list[WebRoute]:
        """Routes the adapter needs on linli's web server (a webhook), with absolute paths."""
        return []

    async def fetch_attachment(self, ref: str) -> bytes:
        """The bytes of a file a user sent (``Attachment.ref``), fetched only when a plugin needs them."""
        raise NotImplementedError(f"the {self.platform or type(self).__name__} adapter cannot fetch attachments")

    async def commands_changed(self) -> None:  # noqa: B027 - optional for adapters
        """The set of enabled commands changed (e.g. to refresh Telegram's command menu)."""

    async def run_until_done(self) -> None:
        """Block until the adapter has nothing more to do; interactive adapters never are."""
        await asyncio.Event().wait()


AdapterFactory = Callable[..., Adapter]


@dataclass(frozen=True)
class AdapterSpec:
    """What the entry point of an adapter declares.

    ``section`` is the adapter's own table in settings.toml (and ``LINLI_<SECTION>__…`` variables),
    validated by ``settings_model``; ``secrets`` are keys of that section accepted only from the
    environment. ``create(host, settings, **options)`` imports the platform library and builds the adapter
(the runner passes ``stdin``/``stdout`` as options, for adapters that speak through a terminal).
    """

    name: str
    create: AdapterFactory
    settings_model: type[BaseModel] | None = None
    secrets: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.name


def installed_adapters() -> dict[str, AdapterSpec]:
    """Every adapter registered in the ``linli.adapters`` entry-point group, by name."""
    found: dict[str, AdapterSpec] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        spec = entry_point.load()
        if not isinstance(spec, AdapterSpec):
            raise RuntimeError(f"adapter entry point {entry_point.name!r} ({entry_point.value}) is not an AdapterSpec")
        found[spec.name] = spec
    return found
