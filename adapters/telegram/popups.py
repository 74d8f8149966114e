"""Answers to button presses: a pop-up on the button instead of a message in the group.

Telegram shows a spinner on a pressed button until the bot answers the callback query
(``answerCallbackQuery``); the answer can carry a short text, shown as an alert with ``show_alert``.
The core says "answer this press with a pop-up" by an :class:`core.events.OutgoingMessage` whose
``popup_for`` is the press's ``button_token`` (a refusal: "only organizers can verify"). Such a message
is known only once the press's event is committed, so the adapter answers the query after
:meth:`core.adapter.AdapterHost.receive` returned, never before: :class:`Popups` holds what the core said
for each press in flight until then.
"""

from __future__ import annotations

from core.events import OutgoingMessage

#: Telegram's limit for the text of a callback answer, in characters.
ALERT_LIMIT = 200


class Popups:
    """The pop-ups the core produced for button presses whose events are still being handled."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[str]] = {}

    def expect(self, token: str) -> None:
        """A press (its callback query id) is handed to the core; pop-ups for it are held."""
        self._waiting[token] = []

    def offer(self, message: OutgoingMessage) -> bool:
        """Hold ``message`` if it is a pop-up for a press in flight; False if it must go another way."""
        texts = self._waiting.get(message.popup_for or "")
        if texts is None:
            return False
        if message.text.strip():
            texts.append(message.text.strip())
        return True

    def take(self, token: str) -> str | None:
        """The pop-up text for a press whose event is done, if the core asked for one."""
        texts = self._waiting.pop(token, None)
        return "\n".join(texts) if texts else None


def alert_text(text: str, limit: int = ALERT_LIMIT) -> str:
    """``text`` cut to what an alert can show."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
