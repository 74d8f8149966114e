"""Telegram's objects to the core's neutral model and back, as plain functions that are easy to test.

Inbound: a group or supergroup is a channel (a forum topic its thread), a private chat a direct channel, a
Telegram user an identity (display name, @username, language, whether they administer the chat); an admin
writing anonymously as the group is the group's admins, nobody in particular. ``/cmd@ourbot`` is
the command ``/cmd``; ``/cmd@otherbot`` is somebody else's business and is ignored. A photo is its
largest size, by ``file_id``, downloaded only if a plugin asks (:meth:`TelegramAdapter.fetch_attachment`).

Outbound: a text longer than Telegram's 4096 characters is cut into several messages at line ends
(buttons are :mod:`adapters.telegram.buttons`, files and captions :mod:`adapters.telegram.sending`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from telegram import Chat, Message, MessageEntity, User

from core.events import Attachment, ChannelRef, IdentityRef

PLATFORM = "telegram"
#: Telegram's limit for one message's text (after entity parsing), counted here in UTF-16 code units,
#: Telegram's own unit, so that emoji (two units) never push a message over.
TEXT_LIMIT = 4096
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})
#: The user Telegram shows as the sender of a group admin who posts "anonymously" as the group.
ANONYMOUS_ADMIN_ID = 1087968824


# -- inbound -----------------------------------------------------------------------------------------
def language_of(code: str | None) -> str | None:
    """A Telegram client language (``zh-hans``, ``en-US``) as one of linli's languages, if it is one."""
    if not code:
        return None
    code = code.lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def display_name(user: User) -> str:
    return user.full_name.strip() or (user.username or str(user.id))


def identity_of(user: User, *, is_admin: bool = False) -> IdentityRef:
    return IdentityRef(
        PLATFORM,
        str(user.id),
        display_name(user),
        username=user.username,
        is_chat_admin=is_admin,
        language=language_of(user.language_code),
    )


def channel_of(chat: Chat, thread_id: str | None = None) -> ChannelRef:
    is_direct = chat.type == Chat.PRIVATE
    title = chat.title or chat.full_name or chat.username or str(chat.id)
    return ChannelRef(PLATFORM, str(chat.id), title, is_direct=is_direct, thread_id=thread_id)


def thread_of(message: Message) -> str | None:
    """The forum topic a message was written in; None in the General topic and outside forums.

    Outside forums Telegram also sets ``message_thread_id`` on replies (a "thread" of replies), which is no
    place to answer in: only ``is_topic_message`` says it is a topic.
    """
    if message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


def writes_as_group(message: Message) -> bool:
    """An admin posting anonymously: the message comes from the chat itself (``GroupAnonymousBot``)."""
    sender_chat = message.sender_chat
    return sender_chat is not None and sender_chat.id == message.chat.id


def group_admins_of(chat: Chat, name: str) -> IdentityRef:
    """The chat's admins as one sender that is nobody in particular (never a Telegram user id, so nothing is
    ever sent to it privately)."""
    return IdentityRef(PLATFORM, f"admins:{chat.id}", name, is_chat_admin=True, as_group=True)


def is_group(chat: Chat) -> bool:
    return chat.type in GROUP_TYPES


def text_and_entities(message: Message) -> tuple[str, dict[MessageEntity, str]]:
    """The text of a message or the caption of a photo, with its entities resolved to substrings."""
    if message.text is not None:
        return message.text, message.parse_entities()
    if message.caption is not None:
        return message.caption, message.parse_caption_entities()
    return "", {}


def command_address(text: str) -> tuple[str, str | None]:
    """Split ``/cmd@bot rest`` into (``/cmd rest``, ``bot``); texts without ``@bot`` come back as they are."""
    stripped = text.lstrip()
    if not stripped.startswith(("/", "／")):
        return text, None
    head, space, rest = stripped.partition(" ")
    name, at, target = head.partition("@")
    if not at:
        return text, None
    return name + space + rest, target


def addressed_text(text: str, bot_username: str) -> str | None:
    """The text to hand to the core: ``@ourbot`` removed from a command, None for another bot's command."""
    cleaned, target = command_address(text)
    if target is None:
        return text
    if target.lower() != bot_username.lower():
        return None
    return cleaned


def mentions_of(
    entities: Mapping[MessageEntity, str],
    *,
    known: Callable[[str], IdentityRef | None],
    bot_username: str,
) -> tuple[IdentityRef, ...]:
    """The people a message mentions, as far as Telegram tells us who they are.

    A ``text_mention`` (someone without a username, picked from the member list) carries the user.
    An ``@username`` does not: it is resolved from the people the adapter has seen, and otherwise left
    to the core, which looks the username up among the community's members.
    """
    found: dict[str, IdentityRef] = {}
    for entity, value in entities.items():
        ref: IdentityRef | None = None
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            ref = identity_of(entity.user)
        elif entity.type == MessageEntity.MENTION and value.lstrip("@").lower() != bot_username.lower():
            ref = known(value.lstrip("@"))
        if ref is not None:
            found.setdefault(ref.user_id, ref)
    return tuple(found.values())


def photo_of(message: Message) -> Attachment | None:
    """The largest size of a photo (Telegram lists them smallest first), as a lazily fetched file id."""
    if not message.photo:
        return None
    largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
    return Attachment("photo", largest.file_id, caption=message.caption)


def document_of(message: Message) -> Attachment | None:
    """A photo sent "as a file" keeps its quality; it is evidence too."""
    document = message.document
    if document is None:
        return None
    kind = "photo" if (document.mime_type or "").startswith("image/") else "file"
    return Attachment(kind, document.file_id, caption=message.caption)


# -- outbound ----------------------------------------------------------------------------------------
def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> list[str]:
    """Cut one over-long line into pieces of at most ``limit`` units, at a space where there is one."""
    pieces: list[str] = []
    while utf16_len(line) > limit:
        size, end = 0, 0
        for end, char in enumerate(line):  # noqa: B007 - end is used after the loop
            size += utf16_len(char)
            if size > limit:
                break
        space = line.rfind(" ", 0, end)
        cut = space if space > end // 2 else max(end, 1)
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ") if cut == space else line[cut:]
    pieces.append(line)
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut ``text`` into messages of at most ``limit`` UTF-16 units, at line ends where possible.

    Lines stay whole unless one line alone is too long. Pieces that are only whitespace are dropped,
    because Telegram refuses an empty message.
    """
    if utf16_len(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut(line, limit):
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size, extra = [], 0, utf16_len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in chunks if chunk.strip()]


def text_mention(person: IdentityRef, text: str, name: str) -> tuple[MessageEntity, ...]:
    """A mention of ``person`` on the first ``name`` in ``text``, for someone without a @username.

    Telegram links such a mention to the account (and notifies the person) because they are a member of
    the group it is posted in; someone with a username is mentioned as ``@username`` instead.
    """
    at = text.find(name) if name else -1
    if person.username or not person.user_id.isdigit() or at < 0:
        return ()
    user = User(int(person.user_id), person.display_name, is_bot=False)
    return (MessageEntity(MessageEntity.TEXT_MENTION, utf16_len(text[:at]), utf16_len(name), user=user),)
