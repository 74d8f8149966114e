"""Incoming events made safe at the core's door, once for every adapter and every database.

What people type reaches linli through adapters the core does not control (Telegram, Matrix, the console,
future ones), and goes on into parsers, databases and other people's chats. So the core, not each adapter,
cleans every string of a :class:`core.events.MessageReceived` before anything reads it
(:meth:`core.services.AdapterServices.receive`):

* **Control characters are removed**: NUL (which PostgreSQL refuses in text, so one NUL in a display name
  used to lock that person out of every command), the other C0 and C1 controls, DEL, and lone surrogates
  (which cannot be encoded as UTF-8 at all). In message text, tab and line breaks are harmless and kept;
  a carriage return, vertical tab, form feed or NEL becomes a line break. Everything else stays,
  including the zero-width joiners emoji and some scripts need.
* **Names and titles are one line**: in display names, usernames and chat titles, tabs and line breaks
  become spaces and the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are removed, so
  a name cannot turn the rest of a bot message around when it is quoted. They are cut to what the core
  stores (:data:`MAX_NAME_CHARS`, :data:`MAX_TITLE_CHARS`); a name left empty falls back to the username
  or the account id.
* **Text longer than the limit is not read** (``bus.max_message_chars``): the event keeps only the first
  :data:`HEAD_CHARS` characters, enough for the router to tell a command from chatter, and ``over_limit``
  says the limit; the router refuses it before any parsing. Checking a length costs nothing, so a 1 MB
  line costs no more than a short one.

Identifiers (event, message, chat and account ids, button tokens, file references) lose their control
characters too, and nothing else: they come from the platform, not from a person.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from core.events import Attachment, ChannelRef, IdentityRef, MessageReceived

#: What the core stores of a display name or username (``core.identity``).
MAX_NAME_CHARS = 128
#: What the core stores of a chat title.
MAX_TITLE_CHARS = 256
#: What is kept of a message over the limit: enough to see whether it is a command.
HEAD_CHARS = 64

#: C0 controls but tab and line feed, DEL, C1 controls, lone surrogates.
_TEXT_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: Line breaks other than LF: CR (alone or before LF), VT, FF, NEL.
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85]")
#: For one-line strings: every control (tab and line feed too), surrogates, bidirectional controls.
_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_LINE_SPACES = re.compile("[\t\n\r\x0b\x0c\x85]+")
_ID_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Message text without control characters; tabs and line breaks kept (other breaks become LF)."""
    if _TEXT_UNSAFE.search(text) is None:
        return text
    return _TEXT_UNSAFE.sub("", _BREAKS.sub("\n", text))


def clean_line(text: str, limit: int) -> str:
    """A name or title: one line, no controls, no bidirectional overrides, at most ``limit`` characters."""
    if len(text) <= limit and _LINE_UNSAFE.search(text) is None:
        return text
    return _LINE_UNSAFE.sub("", _LINE_SPACES.sub(" ", text[: limit * 2])).strip()[:limit]


def clean_id(value: str) -> str:
    if _ID_UNSAFE.search(value) is None:
        return value
    return _ID_UNSAFE.sub("", value)


def clean_identity(ref: IdentityRef) -> IdentityRef:
    user_id = clean_id(ref.user_id)
    username = clean_line(ref.username, MAX_NAME_CHARS) if ref.username is not None else None
    display_name = clean_line(ref.display_name, MAX_NAME_CHARS) or username or user_id
    language = clean_id(ref.language) if ref.language is not None else None
    if (user_id, username, display_name, language) == (ref.user_id, ref.username, ref.display_name, ref.language):
        return ref
    return replace(ref, user_id=user_id, username=username or None, display_name=display_name, language=language)


def clean_channel(ref: ChannelRef) -> ChannelRef:
    chat_id, title = clean_id(ref.chat_id), clean_line(ref.title, MAX_TITLE_CHARS)
    if (chat_id, title) == (ref.chat_id, ref.title):
        return ref
    return replace(ref, chat_id=chat_id, title=title)


def clean_attachment(attachment: Attachment, max_chars: int) -> Attachment:
    caption = attachment.caption
    cleaned = clean_text(caption[:max_chars]) if caption is not None else None
    kind, ref = clean_id(attachment.kind), clean_id(attachment.ref)
    if (kind, ref, cleaned) == (attachment.kind, attachment.ref, caption):
        return attachment
    return replace(attachment, kind=kind, ref=ref, caption=cleaned)


def _optional_id(value: str | None) -> str | None:
    return clean_id(value) if value is not None else None


def clean_event(event: MessageReceived, max_chars: int) -> MessageReceived:
    """``event`` with every string made safe (see the module docstring); the same object when nothing
    needed cleaning, so the common case copies nothing."""
    over_limit: int | None = event.over_limit
    if len(event.text) > max_chars:
        text, over_limit = clean_text(event.text[:HEAD_CHARS]), max_chars
    else:
        text = clean_text(event.text)
    changes: dict[str, Any] = {
        "event_id": clean_id(event.event_id),
        "channel": clean_channel(event.channel),
        "sender": clean_identity(event.sender),
        "text": text,
        "over_limit": over_limit,
        "message_id": _optional_id(event.message_id),
        "mentions": tuple(clean_identity(m) for m in event.mentions),
        "attachments": tuple(clean_attachment(a, max_chars) for a in event.attachments),
        "button_data": clean_text(event.button_data) if event.button_data is not None else None,
        "button_token": _optional_id(event.button_token),
        "reply_to_message_id": _optional_id(event.reply_to_message_id),
    }
    changed = {name: value for name, value in changes.items() if value != getattr(event, name)}
    return replace(event, **changed) if changed else event


__all__ = ["HEAD_CHARS", "MAX_NAME_CHARS", "MAX_TITLE_CHARS", "clean_event", "clean_id", "clean_line", "clean_text"]
