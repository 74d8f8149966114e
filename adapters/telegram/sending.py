"""One :class:`core.events.OutgoingMessage` as the Telegram messages that carry it.

:func:`plan` cuts a message into :class:`Part`\\ s: the text in pieces of at most 4096 characters (at line
ends), files as ``sendPhoto`` (kind ``"photo"``) or ``sendDocument`` (anything else). The text rides as
the first file's caption when it fits Telegram's 1024 characters; otherwise the text goes first and the
files follow. Buttons stay with the text (under its last piece, or under the captioned file); the reply
goes on the first part; an edit applies only to a message that is text alone.

:class:`SendJob` sends one part when the flood limiter lets it, following a group that became a
supergroup. A photo Telegram cannot process (too big, odd dimensions) is sent as a document instead, so
the file still arrives.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Bot, ForceReply, InlineKeyboardMarkup, InputFile, MessageEntity, ReplyParameters
from telegram.error import BadRequest, ChatMigrated

from adapters.telegram.mapping import split_text, utf16_len
from core.events import OutgoingFile

log = logging.getLogger("adapters.telegram")

CAPTION_LIMIT = 1024
#: How Telegram says a forum topic cannot take the message (deleted, or closed to the bot).
TOPIC_GONE = ("message thread not found", "topic_deleted", "topic_closed", "topic not found")
DEFAULT_MIME = "application/octet-stream"


#: Buttons under a message, or a request that the person answer it by replying (a question in a group).
Markup = InlineKeyboardMarkup | ForceReply


@dataclass(frozen=True)
class Part:
    """One Telegram message: a text, or a file with an optional caption."""

    text: str = ""
    file: OutgoingFile | None = None
    markup: Markup | None = None
    entities: tuple[MessageEntity, ...] = ()
    reply_to: str | None = None
    edit_id: str | None = None
    #: The forum topic to post in (None: the chat itself, a forum's General topic).
    thread_id: int | None = None


def plan(
    text: str,
    files: Sequence[OutgoingFile] = (),
    *,
    markup: Markup | None = None,
    entities: Sequence[MessageEntity] = (),
    reply_to: str | None = None,
    edit_id: str | None = None,
    thread: str | None = None,
) -> list[Part]:
    """The parts that say ``text`` with ``files``, in the order they are sent.

    ``entities`` (a mention at the start of the text) go with the first piece of the text.
    """
    ents = tuple(entities)
    if files:
        if text.strip() and utf16_len(text) <= CAPTION_LIMIT:
            parts = [Part(text, files[0], markup, ents)] + [Part(file=f) for f in files[1:]]
        else:
            chunks = split_text(text)
            parts = [Part(chunk, entities=ents if i == 0 else ()) for i, chunk in enumerate(chunks)]
            parts += [Part(file=f) for f in files]
            carrier = len(chunks) - 1 if chunks else 0  # the buttons stay with the text
            parts[carrier] = _with(parts[carrier], markup=markup)
    else:
        chunks = split_text(text) or (["…"] if markup is not None else [])
        parts = [Part(chunk, entities=ents if i == 0 else (), edit_id=edit_id if i == 0 else None)
                 for i, chunk in enumerate(chunks)]
        if parts:
            parts[-1] = _with(parts[-1], markup=markup)
    if parts and reply_to is not None:
        parts[0] = _with(parts[0], reply_to=reply_to)
    if thread is not None and thread.isdigit():
        parts = [_with(p, thread_id=int(thread)) for p in parts]
    return [_fitted(p) for p in parts]


def _with(part: Part, **changes: Any) -> Part:
    return dataclasses.replace(part, **changes)


def _fitted(part: Part) -> Part:
    """Entities that would run past the text are dropped rather than refused by Telegram."""
    size = utf16_len(part.text)
    if all(e.offset + e.length <= size for e in part.entities):
        return part
    return _with(part, entities=tuple(e for e in part.entities if e.offset + e.length <= size))


class ChatTracker(Protocol):
    """What a job asks of the adapter: the bot, and where a chat lives now."""

    def require_bot(self) -> Bot: ...

    def current_chat_id(self, chat_id: int) -> int: ...

    def note_migration(self, old: int, new: int) -> None: ...


class SendJob:
    """One part as the limiter runs it (and retries it after a network error or ``retry_after``)."""

    def __init__(self, chats: ChatTracker, chat_id: int, part: Part) -> None:
        self.chats = chats
        self.chat_id = chat_id
        self.part = part

    async def __call__(self) -> str:
        self.chat_id = self.chats.current_chat_id(self.chat_id)
        try:
            return await self._in_topic(self.chat_id)
        except ChatMigrated as moved:
            self.chats.note_migration(self.chat_id, moved.new_chat_id)
            self.chat_id = moved.new_chat_id
            return await self._in_topic(self.chat_id)

    async def _in_topic(self, chat_id: int) -> str:
        """A topic deleted or closed since is no reason to lose the message: it goes to General instead."""
        try:
            return await self._once(chat_id)
        except BadRequest as error:
            if self.part.thread_id is None or not any(word in str(error).lower() for word in TOPIC_GONE):
                raise
            log.info("telegram: topic %s of chat %s is gone or closed (%s); posting in General instead",
                     self.part.thread_id, chat_id, error)
            self.part = _with(self.part, thread_id=None)
            return await self._once(chat_id)

    async def _once(self, chat_id: int) -> str:
        part = self.part
        if part.file is not None:
            return await self._file(chat_id, part.file)
        bot = self.chats.require_bot()
        inline = part.markup if isinstance(part.markup, InlineKeyboardMarkup) else None  # edits keep only buttons
        if part.edit_id is not None and part.edit_id.isdigit():
            try:
                await bot.edit_message_text(part.text, chat_id=chat_id, message_id=int(part.edit_id),
                                            reply_markup=inline, entities=part.entities or None)
                return part.edit_id
            except BadRequest as error:
                reason = str(error).lower()
                if "not modified" in reason:  # the same edit again (e.g. a retry whose answer was lost)
                    return part.edit_id
                if "not found" not in reason and "can't be edited" not in reason:
                    raise
                log.info("telegram: message %s in %s cannot be edited (%s); sending a new one",
                         part.edit_id, chat_id, error)
        sent = await bot.send_message(chat_id, part.text, reply_markup=part.markup, reply_parameters=self._reply(),
                                      entities=part.entities or None, message_thread_id=part.thread_id)
        return str(sent.message_id)

    async def _file(self, chat_id: int, file: OutgoingFile) -> str:
        bot = self.chats.require_bot()
        part = self.part
        caption, entities = part.text or None, part.entities or None
        if file.kind == "photo":
            try:
                sent = await bot.send_photo(chat_id, _upload(file), caption=caption, reply_markup=part.markup,
                                            reply_parameters=self._reply(), caption_entities=entities,
                                            message_thread_id=part.thread_id)
                return str(sent.message_id)
            except BadRequest as error:
                reason = str(error).lower()
                if "chat not found" in reason or any(word in reason for word in TOPIC_GONE):
                    raise
                log.info("telegram: %s cannot go as a photo (%s); sending it as a file", file.filename, error)
        sent = await bot.send_document(chat_id, _upload(file), caption=caption, reply_markup=part.markup,
                                       reply_parameters=self._reply(), caption_entities=entities,
                                       message_thread_id=part.thread_id)
        return str(sent.message_id)

    def _reply(self) -> ReplyParameters | None:
        reply = self.part.reply_to
        if reply is None or not reply.isdigit():
            return None
        return ReplyParameters(int(reply), allow_sending_without_reply=True)


def _upload(file: OutgoingFile) -> InputFile:
    """A fresh upload each try (a retried request must send the bytes again)."""
    upload = InputFile(file.data, filename=file.filename)
    if file.mime_type and file.mime_type != DEFAULT_MIME:
        upload.mimetype = file.mime_type
    return upload
