"""The contract between the core and a chat platform.

An adapter knows its platform and nothing of plugins. Inbound, it turns each platform update into a
:class:`core.events.MessageReceived` with a stable ``event_id`` (``"<platform>:<update id>"``) and hands it
to :meth:`core.app.Application.receive`. Outbound, :meth:`Adapter.send` renders an
:class:`core.events.OutgoingMessage` as the platform can: buttons as an inline keyboard on Telegram,
as a numbered text fallback elsewhere. ``send`` may queue (flood control) but must keep the order of
messages to one chat.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from core.events import OutgoingMessage

if TYPE_CHECKING:
    from core.app import Application
    from core.web import WebRoute


class Adapter(ABC):
    #: The platform name used in identities, channels and event ids.
    platform: str = ""

    def __init__(self, app: Application) -> None:
        self.app = app

    @abstractmethod
    async def start(self) -> None:
        """Connect and start receiving; return once receiving has started."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; messages already accepted by the core are still handled and sent."""

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> str | None:
        """Send (or queue) a message; returns the platform's message id when known."""

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
