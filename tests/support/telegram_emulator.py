"""An in-process emulator of the Telegram Bot API HTTP server, for tests.

Why it exists: the Telegram adapter has to be tested against the *real* python-telegram-bot client,
because PTB's request encoding, error mapping and polling loop are part of what we ship, yet tests
must never reach telegram.org. The emulator serves the Bot API on 127.0.0.1 (aiohttp, free port) and
behaves like Telegram exactly where adapters usually go wrong:

* ``getUpdates`` long-polls, confirms updates by ``offset`` and answers ``409 Conflict`` while a webhook
  is set or when a newer ``getUpdates`` takes over from a pending one (another poller);
* ``allowed_updates`` is honoured: ``chat_member`` updates are opt-in and reach only admin bots;
* ``parse_mode`` text is really parsed (HTML, MarkdownV2, Markdown); bad markup is ``400 can't parse
  entities``, text is trimmed, entity offsets are UTF-16 code units;
* inline keyboards are validated (``callback_data`` is at most 64 bytes), ``editMessageText`` without a
  ``reply_markup`` removes the keyboard and an unchanged edit is ``400 message is not modified``;
* a blocked user, a never-started private chat or a group the bot left answer ``403 Forbidden``;
* faults are injectable: any status with ``retry_after``, dropped connections (before or *after* the
  action happened), delays, and an optional per-chat flood limit.

Usage::

    async with BotApiEmulator() as emu:
        alice = emu.add_user("Alice", username="alice")
        group = emu.add_chat("supergroup", title="Neighbours", members=[alice])
        app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
               .base_file_url(emu.base_file_url).build())
        ...
        emu.user_says(group, alice, "/points@linli_test_bot")
        [reply] = await emu.wait_for_sent(1)

Emulated methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
sendPhoto, sendDocument, editMessageText, editMessageReplyMarkup, deleteMessage, sendChatAction,
answerCallbackQuery, getFile (+ downloads), getChatMember, getChatAdministrators, setMyCommands,
getMyCommands, deleteMyCommands. Any other method answers ``404 Not Found`` like an unknown one,
unless a test serves it with :meth:`BotApiEmulator.add_method`.

Known differences from Telegram (deliberate, to keep the emulator small): photos are not resized,
so every ``PhotoSize`` of one photo downloads the same bytes; ``sendPhoto`` by URL works only for URLs
registered with :meth:`BotApiEmulator.add_url`; message ids are counted per chat; inline mode,
channels and business connections are not emulated; a method call returned in a webhook
response body is ignored.

By default it is as strict as Telegram: privacy mode on (with the "last bot to speak" rule for bare
commands), the documented flood limits on every sending method (windows scaled by ``time_scale``), button
presses that must be answered within ``callback_timeout`` (15 s), updates kept ``update_retention`` (24 h).
Forum topics (``create_topic``, ``close_topic``, ``delete_topic``, ``message_thread_id`` on sending
methods), anonymous admins (``admin_says_anonymously``), edits (``user_edits``) and other bots
(``other_bot_says``) are emulated as the Bot API documents them.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import json
import math
import random
import re
import socket
import struct
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import aiohttp
from aiohttp import web
from yarl import URL

__all__ = [
    "DEFAULT_TOKEN",
    "OPT_IN_UPDATE_TYPES",
    "AdminRights",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "CallbackAnswer",
    "ChatType",
    "CommandScopeKey",
    "EditRecord",
    "EmuChat",
    "EmuUser",
    "Fault",
    "FilteredUpdate",
    "MemberStatus",
    "RateLimits",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "WebhookState",
    "detect_entities",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "tiny_png",
    "utf16_len",
]

JSONDict = dict[str, Any]
ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]

#: A well-formed token (``<bot id>:<35 chars>``); the bot id is the part before the colon.
DEFAULT_TOKEN = "4242424242:AAEmulatorTestToken_DoNotUse_012345"

#: Update types Telegram leaves out while ``allowed_updates`` is unset or an empty list.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_WHITESPACE = " \t\r\n\v\f"


# --------------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """A Bot API error answer, ``{"ok": false, "error_code": status, "description": ...}``.

    Handlers raise it so that every error leaves the server in Telegram's shape; PTB maps the HTTP
    status (not ``error_code``) to its exception classes, and ``parameters.retry_after`` /
    ``parameters.migrate_to_chat_id`` to ``RetryAfter`` / ``ChatMigrated`` whatever the status.
    """

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(detail: str, parameters: JSONDict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", parameters)


def _forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def _parse_error(detail: str) -> ApiError:
    return _bad_request(f"can't parse entities: {detail}")


def _too_many_requests(retry_after: float) -> ApiError:
    shown = int(retry_after) if float(retry_after).is_integer() else retry_after
    return ApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": shown})


_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


# --------------------------------------------------------------------------------------------------
# Text: UTF-16 offsets, parse modes, entity detection


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API entity offset and length."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    """Telegram reports parse errors as UTF-8 byte offsets into the text as sent."""
    return len(source[:index].encode())


@dataclass
class _OpenEntity:
    """An entity whose end has not been seen yet while parsing marked-up text."""

    name: str
    entity: JSONDict | None
    start: int
    byte_offset: int


def _finish(entities: list[JSONDict], opened: _OpenEntity, end: int) -> None:
    if opened.entity is not None and end > opened.start:
        entities.append({"offset": opened.start, "length": end - opened.start, **opened.entity})


def _sorted_entities(entities: Iterable[JSONDict]) -> list[JSONDict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_HTML_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_HTML_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_TG_USER_LINK_RE = re.compile(r"tg://user\?id=(\d+)")


def _decode_html_entity(body: str) -> str | None:
    if body[:2] in ("#x", "#X"):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return _HTML_NAMED_ENTITIES.get(body)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def parse_html(source: str, resolve_user: Callable[[int], JSONDict | None] | None = None) -> tuple[str, list[JSONDict]]:
    """Parse Bot API HTML into ``(plain text, entities)`` or raise the ``400`` Telegram would.

    Only the tags of the Bot API's "HTML style" are accepted; anything else (``<br>``, ``<p>``, a bare
    ``<`` in user-provided text) is an error, which is exactly the bug class this exists to catch.
    Named entities other than ``&lt; &gt; &amp; &quot;`` are kept literally, as Telegram does.
    """
    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    stack: list[_OpenEntity] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            decoded = _decode_html_entity(match.group(1)) if match else None
            if match and decoded is not None:
                out.append(decoded)
                pos += utf16_len(decoded)
                i = match.end()
            else:
                out.append("&")
                pos += 1
                i += 1
            continue
        if ch != "<":
            out.append(ch)
            pos += utf16_len(ch)
            i += 1
            continue
        at = _byte_offset(source, i)
        if source.startswith("</", i):
            close = source.find(">", i)
            if close < 0:
                raise _parse_error(f"Unclosed end tag at byte offset {at}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {at}")
            top = stack.pop()
            if name and name != top.name:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {at}, expected "</{top.name}>", found "</{name}>"'
                )
            _finish(entities, top, pos)
            i = close + 1
            continue
        name_match = _HTML_TAG_NAME_RE.match(source, i + 1)
        name = name_match.group(0).lower() if name_match else ""
        if name not in _HTML_TAG_TYPES:
            raise _parse_error(f'Unsupported start tag "{name}" at byte offset {at}')
        j = i + 1 + len(name)
        attrs: dict[str, str] = {}
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise _parse_error(f"Unclosed start tag at byte offset {at}")
            if source[j] == ">":
                j += 1
                break
            attr = _HTML_ATTR_RE.match(source, j)
            if attr is None:
                raise _parse_error(f"Expected equal sign in declaration of an attribute of the tag at byte offset {at}")
            value = next((g for g in attr.groups()[1:] if g is not None), "")
            attrs[attr.group(1).lower()] = html.unescape(value)
            j = attr.end()
        entity = _html_entity(name, attrs, stack, resolve_user, at)
        stack.append(_OpenEntity(name, entity, pos, at))
        i = j
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out), _sorted_entities(entities)


def _html_entity(
    name: str,
    attrs: Mapping[str, str],
    stack: Sequence[_OpenEntity],
    resolve_user: Callable[[int], JSONDict | None] | None,
    at: int,
) -> JSONDict | None:
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if name == "a":
        href = attrs.get("href", "")
        user_link = _TG_USER_LINK_RE.fullmatch(href)
        if user_link and resolve_user is not None:
            user = resolve_user(int(user_link.group(1)))
            if user is not None:
                return {"type": "text_mention", "user": user}
        return {"type": "text_link", "url": href} if href else None
    if name == "code" and stack and stack[-1].name == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-") and stack[-1].entity is not None:
            stack[-1].entity["language"] = language.removeprefix("language-")
        return None
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise _parse_error(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    return {"type": _HTML_TAG_TYPES[name]}


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_TG_EMOJI_RE = re.compile(r"tg://emoji\?id=(\d+)")


def _find_unescaped(source: str, token: str, start: int) -> int:
    j = start
    while j < len(source):
        if source[j] == "\\":
            j += 2
            continue
        if source.startswith(token, j):
            return j
        j += 1
    return -1


def _md_unescape(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _split_pre_language(body: str) -> tuple[str, str | None]:
    first, sep, rest = body.partition("\n")
    if sep and first and not any(c.isspace() for c in first):
        return rest, first
    if sep and not first:
        return rest, None
    return body, None


def parse_markdown_v2(source: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 into ``(plain text, entities)`` or raise Telegram's ``400``.

    The classic failure is an unescaped reserved character (``.``, ``-``, ``!``, ``(``...) in dynamic
    text; this parser reports it with Telegram's wording so adapter tests see the real error.
    """
    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    stack: list[_OpenEntity] = []
    quote_start: int | None = None
    i, n = 0, len(source)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    while i < n:
        ch = source[i]
        if ch == ">" and (i == 0 or source[i - 1] == "\n"):
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        if ch == "\n" and quote_start is not None and not source.startswith(">", i + 1):
            entities.append({"offset": quote_start, "length": pos - quote_start, "type": "blockquote"})
            quote_start = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(source[i + 1]) <= 126:
                emit(source[i + 1])
                i += 2
            else:
                emit(ch)
                i += 1
            continue
        if ch == "`":
            fence = "```" if source.startswith("```", i) else "`"
            end = _find_unescaped(source, fence, i + len(fence))
            kind = "pre" if fence == "```" else "code"
            if end < 0:
                raise _parse_error(f"Can't find end of {kind.title()} entity at byte offset {_byte_offset(source, i)}")
            body, language = source[i + len(fence) : end], None
            if kind == "pre":
                body, language = _split_pre_language(body)
            start = pos
            emit(_md_unescape(body))
            if pos > start:
                entity: JSONDict = {"offset": start, "length": pos - start, "type": kind}
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = end + len(fence)
            continue
        token: tuple[str, int] | None = None
        if ch == "*":
            token = ("bold", 1)
        elif ch == "_":
            token = ("underline", 2) if source.startswith("__", i) else ("italic", 1)
        elif ch == "~":
            token = ("strikethrough", 1)
        elif ch == "|" and source.startswith("||", i):
            token = ("spoiler", 2)
        if token is not None:
            kind, width = token
            if stack and stack[-1].name == kind:
                _finish(entities, stack.pop(), pos)
            elif any(o.name == kind for o in stack):
                opened = next(o for o in stack if o.name == kind)
                raise _parse_error(
                    f"Can't find end of {_MD_ENTITY_NAMES[kind]} entity at byte offset {opened.byte_offset}"
                )
            else:
                stack.append(_OpenEntity(kind, {"type": kind}, pos, _byte_offset(source, i)))
            i += width
            continue
        if ch == "!" and source.startswith("![", i):
            stack.append(_OpenEntity("custom_emoji", None, pos, _byte_offset(source, i)))
            i += 2
            continue
        if ch == "[":
            stack.append(_OpenEntity("text_link", None, pos, _byte_offset(source, i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1].name in ("text_link", "custom_emoji"):
            opened = stack.pop()
            close = _find_unescaped(source, ")", i + 2) if source.startswith("(", i + 1) else -1
            if close < 0:
                raise _parse_error(
                    f"Can't find end of {_MD_ENTITY_NAMES[opened.name]} entity at byte offset {opened.byte_offset}"
                )
            url = _md_unescape(source[i + 2 : close])
            if opened.name == "custom_emoji":
                emoji = _TG_EMOJI_RE.fullmatch(url)
                if emoji is None:
                    raise _parse_error("Custom emoji URL must have an emoji identifier")
                opened.entity = {"type": "custom_emoji", "custom_emoji_id": emoji.group(1)}
            else:
                opened.entity = {"type": "text_link", "url": url}
            _finish(entities, opened, pos)
            i = close + 1
            continue
        if ch in _MDV2_RESERVED:
            raise _parse_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        emit(ch)
        i += 1
    if quote_start is not None and pos > quote_start:
        entities.append({"offset": quote_start, "length": pos - quote_start, "type": "blockquote"})
    if stack:
        opened = stack[-1]
        raise _parse_error(
            f"Can't find end of {_MD_ENTITY_NAMES[opened.name]} entity at byte offset {opened.byte_offset}"
        )
    return "".join(out), _sorted_entities(entities)


def parse_markdown(source: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy ``Markdown`` (no nesting; ``\\`` escapes only ``_*`[``) or raise Telegram's ``400``."""
    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    i, n = 0, len(source)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            emit(source[i + 1])
            i += 2
            continue
        if ch not in "*_`[":
            emit(ch)
            i += 1
            continue
        unclosed = _parse_error(f"Can't find end of the entity starting at byte offset {_byte_offset(source, i)}")
        start = pos
        if ch == "[":
            close = source.find("]", i + 1)
            url_end = source.find(")", close + 2) if close >= 0 and source.startswith("(", close + 1) else -1
            if url_end < 0:
                raise unclosed
            emit(source[i + 1 : close])
            url = source[close + 2 : url_end]
            if url and pos > start:
                entities.append({"offset": start, "length": pos - start, "type": "text_link", "url": url})
            i = url_end + 1
            continue
        fence = "```" if source.startswith("```", i) else ch
        end = source.find(fence, i + len(fence))
        if end < 0:
            raise unclosed
        body, language = source[i + len(fence) : end], None
        if fence == "```":
            body, language = _split_pre_language(body)
        emit(body)
        kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[fence]
        if pos > start:
            entity: JSONDict = {"offset": start, "length": pos - start, "type": kind}
            if language:
                entity["language"] = language
            entities.append(entity)
        i = end + len(fence)
    return "".join(out), _sorted_entities(entities)


def _strip_formatted(text: str, entities: Sequence[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace like Telegram does, keeping entity offsets right."""
    left = text.lstrip(_WHITESPACE)
    lead = utf16_len(text[: len(text) - len(left)])
    result = left.rstrip(_WHITESPACE)
    total = utf16_len(result)
    fixed: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


_COMMAND_RE = re.compile(r"(?<![A-Za-z0-9_/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_])")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")
_URL_RE = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def detect_entities(text: str, text_mentions: Mapping[str, EmuUser] | None = None) -> list[JSONDict]:
    """Entities Telegram adds to a user's message: bot_command, mention, hashtag, url, text_mention.

    ``text_mentions`` maps a substring of ``text`` to the user a client mention picker attached to it
    (how users without a username are mentioned).
    """
    spans: list[tuple[int, int, JSONDict]] = []

    def overlaps(start: int, end: int) -> bool:
        return any(start < e and s < end for s, e, _ in spans)

    for name, user in (text_mentions or {}).items():
        for match in re.finditer(re.escape(name), text):
            if not overlaps(match.start(), match.end()):
                spans.append((match.start(), match.end(), {"type": "text_mention", "user": user.to_api()}))
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_URL_RE, "url"), (_MENTION_RE, "mention")):
        for match in regex.finditer(text):
            if not overlaps(match.start(), match.end()):
                spans.append((match.start(), match.end(), {"type": kind}))
    for match in _HASHTAG_RE.finditer(text):
        if not overlaps(match.start(), match.end()):
            spans.append((match.start(), match.end(), {"type": "hashtag"}))
    entities = [{"offset": utf16_len(text[:s]), "length": utf16_len(text[s:e]), **extra} for s, e, extra in spans]
    return _sorted_entities(entities)


# --------------------------------------------------------------------------------------------------
# Images


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour PNG, because ``sendPhoto`` rejects bytes that are not an image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG; ``None`` for anything Telegram could not process."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


_PHOTO_SIDES = (90, 320, 800, 1280, 2560)


def _photo_dimensions(width: int, height: int) -> list[tuple[int, int]]:
    """The thumbnail ladder Telegram builds for a photo, smallest first, capped at 2560 px."""
    longest = max(width, height, 1)
    sides = [s for s in _PHOTO_SIDES if s < longest] + [min(longest, _PHOTO_SIDES[-1])]
    return [(max(1, round(width * s / longest)), max(1, round(height * s / longest))) for s in sides]


# --------------------------------------------------------------------------------------------------
# World model


@dataclass(frozen=True)
class EmuUser:
    """A Telegram user (or another bot) living in the emulated world."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> JSONDict:
        """The Bot API ``User`` object."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data


@dataclass(frozen=True)
class EmuChat:
    """A chat; a private chat has the id of its user, groups have negative ids like Telegram's."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def to_api(self) -> JSONDict:
        """The Bot API ``Chat`` object as embedded in messages."""
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.first_name:
            data["first_name"] = self.first_name
        if self.last_name:
            data["last_name"] = self.last_name
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass(frozen=True)
class AdminRights:
    """Administrator rights; the defaults are those Telegram proposes when promoting someone."""

    can_manage_chat: bool = True
    can_delete_messages: bool = True
    can_manage_video_chats: bool = True
    can_restrict_members: bool = True
    can_promote_members: bool = False
    can_change_info: bool = True
    can_invite_users: bool = True
    can_post_stories: bool = False
    can_edit_stories: bool = False
    can_delete_stories: bool = False
    can_pin_messages: bool = True
    can_manage_topics: bool = False

    def to_api(self) -> JSONDict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Member:
    status: MemberStatus
    rights: AdminRights | None = None
    custom_title: str | None = None
    is_anonymous: bool = False
    until_date: int = 0
    can_send_messages: bool = False

    def to_api(self, user: EmuUser) -> JSONDict:
        """The Bot API ``ChatMember`` variant for this status, with every field PTB requires."""
        data: JSONDict = {"status": self.status, "user": user.to_api()}
        if self.status == "creator":
            data["is_anonymous"] = self.is_anonymous
        elif self.status == "administrator":
            data.update(can_be_edited=False, is_anonymous=self.is_anonymous)
            data.update((self.rights or AdminRights()).to_api())
        elif self.status == "restricted":
            allowed = self.can_send_messages
            data.update(
                is_member=True,
                can_send_messages=allowed,
                can_send_audios=allowed,
                can_send_documents=allowed,
                can_send_photos=allowed,
                can_send_videos=allowed,
                can_send_video_notes=allowed,
                can_send_voice_notes=allowed,
                can_send_polls=allowed,
                can_send_other_messages=allowed,
                can_add_web_page_previews=allowed,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                can_edit_tag=False,
                until_date=self.until_date,
            )
        elif self.status == "kicked":
            data["until_date"] = self.until_date
        if self.custom_title and self.status in ("creator", "administrator"):
            data["custom_title"] = self.custom_title
        return data


# --------------------------------------------------------------------------------------------------
# Records and knobs


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as received from the client."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    """A file the emulator can serve through ``getFile`` and ``/file/bot<token>/<file_path>``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def to_api(self) -> JSONDict:
        """The Bot API ``File`` object (PTB prefixes ``file_path`` with its base_file_url)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class ApiCall:
    """One request the bot made. ``status`` is ``None`` while running or when the connection was dropped.

    ``params`` are decoded: JSON-typed fields (``reply_markup``, ``scope``...) are dicts/lists, ids
    and counters are ints, flags are bools, uploaded files are :class:`UploadedFile`.
    """

    method: str
    params: JSONDict
    time: float
    http_method: str = "POST"
    status: int | None = None
    error: str | None = None
    result: Any = None
    fault: Fault | None = None


@dataclass
class SentMessage:
    """A message the bot sent (``sendMessage`` / ``sendPhoto`` / ``sendDocument``), as it was at send time.

    ``text`` is what the bot sent (markup included); ``plain_text`` what the user sees after
    ``parse_mode`` parsing and trimming (for a photo or document: its caption); ``message`` the full
    ``Message`` object returned to the bot. A photo or document keeps its uploaded bytes in ``file_data``
    and, for a document, its ``file_name`` and ``mime_type``.
    """

    method: str
    chat_id: int
    message_id: int
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    entities: list[JSONDict]
    reply_markup: JSONDict | None
    reply_to_message_id: int | None
    time: float
    message: JSONDict
    caption: str | None = None
    photo_file_id: str | None = None
    document_file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_data: bytes | None = None
    #: The forum topic it went to (None: the chat itself, a forum's General topic).
    thread_id: int | None = None

    @property
    def buttons(self) -> list[list[JSONDict]]:
        """Rows of the inline keyboard, empty when there is none."""
        rows = (self.reply_markup or {}).get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def callback_data(self) -> list[str]:
        """Every ``callback_data`` of the inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass
class EditRecord:
    """An ``editMessageText`` / ``editMessageReplyMarkup`` that succeeded."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    time: float


@dataclass
class CallbackAnswer:
    """An ``answerCallbackQuery``, with what the pressed button carried."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    time: float
    data: str | None
    user_id: int
    chat_id: int | None
    message_id: int | None


@dataclass(frozen=True)
class FilteredUpdate:
    """An update the world produced but Telegram would not have delivered to this bot, and why."""

    update: JSONDict
    reason: str


@dataclass(frozen=True)
class CommandScopeKey:
    """Where a command list applies: a ``BotCommandScope`` plus a language code (``""`` = all)."""

    scope: str = "default"
    chat_id: int | None = None
    user_id: int | None = None
    language_code: str = ""


@dataclass
class WebhookState:
    """What ``setWebhook`` registered, plus delivery errors as ``getWebhookInfo`` reports them."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Fault:
    """An injected failure, consumed by the next ``remaining`` matching calls (see ``fail_next``)."""

    method: str
    action: Literal["error", "drop", "delay"]
    remaining: int = 1
    status: int = 429
    description: str | None = None
    retry_after: float | None = None
    parameters: JSONDict | None = None
    chat_id: int | str | None = None
    after_processing: bool = False
    delay: float = 0.0
    raw_body: str | None = None

    def matches(self, method: str, params: Mapping[str, Any]) -> bool:
        if self.remaining <= 0 or self.method.lower() not in ("*", method.lower()):
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


#: Every method that makes Telegram send or change something in a chat, and so counts towards flood limits.
SENDING_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup", "deleteMessage",
    "sendChatAction", "answerCallbackQuery", "setMyCommands", "deleteMyCommands",
})


@dataclass(frozen=True)
class RateLimits:
    """Flood limits applied to sending methods (on by default; ``set_rate_limits(None)`` turns them off).

    Telegram documents roughly one message per second per chat (short bursts allowed), 20 per minute per
    group and 30 per second overall; exceeding them gives ``429`` with an integer ``retry_after``. Calls
    without a chat (``setMyCommands``, ``answerCallbackQuery``) count towards the overall limit. Windows
    are multiplied by the emulator's ``time_scale``.
    """

    per_chat_interval: float | None = 1.0
    group_per_minute: int | None = 20
    global_per_second: int | None = 30
    methods: frozenset[str] = SENDING_METHODS


TELEGRAM_LIMITS = RateLimits()
#: Seconds within which Telegram accepts the answer to a button press.
CALLBACK_TIMEOUT = 15.0
#: Seconds Telegram keeps an update nobody fetched.
UPDATE_RETENTION = 24 * 3600.0
#: The user Telegram shows as the sender of an admin who writes anonymously as the group.
GROUP_ANONYMOUS_BOT_ID = 1087968824


@dataclass
class _Topic:
    """A forum topic: its thread id is the id of the service message that created it."""

    name: str
    created: JSONDict
    closed: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class _Answer:
    """A successful result with Telegram's optional ``description`` (setWebhook and friends)."""

    result: Any
    description: str | None = None


@dataclass
class _CallbackQuery:
    update_id: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered: bool = False
    too_old: bool = False
    created: float = 0.0


# --------------------------------------------------------------------------------------------------
# Request parameters

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "entities",
        "caption_entities",
        "link_preview_options",
        "commands",
        "scope",
        "allowed_updates",
        "media",
        "permissions",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "until_date",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_web_page_preview",
        "show_caption_above_media",
    }
)


def _normalize_params(raw: Mapping[str, Any]) -> JSONDict:
    """Decode form strings the way Telegram reads them; undecodable values stay strings."""
    out: JSONDict = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS and value[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif key == "timeout" and re.fullmatch(r"\d+(\.\d+)?", value):
                value = float(value) if "." in value else int(value)
            elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        out[key] = value
    return out


class _Params:
    """Typed, Telegram-worded access to one request's (normalized) parameters."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def get(self, name: str) -> Any:
        return self._values.get(name)

    def as_dict(self) -> JSONDict:
        return dict(self._values)

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def opt_int(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad_request(f"invalid {name} specified")
        return value

    def req_int(self, name: str, missing: str) -> int:
        value = self.opt_int(name)
        if value is None:
            raise _bad_request(missing)
        return value

    def opt_float(self, name: str, default: float) -> float:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad_request(f"invalid {name} specified")
        return float(value)

    def opt_str(self, name: str) -> str | None:
        value = self._values.get(name)
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise _bad_request(f"invalid {name} specified")
        return value

    def opt_bool(self, name: str) -> bool:
        return self._values.get(name) is True

    def opt_json(self, name: str, error: str) -> Any:
        value = self._values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            raise _bad_request(error)
        return value


# --------------------------------------------------------------------------------------------------
# The emulator

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

Handler = Callable[[_Params], Awaitable[Any]]


class BotApiEmulator:
    """A Telegram Bot API server on 127.0.0.1 for one bot, plus a scriptable world around it.

    Point PTB at it with ``.base_url(emu.base_url).base_file_url(emu.base_file_url)``. Build the world
    with :meth:`add_user` / :meth:`add_chat` / :meth:`set_member`, make users act with
    :meth:`user_says`, :meth:`user_sends_photo`, :meth:`user_presses`, :meth:`member_update`, then
    assert on :attr:`sent`, :attr:`edits`, :attr:`callback_answers`, :attr:`calls`, :attr:`commands`.
    Everything runs on the test's event loop; world-building methods are synchronous.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "linli_test_bot",
        bot_first_name: str = "Linli",
        privacy_mode: bool = True,
        strict_webhook_url: bool = True,
        first_update_id: int = 100_000_001,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = TELEGRAM_LIMITS,
        time_scale: float = 1.0,
        callback_timeout: float | None = CALLBACK_TIMEOUT,
        update_retention: float | None = UPDATE_RETENTION,
    ) -> None:
        """Create a stopped emulator that behaves as Telegram does by default.

        ``privacy_mode`` mirrors BotFather's group privacy, on by default as at Telegram: in groups where
        the bot is no admin it gets commands (a bare ``/cmd`` only while it was the last bot to speak
        there), replies to it and service messages. ``strict_webhook_url`` keeps Telegram's rule that
        ``setWebhook`` takes only https URLs on ports 443/80/88/8443. ``seed`` makes generated ids
        reproducible; ``clock`` is the emulator's time source (timestamps in records, rate limits,
        expiries). Flood limits are Telegram's documented ones (``rate_limits``, default
        :class:`RateLimits`) on every sending method, their windows multiplied by ``time_scale`` so tests
        run fast (``retry_after`` is then scaled too, and may be a fraction); ``set_rate_limits(None)``
        turns them off. A button press must be answered within ``callback_timeout`` seconds (Telegram:
        about 15), and an update not fetched within ``update_retention`` seconds (24 h) is gone.
        """
        bot_id = token.split(":", 1)[0]
        self.token = token
        self.bot = EmuUser(
            id=int(bot_id) if bot_id.isdigit() else 1,
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.privacy_mode = privacy_mode
        self.strict_webhook_url = strict_webhook_url
        self.clock = clock
        self._host = host
        self._port = port
        self._rng = random.Random(seed)

        # records
        self.calls: list[ApiCall] = []
        self.sent: list[SentMessage] = []
        self.edits: list[EditRecord] = []
        self.deleted: list[tuple[int, int]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[CommandScopeKey, list[tuple[str, str]]] = {}
        self.filtered: list[FilteredUpdate] = []
        self.injected: dict[int, JSONDict] = {}
        self.webhook: WebhookState | None = None

        # world
        self._users: dict[int, EmuUser] = {self.bot.id: self.bot}
        self._chats: dict[int, EmuChat] = {}
        self._members: dict[int, dict[int, _Member]] = {}
        self._migrated: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._chat_instances: dict[int, str] = {}
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._urls: dict[str, bytes] = {}
        self._next_user_id = 100_000_001
        self._next_group_seq = 1

        # updates
        self._next_update_id = first_update_id
        self._pending: list[JSONDict] = []
        self._delivered: set[int] = set()
        self._confirmed_below = first_update_id
        self._allowed_updates: frozenset[str] | None = None
        self._poller: asyncio.Future[None] | None = None

        # faults and limits
        self._faults: list[Fault] = []
        self.time_scale = time_scale
        self.callback_timeout = callback_timeout
        self.update_retention = update_retention
        self._rate_limits: RateLimits | None = rate_limits
        self._enqueued_at: dict[int, float] = {}
        self.expired_updates: list[JSONDict] = []
        # forums and other bots
        self._topics: dict[tuple[int, int], _Topic] = {}
        self._last_bot: dict[int, int] = {}
        self._send_times: dict[int, deque[float]] = {}
        self._global_send_times: deque[float] = deque()

        # plumbing
        self._watchers: list[asyncio.Future[None]] = []
        self._inflight: set[asyncio.Task[web.StreamResponse]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("sendPhoto", self._send_photo),
                ("sendDocument", self._send_document),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("sendChatAction", self._send_chat_action),
                ("answerCallbackQuery", self._answer_callback_query),
                ("getFile", self._get_file),
                ("getChatMember", self._get_chat_member),
                ("getChatAdministrators", self._get_chat_administrators),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
            )
        }

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a client that gives up a long poll must free the poller slot at once.
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        site = web.SockSite(runner, sock)
        await site.start()
        self._port = sock.getsockname()[1]
        self._runner = runner
        self._closing = False

    async def stop(self) -> None:
        """Release pending long polls and close the server."""
        self._closing = True
        self._notify()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)
        for work in list(self._inflight):
            work.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful when ``port=0``)."""
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``; PTB appends ``<token>/<method>``."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``; PTB appends ``<token>/<file_path>``."""
        return f"http://{self._host}:{self._port}/file/bot"

    # ---------------------------------------------------------------- world building

    def add_user(
        self,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        user_id: int | None = None,
        is_bot: bool = False,
        is_premium: bool = False,
    ) -> EmuUser:
        """Add a user; ids are allocated from 100000001 unless given."""
        if user_id is None:
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self._users:
            raise ValueError(f"user {user_id} already exists")
        user = EmuUser(user_id, first_name, last_name, username, language_code, is_bot, is_premium)
        self._users[user_id] = user
        return user

    def add_chat(
        self,
        chat_type: ChatType,
        *,
        title: str | None = None,
        user: EmuUser | None = None,
        username: str | None = None,
        chat_id: int | None = None,
        creator: EmuUser | None = None,
        admins: Iterable[EmuUser] = (),
        members: Iterable[EmuUser] = (),
        bot_status: MemberStatus = "member",
        bot_rights: AdminRights | None = None,
        started: bool = True,
        is_forum: bool = False,
    ) -> EmuChat:
        """Add a chat the bot is in.

        Private chats take ``user`` and get its id; ``started=False`` means the user never pressed
        Start, so the bot gets ``403 bot can't initiate conversation``. Groups take ``title``, get a
        negative id (``-100…`` for supergroups) and the bot as ``bot_status`` (``"administrator"``
        is needed for ``chat_member`` updates and, with privacy mode, to see every message).
        """
        if chat_type == "private":
            if user is None:
                raise ValueError("a private chat needs its user")
            chat = EmuChat(
                user.id,
                "private",
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
            )
            self._register_chat(chat)
            self._members[chat.id][user.id] = _Member("member")
            self._members[chat.id][self.bot.id] = _Member("member" if started else "left")
            return chat
        if chat_id is None:
            seq = self._next_group_seq
            self._next_group_seq += 1
            chat_id = -(1_001_000_000_000 + seq) if chat_type == "supergroup" else -(4_000_000_000 + seq)
        chat = EmuChat(chat_id, chat_type, title=title or f"Chat {-chat_id}", username=username, is_forum=is_forum)
        self._register_chat(chat)
        if creator is not None:
            self.set_member(chat, creator, "creator")
        for admin in admins:
            self.set_member(chat, admin, "administrator")
        for member in members:
            self.set_member(chat, member, "member")
        self.set_member(chat, self.bot, bot_status, rights=bot_rights)
        return chat

    def private_chat(self, user: EmuUser | int, *, started: bool = True) -> EmuChat:
        """The private chat with ``user``, created on first use."""
        found = self._user(user)
        chat = self._chats.get(found.id)
        return chat if chat is not None else self.add_chat("private", user=found, started=started)

    def set_member(
        self,
        chat: EmuChat | int,
        user: EmuUser | int,
        status: MemberStatus,
        *,
        rights: AdminRights | None = None,
        custom_title: str | None = None,
        until_date: int = 0,
        can_send_messages: bool = False,
    ) -> None:
        """Set someone's membership silently (no update); see :meth:`member_update` for the visible way."""
        found_chat, found_user = self._chat(chat), self._user(user)
        self._members[found_chat.id][found_user.id] = _Member(
            status,
            rights=rights if status == "administrator" else None,
            custom_title=custom_title,
            until_date=until_date,
            can_send_messages=can_send_messages,
        )

    def add_admin(self, chat: EmuChat | int, user: EmuUser | int, rights: AdminRights | None = None) -> None:
        """Make ``user`` an administrator of ``chat``."""
        self.set_member(chat, user, "administrator", rights=rights)

    def member_status(self, chat: EmuChat | int, user: EmuUser | int) -> MemberStatus:
        """The current status of ``user`` in ``chat`` (``"left"`` when never a member)."""
        return self._member(self._chat(chat).id, self._user(user).id).status

    def add_file(self, data: bytes, *, file_path: str | None = None, kind: str = "photos") -> str:
        """Store bytes downloadable through ``getFile``; returns the new ``file_id``."""
        return self._store_file(data, file_path=file_path, kind=kind).file_id

    def file(self, file_id: str) -> StoredFile:
        """A stored file (e.g. what the bot uploaded)."""
        return self._files[file_id]

    def add_url(self, url: str, data: bytes) -> None:
        """Content Telegram would fetch for ``sendPhoto(photo=url)``; other URLs fail as unreachable."""
        self._urls[url] = data

    def migrate_to_supergroup(self, chat: EmuChat | int) -> EmuChat:
        """Upgrade a group: the old id answers ``400`` with ``migrate_to_chat_id`` from now on."""
        old = self._chat(chat)
        if old.type != "group":
            raise ValueError("only basic groups migrate")
        new = self.add_chat("supergroup", title=old.title)
        self._members[new.id] = dict(self._members[old.id])
        self._migrated[old.id] = new.id
        self._enqueue_message(self._new_message(old, self.bot, {"migrate_to_chat_id": new.id}))
        self._enqueue_message(self._new_message(new, self.bot, {"migrate_from_chat_id": old.id}))
        return new

    def message(self, chat: EmuChat | int, message_id: int) -> JSONDict | None:
        """The current state of a message (after edits), ``None`` if unknown or deleted."""
        return self._messages.get((self._chat_id(chat), message_id))

    # ---------------------------------------------------------------- users acting

    def user_says(
        self,
        chat: EmuChat | int,
        user: EmuUser | int,
        text: str,
        *,
        reply_to: int | None = None,
        text_mentions: Mapping[str, EmuUser] | None = None,
        entities: Sequence[JSONDict] | None = None,
        thread: int | None = None,
    ) -> int:
        """``user`` writes ``text`` in ``chat``; returns the ``update_id`` of the ``message`` update.

        Entities are detected like Telegram does (``/cmd``, ``/cmd@bot``, ``@mention``, ``#tag``,
        URLs) unless ``entities`` is given; ``text_mentions`` maps substrings to users mentioned
        without a username. ``reply_to`` is a message id in the same chat. ``thread`` is a forum topic
        (see :meth:`create_topic`); like Telegram, a message in a topic that replies to nothing else
        replies to the topic's first message.
        """
        found_chat, found_user = self._acting(chat, user)
        content: JSONDict = {"text": text}
        found_entities = list(entities) if entities is not None else detect_entities(text, text_mentions)
        if found_entities:
            content["entities"] = found_entities
        root = self._topic_fields(found_chat, found_user, thread, content)
        replied: int | JSONDict | None = reply_to if reply_to is not None else root
        message = self._new_message(found_chat, found_user, content, reply_to=replied)
        return self._enqueue_message(message)

    def admin_says_anonymously(self, chat: EmuChat | int, admin: EmuUser | int, text: str, *,
                               thread: int | None = None) -> int:
        """An admin with "Remain anonymous" writes as the group: ``from`` is GroupAnonymousBot and
        ``sender_chat`` the group itself, so the bot cannot tell which admin it was."""
        found_chat, found_admin = self._chat(chat), self._user(admin)
        if not self._is_admin(found_chat.id, found_admin.id):
            raise ValueError(f"user {found_admin.id} is no admin of chat {found_chat.id}, so cannot write as it")
        anonymous = self._users.get(GROUP_ANONYMOUS_BOT_ID) or self.add_user(
            "Group", username="GroupAnonymousBot", user_id=GROUP_ANONYMOUS_BOT_ID, is_bot=True)
        content: JSONDict = {"text": text, "sender_chat": found_chat.to_api()}
        if found := detect_entities(text):
            content["entities"] = found
        root = self._topic_fields(found_chat, found_admin, thread, content)
        return self._enqueue_message(self._new_message(found_chat, anonymous, content, reply_to=root))

    def other_bot_says(self, chat: EmuChat | int, bot: EmuUser | int, text: str) -> int:
        """Another bot posts in a group. Bots never receive each other's messages, but in privacy mode a
        bare ``/cmd`` then goes to that bot, not ours, until ours speaks again; returns the message id."""
        found_chat, found_bot = self._chat(chat), self._user(bot)
        if not found_bot.is_bot:
            raise ValueError(f"user {found_bot.id} is not a bot")
        message = self._new_message(found_chat, found_bot, {"text": text})
        self._last_bot[found_chat.id] = found_bot.id
        return int(message["message_id"])

    # ---------------------------------------------------------------- forum topics

    def create_topic(self, chat: EmuChat | int, user: EmuUser | int, name: str) -> int:
        """``user`` opens a topic in a forum supergroup; returns its ``message_thread_id``."""
        found_chat, found_user = self._acting(chat, user)
        if not found_chat.is_forum:
            raise ValueError(f"chat {found_chat.id} is no forum (add_chat(..., is_forum=True))")
        message_id = self._next_message_id.get(found_chat.id, 1)
        content: JSONDict = {"message_thread_id": message_id, "is_topic_message": True,
                             "forum_topic_created": {"name": name, "icon_color": 7322096}}
        created = self._new_message(found_chat, found_user, content)
        self._topics[(found_chat.id, message_id)] = _Topic(name, created)
        self._enqueue_message(created)
        return message_id

    def rename_topic(self, chat: EmuChat | int, user: EmuUser | int, thread: int, name: str) -> int:
        return self._topic_event(chat, user, thread, {"forum_topic_edited": {"name": name}}, name=name)

    def close_topic(self, chat: EmuChat | int, user: EmuUser | int, thread: int) -> int:
        return self._topic_event(chat, user, thread, {"forum_topic_closed": {}}, closed=True)

    def reopen_topic(self, chat: EmuChat | int, user: EmuUser | int, thread: int) -> int:
        return self._topic_event(chat, user, thread, {"forum_topic_reopened": {}}, closed=False)

    def delete_topic(self, chat: EmuChat | int, thread: int) -> None:
        """The topic and its messages are gone; Telegram sends no update for it."""
        found_chat = self._chat(chat)
        self._topic(found_chat.id, thread).deleted = True

    def _topic(self, chat_id: int, thread: int) -> _Topic:
        topic = self._topics.get((chat_id, thread))
        if topic is None:
            raise ValueError(f"chat {chat_id} has no topic {thread}")
        return topic

    def _topic_event(self, chat: EmuChat | int, user: EmuUser | int, thread: int, service: JSONDict,
                     **changes: Any) -> int:
        found_chat, found_user = self._acting(chat, user)
        topic = self._topic(found_chat.id, thread)
        if not self._is_admin(found_chat.id, found_user.id) and topic.created["from"]["id"] != found_user.id:
            raise ValueError(f"user {found_user.id} may not manage topic {thread}")
        for key, value in changes.items():
            setattr(topic, key, value)
        content = {"message_thread_id": thread, "is_topic_message": True, **service}
        return self._enqueue_message(self._new_message(found_chat, found_user, content, reply_to=topic.created))

    def _topic_fields(self, chat: EmuChat, user: EmuUser, thread: int | None, content: JSONDict) -> JSONDict | None:
        """Put a user's message into topic ``thread``; returns the topic's first message (what it replies to)."""
        if thread is None:
            return None
        topic = self._topic(chat.id, thread)
        if topic.deleted:
            raise ValueError(f"topic {thread} of chat {chat.id} was deleted")
        if topic.closed and not self._is_admin(chat.id, user.id):
            raise ValueError(f"topic {thread} of chat {chat.id} is closed to members")
        content.update(message_thread_id=thread, is_topic_message=True)
        return topic.created

    def _sending_thread(self, params: _Params, chat: EmuChat, content: JSONDict) -> JSONDict | None:
        """``message_thread_id`` of a sending method, checked as Telegram does; the topic's first message."""
        thread = params.opt_int("message_thread_id")
        if thread is None:
            return None
        topic = self._topics.get((chat.id, thread)) if chat.is_forum else None
        if topic is None or topic.deleted:
            raise _bad_request("message thread not found")
        bot = self._member(chat.id, self.bot.id)
        may_manage = bot.status == "creator" or (bot.status == "administrator"
                                                 and (bot.rights or AdminRights()).can_manage_topics)
        if topic.closed and not may_manage:
            raise _bad_request("TOPIC_CLOSED")
        content.update(message_thread_id=thread, is_topic_message=True)
        return topic.created

    def user_edits(self, chat: EmuChat | int, user: EmuUser | int, message_id: int, text: str) -> int:
        """``user`` edits their earlier message; returns the ``edited_message`` update's id."""
        found_chat, found_user = self._acting(chat, user)
        message = self._messages.get((found_chat.id, message_id))
        if message is None or message.get("from", {}).get("id") != found_user.id:
            raise ValueError(f"{found_user.id} has no message {message_id} in chat {found_chat.id}")
        message = {**message, "text": text, "edit_date": int(time.time())}
        message.pop("entities", None)
        if found := detect_entities(text):
            message["entities"] = found
        self._messages[(found_chat.id, message_id)] = message
        return self._enqueue({"edited_message": message})

    def user_sends_photo(
        self,
        chat: EmuChat | int,
        user: EmuUser | int,
        photo: bytes,
        *,
        caption: str | None = None,
        width: int | None = None,
        height: int | None = None,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> int:
        """``user`` sends a photo; the message carries several ``PhotoSize`` (largest last).

        Dimensions come from the image header, else ``width``/``height``, else 1280x960. All sizes
        download ``photo`` itself (the emulator does not resize).
        """
        found_chat, found_user = self._acting(chat, user)
        detected = _image_size(photo)
        size = (width, height) if width and height else detected or (1280, 960)
        content: JSONDict = {"photo": self._photo_sizes(photo, *size)}
        if caption:
            content["caption"] = caption
            if found := detect_entities(caption):
                content["caption_entities"] = found
        root = self._topic_fields(found_chat, found_user, thread, content)
        replied: int | JSONDict | None = reply_to if reply_to is not None else root
        message = self._new_message(found_chat, found_user, content, reply_to=replied)
        return self._enqueue_message(message)

    def user_presses(
        self,
        chat: EmuChat | int,
        user: EmuUser | int,
        message_id: int,
        callback_data: str,
        *,
        check_button: bool = True,
    ) -> int:
        """``user`` presses an inline button of message ``message_id``; returns the update id.

        With ``check_button`` the message must currently carry a button with that ``callback_data``
        (catching typos in tests); pass ``False`` to emulate a client with a stale keyboard.
        """
        found_chat, found_user = self._chat(chat), self._user(user)
        message = self._messages.get((found_chat.id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {found_chat.id}")
        if check_button:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            datas = [b.get("callback_data") for row in rows for b in row]
            if callback_data not in datas:
                raise ValueError(f"message {message_id} has no button with callback_data {callback_data!r}: {datas}")
        query_id = str(self._rng.getrandbits(62))
        query: JSONDict = {
            "id": query_id,
            "from": found_user.to_api(),
            "message": message,
            "chat_instance": self._chat_instance(found_chat.id),
            "data": callback_data,
        }
        update_id = self._enqueue({"callback_query": query})
        self._callback_queries[query_id] = _CallbackQuery(
            update_id, found_user.id, found_chat.id, message_id, callback_data, created=self.clock()
        )
        return update_id

    def expire_callback_queries(self) -> int:
        """Make every unanswered button press too old to answer, as Telegram does after a short while
        (e.g. presses made while the bot was down); returns how many there were."""
        expired = [q for q in self._callback_queries.values() if not q.answered and not q.too_old]
        for query in expired:
            query.too_old = True
        return len(expired)

    def member_update(
        self,
        chat: EmuChat | int,
        user: EmuUser | int,
        status: MemberStatus,
        *,
        actor: EmuUser | int | None = None,
        rights: AdminRights | None = None,
        custom_title: str | None = None,
        until_date: int = 0,
    ) -> int:
        """Change ``user``'s status in ``chat`` visibly; returns the update id.

        About the bot itself it is a ``my_chat_member`` update (e.g. a user blocking the bot is
        ``member_update(emu.private_chat(u), emu.bot, "kicked", actor=u)``); about anyone else a
        ``chat_member`` update, which Telegram sends only if ``allowed_updates`` asked for it and
        the bot is an administrator there.
        """
        found_chat, found_user = self._chat(chat), self._user(user)
        by = self._user(actor) if actor is not None else found_user
        old = self._member(found_chat.id, found_user.id)
        self.set_member(found_chat, found_user, status, rights=rights, custom_title=custom_title, until_date=until_date)
        new = self._member(found_chat.id, found_user.id)
        kind = "my_chat_member" if found_user.id == self.bot.id else "chat_member"
        payload: JSONDict = {
            "chat": found_chat.to_api(),
            "from": by.to_api(),
            "date": int(time.time()),
            "old_chat_member": old.to_api(found_user),
            "new_chat_member": new.to_api(found_user),
        }
        return self._enqueue({kind: payload})

    def inject(self, update: Mapping[str, Any]) -> int:
        """Queue a raw update as-is (no filtering); ``update_id`` is assigned unless present."""
        data = dict(update)
        if "update_id" not in data:
            data["update_id"] = self._take_update_id()
        else:
            self._next_update_id = max(self._next_update_id, int(data["update_id"]) + 1)
        self.injected[data["update_id"]] = data
        self._enqueued_at[data["update_id"]] = self.clock()
        self._pending.append(data)
        self._pending.sort(key=lambda u: u["update_id"])
        self._notify()
        return int(data["update_id"])

    # ---------------------------------------------------------------- faults and limits

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: float | None = None,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        raw_body: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` calls of ``method`` (``"*"`` = any) with an error.

        A ``429`` always carries ``parameters.retry_after`` (default 1 s; Telegram sends integers,
        fractions are allowed here to keep tests fast). ``chat_id`` restricts the fault to calls for
        that chat. ``raw_body`` replaces the JSON body (e.g. an nginx HTML page on ``502``).
        """
        params = dict(parameters or {})
        if status == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None:
            params["retry_after"] = int(retry_after) if float(retry_after).is_integer() else retry_after
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {params['retry_after']}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        fault = Fault(
            method,
            "error",
            remaining=times,
            status=status,
            description=description,
            retry_after=retry_after,
            parameters=params or None,
            chat_id=chat_id,
            raw_body=raw_body,
        )
        self._faults.append(fault)
        return fault

    def drop_next(
        self, method: str, *, times: int = 1, after_processing: bool = False, chat_id: int | str | None = None
    ) -> Fault:
        """Close the connection of the next ``times`` calls of ``method`` without answering.

        With ``after_processing`` the call takes effect first (the message *is* sent) and only the
        answer is lost: the case that makes naive retries send duplicates.
        """
        fault = Fault(method, "drop", remaining=times, after_processing=after_processing, chat_id=chat_id)
        self._faults.append(fault)
        return fault

    def delay_next(self, method: str, seconds: float, *, times: int = 1, chat_id: int | str | None = None) -> Fault:
        """Hold the next ``times`` calls of ``method`` for ``seconds`` before handling them.

        A client whose read timeout is shorter gets ``TimedOut``, yet the call still takes effect
        afterwards, as on Telegram (``getUpdates`` excepted: an abandoned long poll just ends).
        """
        fault = Fault(method, "delay", remaining=times, delay=seconds, chat_id=chat_id)
        self._faults.append(fault)
        return fault

    def add_method(self, name: str, handler: Callable[[JSONDict], Any]) -> None:
        """Serve another Bot API method (or replace one) for a test that needs it.

        ``handler`` gets the decoded parameters and returns the ``result`` (it may be a coroutine
        function) or raises :class:`ApiError`. Without this, unknown methods answer ``404 Not Found``,
        which PTB reports as ``InvalidToken`` (``EndPointNotFound`` via ``do_api_request``).
        """

        async def serve(params: _Params) -> Any:
            result = handler(params.as_dict())
            return await result if inspect.isawaitable(result) else result

        self._handlers[name.lower()] = (name, serve)

    def clear_faults(self) -> None:
        """Forget faults not used up yet."""
        self._faults.clear()

    def set_rate_limits(self, limits: RateLimits | None = RateLimits()) -> None:
        """Turn flood control on (``RateLimits()`` = Telegram's documented limits) or off (``None``)."""
        self._rate_limits = limits
        self._send_times.clear()
        self._global_send_times.clear()

    # ---------------------------------------------------------------- inspection and waiting

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by an ``offset`` (or delivered to a webhook)."""
        return list(self._pending)

    def is_delivered(self, update_id: int) -> bool:
        """Whether a ``getUpdates`` answer or a webhook POST has carried this update."""
        return update_id in self._delivered

    def is_confirmed(self, update_id: int) -> bool:
        """Whether Telegram would never send this update again."""
        return update_id < self._confirmed_below or (
            update_id in self._delivered and all(u["update_id"] != update_id for u in self._pending)
        )

    @property
    def long_polling(self) -> bool:
        """Whether a ``getUpdates`` is waiting right now (to start a competing poller in tests)."""
        return self._poller is not None and not self._poller.done()

    @property
    def allowed_updates(self) -> frozenset[str] | None:
        """The bot's current ``allowed_updates`` (``None`` = Telegram's default set)."""
        return self._allowed_updates

    def commands_for(
        self,
        scope: str = "default",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "",
    ) -> list[tuple[str, str]]:
        """The ``(command, description)`` list registered for exactly this scope and language."""
        return list(self.commands.get(CommandScopeKey(scope, chat_id, user_id, language_code), []))

    def menu_seen_by(self, chat: EmuChat | int, user: EmuUser | int, language_code: str = "") -> list[tuple[str, str]]:
        """The command list ``user``'s app shows in ``chat``, chosen as Telegram documents it: the first
        scope with a list, from ``chat_member`` over ``chat_administrators`` (admins only), ``chat``,
        ``all_chat_administrators`` (admins only), ``all_group_chats`` (``all_private_chats`` in a private
        chat) to ``default``; in each, the user's language first, then the list without a language."""
        found_chat, found_user = self._chat(chat), self._user(user)
        if found_chat.type == "private":
            scopes = [CommandScopeKey("chat", found_chat.id), CommandScopeKey("all_private_chats")]
        else:
            admin = self._is_admin(found_chat.id, found_user.id)
            scopes = [CommandScopeKey("chat_member", found_chat.id, found_user.id)]
            scopes += [CommandScopeKey("chat_administrators", found_chat.id)] if admin else []
            scopes += [CommandScopeKey("chat", found_chat.id)]
            scopes += [CommandScopeKey("all_chat_administrators")] if admin else []
            scopes += [CommandScopeKey("all_group_chats")]
        scopes.append(CommandScopeKey())
        for scope in scopes:
            for language in dict.fromkeys((language_code, "")):
                listed = self.commands.get(CommandScopeKey(scope.scope, scope.chat_id, scope.user_id, language))
                if listed:
                    return list(listed)
        return []

    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_until(self, predicate: Callable[[], bool], *, timeout: float = 5.0, what: str = "condition") -> None:
        """Wait, without polling, until ``predicate()`` holds after some emulator activity."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(f"{c.method}->{c.status}" for c in self.calls[-12:])
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}; last calls: {recent}")
            watcher: asyncio.Future[None] = loop.create_future()
            self._watchers.append(watcher)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher, remaining)

    async def wait_for_sent(self, n: int = 1, *, timeout: float = 5.0, chat_id: int | None = None) -> list[SentMessage]:
        """Wait until at least ``n`` messages were sent (to ``chat_id`` if given); returns them all."""

        def matching() -> list[SentMessage]:
            return [s for s in self.sent if chat_id is None or s.chat_id == chat_id]

        await self.wait_until(lambda: len(matching()) >= n, timeout=timeout, what=f"{n} sent message(s)")
        return matching()

    async def wait_for_calls(
        self,
        method: str,
        n: int = 1,
        *,
        timeout: float = 5.0,
        where: Callable[[ApiCall], bool] | None = None,
    ) -> list[ApiCall]:
        """Wait until ``n`` finished calls of ``method`` (matching ``where``) were answered."""

        def matching() -> list[ApiCall]:
            return [c for c in self.calls_of(method) if c.status is not None and (where is None or where(c))]

        await self.wait_until(lambda: len(matching()) >= n, timeout=timeout, what=f"{n} {method} call(s)")
        return matching()

    async def wait_for_callback_answers(self, n: int = 1, *, timeout: float = 5.0) -> list[CallbackAnswer]:
        """Wait until ``n`` callback queries were answered; returns all answers so far."""
        await self.wait_until(lambda: len(self.callback_answers) >= n, timeout=timeout, what=f"{n} callback answer(s)")
        return list(self.callback_answers)

    async def wait_delivered(self, update_id: int, *, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched this update (it may not have handled it yet)."""
        await self.wait_until(lambda: self.is_delivered(update_id), timeout=timeout, what=f"delivery of {update_id}")

    async def wait_confirmed(self, update_id: int, *, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed this update with a later ``offset``."""
        await self.wait_until(
            lambda: self.is_confirmed(update_id), timeout=timeout, what=f"confirmation of {update_id}"
        )

    # ---------------------------------------------------------------- webhook delivery

    async def deliver_webhook(
        self, url: str | None = None, secret_token: str | None = None, *, timeout: float = 10.0
    ) -> int | None:
        """POST pending updates one by one to ``url`` like Telegram does; returns the last HTTP status.

        Defaults to the URL and secret given to ``setWebhook``. Each update goes as a JSON body with
        ``X-Telegram-Bot-Api-Secret-Token`` when a secret is set; a 2xx answer confirms it, anything
        else stops delivery and is reported by ``getWebhookInfo`` (``last_error_message``). Returns
        ``None`` if nothing was pending; connection errors are recorded, then raised.
        """
        state = self.webhook
        if url is None:
            if state is None:
                raise RuntimeError("no webhook is set and no url was given")
            url = state.url
            secret_token = state.secret_token if secret_token is None else secret_token
        headers = {"Content-Type": "application/json"}
        if secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        status: int | None = None
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        self._forget_old_updates()
        async with aiohttp.ClientSession(timeout=client_timeout) as session:
            while self._pending:
                update = self._pending[0]
                self._delivered.add(update["update_id"])
                try:
                    async with session.post(url, data=json.dumps(update, ensure_ascii=False), headers=headers) as resp:
                        status = resp.status
                        reason = resp.reason
                        await resp.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._webhook_error(f"Connection failed: {exc!r}")
                    raise
                if not 200 <= status < 300:
                    self._webhook_error(f"Wrong response from the webhook: {status} {reason}")
                    break
                self._pending.pop(0)
                self._notify()
        return status

    async def deliver_webhook_concurrently(self, *, shuffle: bool = True, timeout: float = 10.0) -> list[int]:
        """POST every pending update at once, as Telegram does over up to ``max_connections`` connections,
        in a shuffled order (Telegram says updates may arrive out of order); returns the statuses in the
        order the updates were sent. An update answered with 2xx is confirmed; the others stay pending."""
        state = self.webhook
        if state is None:
            raise RuntimeError("no webhook is set")
        self._forget_old_updates()
        batch = list(self._pending)
        if shuffle:
            self._rng.shuffle(batch)
        headers = {"Content-Type": "application/json"}
        if state.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = state.secret_token
        connections = asyncio.Semaphore(state.max_connections)

        async def post(session: aiohttp.ClientSession, update: JSONDict) -> int:
            async with connections:
                self._delivered.add(update["update_id"])
                body = json.dumps(update, ensure_ascii=False)
                async with session.post(state.url, data=body, headers=headers) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        self._pending = [u for u in self._pending if u["update_id"] != update["update_id"]]
                    else:
                        self._webhook_error(f"Wrong response from the webhook: {resp.status} {resp.reason}")
                    self._notify()
                    return resp.status

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            return list(await asyncio.gather(*(post(session, update) for update in batch)))

    def _webhook_error(self, message: str) -> None:
        if self.webhook is not None:
            self.webhook.last_error_date = int(time.time())
            self.webhook.last_error_message = message
        self._notify()

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return self._respond(ApiError(404, "Not Found").to_json(), 404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return self._respond(ApiError(404, "Not Found").to_json(), 404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        call = ApiCall(request.match_info["method"], {}, self.clock(), request.method)
        self.calls.append(call)
        if call.method.lower() == "getupdates":
            # A long poll whose client went away is cancelled with its handler (handler_cancellation),
            # which frees the poller slot at once.
            try:
                return await self._process(request, call)
            finally:
                self._notify()
        # Any other call runs to completion even if the client gives up (a read timeout, a dropped
        # connection): Telegram does too, which is what makes blind retries send duplicates.
        work = asyncio.create_task(self._process(request, call))
        self._inflight.add(work)
        work.add_done_callback(self._settle)
        return await asyncio.shield(work)

    def _settle(self, work: asyncio.Task[web.StreamResponse]) -> None:
        self._inflight.discard(work)
        if not work.cancelled():
            work.exception()  # retrieved here so an abandoned call never warns "never retrieved"
        self._notify()

    async def _process(self, request: web.Request, call: ApiCall) -> web.StreamResponse:
        token = request.match_info["token"]
        try:
            if not _TOKEN_RE.match(token):
                raise ApiError(404, "Not Found")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            spec = self._handlers.get(call.method.lower())
            if spec is None:
                raise ApiError(404, "Not Found")
            call.method, handler = spec
            call.params = _normalize_params(await self._read_params(request))
            fault = next((f for f in self._faults if f.matches(call.method, call.params)), None)
            if fault is not None:
                fault.remaining -= 1
                call.fault = fault
                if fault.action == "drop" and not fault.after_processing:
                    return await self._drop(request)
                if fault.action == "delay":
                    await asyncio.sleep(fault.delay)
                if fault.action == "error":
                    if fault.raw_body is not None:
                        call.status, call.error = fault.status, fault.raw_body
                        return web.Response(status=fault.status, text=fault.raw_body, content_type="text/html")
                    raise ApiError(fault.status, fault.description or "", fault.parameters)
            params = _Params(call.params)
            self._check_rate_limit(call.method, params)
            answer = await handler(params)
            self._record_rate(call.method, params)
            if fault is not None and fault.action == "drop":
                return await self._drop(request)
        except ApiError as err:
            call.status, call.error = err.status, err.description
            return self._respond(err.to_json(), err.status)
        if not isinstance(answer, _Answer):
            answer = _Answer(answer)
        call.status, call.result = 200, answer.result
        body: JSONDict = {"ok": True, "result": answer.result}
        if answer.description:
            body["description"] = answer.description
        return self._respond(body, 200)

    @staticmethod
    def _respond(body: JSONDict, status: int) -> web.Response:
        return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")

    @staticmethod
    async def _drop(request: web.Request) -> web.StreamResponse:
        """Kill the TCP connection so the client sees a disconnect with no HTTP answer at all."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)  # never sent: the connection is gone

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Query string plus a form, multipart or JSON body, as Telegram accepts all of them."""
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise _bad_request("JSON object expected")
            params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
            else:
                params[key] = str(value)
        return params

    def _notify(self) -> None:
        """Wake every waiter (long polls, ``wait_*`` helpers) so it re-checks its condition."""
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            if not watcher.done():
                watcher.set_result(None)

    # ---------------------------------------------------------------- internals: world

    def _user(self, user: EmuUser | int) -> EmuUser:
        user_id = user.id if isinstance(user, EmuUser) else user
        try:
            return self._users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}; add it with add_user()") from None

    def _chat(self, chat: EmuChat | int) -> EmuChat:
        chat_id = chat.id if isinstance(chat, EmuChat) else chat
        try:
            return self._chats[chat_id]
        except KeyError:
            raise ValueError(f"unknown chat {chat_id}; add it with add_chat()") from None

    def _chat_id(self, chat: EmuChat | int) -> int:
        return chat.id if isinstance(chat, EmuChat) else chat

    def _register_chat(self, chat: EmuChat) -> None:
        if chat.id in self._chats:
            raise ValueError(f"chat {chat.id} already exists")
        self._chats[chat.id] = chat
        self._members[chat.id] = {}

    def _member(self, chat_id: int, user_id: int) -> _Member:
        return self._members.get(chat_id, {}).get(user_id, _Member("left"))

    def _is_admin(self, chat_id: int, user_id: int) -> bool:
        return self._member(chat_id, user_id).status in ("creator", "administrator")

    def _acting(self, chat: EmuChat | int, user: EmuUser | int) -> tuple[EmuChat, EmuUser]:
        """Resolve who writes where; a group member who is not in the chat yet joins silently."""
        found_chat, found_user = self._chat(chat), self._user(user)
        status = self._member(found_chat.id, found_user.id).status
        if found_chat.type == "private":
            if found_chat.id != found_user.id:
                raise ValueError(f"user {found_user.id} cannot write in {found_user.id}'s private chat")
            bot_status = self._member(found_chat.id, self.bot.id).status
            if bot_status == "kicked":
                raise ValueError(f"user {found_user.id} blocked the bot; unblock with member_update() first")
            if bot_status == "left":
                self.set_member(found_chat, self.bot, "member")  # writing to a bot starts it
        elif status == "kicked":
            raise ValueError(f"user {found_user.id} is banned from chat {found_chat.id}")
        elif status == "left":
            self.set_member(found_chat, found_user, "member")
        return found_chat, found_user

    def _chat_instance(self, chat_id: int) -> str:
        if chat_id not in self._chat_instances:
            self._chat_instances[chat_id] = str(self._rng.getrandbits(63))
        return self._chat_instances[chat_id]

    def _new_message(
        self,
        chat: EmuChat,
        sender: EmuUser,
        content: Mapping[str, Any],
        *,
        reply_to: int | JSONDict | None = None,
    ) -> JSONDict:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        if sender.is_bot and sender.id != GROUP_ANONYMOUS_BOT_ID:
            self._last_bot[chat.id] = sender.id
        message: JSONDict = {
            "message_id": message_id,
            "from": sender.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
            **content,
        }
        if isinstance(reply_to, int):
            replied = self._messages.get((chat.id, reply_to))
            if replied is None:
                raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
            reply_to = replied
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        self._messages[(chat.id, message_id)] = message
        return message

    def _store_file(self, data: bytes, *, file_path: str | None = None, kind: str = "photos") -> StoredFile:
        seq = len(self._files) + 1
        extension = "jpg" if kind == "photos" else "bin"
        stored = StoredFile(
            file_id="AgACAgIAAxkBAAI" + "".join(self._rng.choices(_ID_ALPHABET, k=48)),
            file_unique_id="AQAD" + "".join(self._rng.choices(_ID_ALPHABET, k=12)),
            file_path=file_path or f"{kind}/file_{seq}.{extension}",
            data=data,
        )
        if stored.file_path in self._files_by_path:
            raise ValueError(f"file_path {stored.file_path!r} already used")
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _photo_sizes(self, data: bytes, width: int, height: int) -> list[JSONDict]:
        sizes = []
        for w, h in _photo_dimensions(width, height):
            stored = self._store_file(data)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": w,
                    "height": h,
                }
            )
        return sizes

    # ---------------------------------------------------------------- internals: updates

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _enqueue_message(self, message: JSONDict) -> int:
        return self._enqueue({"message": message})

    def _enqueue(self, payload: JSONDict) -> int:
        """Assign an id and queue the update unless Telegram would not deliver it to this bot."""
        update = {"update_id": self._take_update_id(), **payload}
        self.injected[update["update_id"]] = update
        self._enqueued_at[update["update_id"]] = self.clock()
        reason = self._filter_reason(update)
        if reason is not None:
            self.filtered.append(FilteredUpdate(update, reason))
        else:
            self._pending.append(update)
            self._notify()
        return int(update["update_id"])

    def _filter_reason(self, update: Mapping[str, Any]) -> str | None:
        kind = next(k for k in update if k != "update_id")
        allowed = self._allowed_updates
        if allowed is None and kind in OPT_IN_UPDATE_TYPES:
            return f"{kind} updates are opt-in: allowed_updates must list {kind!r}"
        if allowed is not None and kind not in allowed:
            return f"{kind!r} is not in allowed_updates {sorted(allowed)}"
        body = update[kind]
        chat_id = body.get("chat", {}).get("id") if isinstance(body, dict) else None
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None or chat.type == "private":
            return None
        bot_status = self._member(chat.id, self.bot.id).status
        if kind == "chat_member" and bot_status not in ("creator", "administrator"):
            return "chat_member updates are sent only to bots that are administrators of the chat"
        if kind in ("message", "edited_message"):
            if bot_status in ("left", "kicked"):
                return f"the bot is not a member of chat {chat.id}"
            if self.privacy_mode and bot_status not in ("creator", "administrator"):
                return self._privacy_reason(body)
        return None

    def reaches_bot_in_group(self, text: str) -> bool:
        """Whether a member typing ``text`` in a group reaches this bot when it is not an admin there.

        Always true without privacy mode; with it, only a command Telegram recognises (``/[A-Za-z0-9_]``,
        optionally ``@thisbot``) at the start of the text gets through.
        """
        if not self.privacy_mode:
            return True
        message: JSONDict = {"text": text}
        if found := detect_entities(text):
            message["entities"] = found
        return self._privacy_reason(message) is None

    def _privacy_reason(self, message: Mapping[str, Any]) -> str | None:
        """Group privacy mode: only commands, replies to the bot and service messages get through."""
        if "text" not in message and "caption" not in message and "photo" not in message:
            return None  # service message
        replied = message.get("reply_to_message", {})
        if replied.get("from", {}).get("id") == self.bot.id:
            return None
        text = message.get("text", message.get("caption", ""))  # a photo captioned with a command is one too
        chat_id = message.get("chat", {}).get("id")
        for entity in message.get("entities", message.get("caption_entities", [])):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = text[: entity["length"]]
                target = command.partition("@")[2]
                if target.lower() == (self.bot.username or "").lower():
                    return None
                if not target and self._last_bot.get(chat_id, self.bot.id) == self.bot.id:
                    return None
                if not target:
                    return "privacy mode: a bare /command goes to the last bot that spoke in the group, another one"
        return "privacy mode: a bot that is not an admin sees only commands and replies to it in groups"

    def _forget_old_updates(self) -> None:
        """Telegram keeps an update for ``update_retention`` (24 h): after a longer outage it is gone."""
        if self.update_retention is None:
            return
        now = self.clock()
        old = [u for u in self._pending if now - self._enqueued_at.get(u["update_id"], now) > self.update_retention]
        if old:
            self.expired_updates.extend(old)
            self._pending = [u for u in self._pending if u not in old]

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last ``-offset`` ones."""
        if offset < 0:
            keep = -offset
            dropped = self._pending[:-keep] if keep < len(self._pending) else []
            self._pending = self._pending[-keep:] if keep else []
        else:
            dropped = [u for u in self._pending if u["update_id"] < offset]
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._confirmed_below = max(self._confirmed_below, offset)
        for update in dropped:
            self._confirmed_below = max(self._confirmed_below, update["update_id"] + 1)

    # ---------------------------------------------------------------- internals: checks

    def _resolve_chat(self, value: Any) -> EmuChat:
        if value in (None, ""):
            raise _bad_request("chat_id is empty")
        chat: EmuChat | None = None
        if isinstance(value, str) and value.startswith("@"):
            wanted = value[1:].lower()
            chat = next((c for c in self._chats.values() if (c.username or "").lower() == wanted), None)
        elif isinstance(value, int) and not isinstance(value, bool):
            if value in self._migrated:
                raise _bad_request(
                    "group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": self._migrated[value]},
                )
            chat = self._chats.get(value)
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _check_can_send(self, chat: EmuChat) -> None:
        bot = self._member(chat.id, self.bot.id)
        if chat.type == "private":
            if self._users[chat.id].is_bot:
                raise _forbidden("bot can't send messages to bots")
            if bot.status == "kicked":
                raise _forbidden("bot was blocked by the user")
            if bot.status == "left":
                raise _forbidden("bot can't initiate conversation with a user")
            return
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        if bot.status == "kicked":
            raise _forbidden(f"bot was kicked from the {kind}")
        if bot.status == "left":
            raise _forbidden(f"bot is not a member of the {kind}")
        if bot.status == "restricted" and not bot.can_send_messages:
            raise _bad_request("not enough rights to send text messages to the chat")

    def _limited_chat(self, method: str, params: _Params) -> tuple[RateLimits, EmuChat | None] | None:
        limits = self._rate_limits
        if limits is None or method not in limits.methods:
            return None
        chat_id = params.get("chat_id")
        return limits, self._chats.get(chat_id) if isinstance(chat_id, int) else None

    def _check_rate_limit(self, method: str, params: _Params) -> None:
        limited = self._limited_chat(method, params)
        if limited is None:
            return
        limits, chat = limited
        scale = self.time_scale
        now = self.clock()
        wait = 0.0
        if chat is not None:
            times = self._send_times.setdefault(chat.id, deque())
            if limits.per_chat_interval is not None and times:
                wait = max(wait, limits.per_chat_interval * scale - (now - times[-1]))
            if limits.group_per_minute is not None and chat.type != "private":
                recent = [t for t in times if now - t < 60 * scale]
                if len(recent) >= limits.group_per_minute:
                    wait = max(wait, 60 * scale - (now - recent[-limits.group_per_minute]))
        if limits.global_per_second is not None:
            while self._global_send_times and now - self._global_send_times[0] >= scale:
                self._global_send_times.popleft()
            if len(self._global_send_times) >= limits.global_per_second:
                wait = max(wait, scale - (now - self._global_send_times[0]))
        if wait > 0:  # Telegram says whole seconds: scaled, whole scaled seconds
            raise _too_many_requests(round(max(1, math.ceil(wait / scale)) * scale, 6))

    def _record_rate(self, method: str, params: _Params) -> None:
        limited = self._limited_chat(method, params)
        if limited is None:
            return
        _limits, chat = limited
        now = self.clock()
        if chat is not None:
            times = self._send_times.setdefault(chat.id, deque())
            times.append(now)
            while times and now - times[0] >= 60 * self.time_scale:
                times.popleft()
        self._global_send_times.append(now)

    def _resolve_user_api(self, user_id: int) -> JSONDict | None:
        user = self._users.get(user_id)
        return user.to_api() if user else None

    def _formatted(
        self,
        params: _Params,
        text_field: str,
        *,
        mode_field: str = "parse_mode",
        entities_field: str = "entities",
    ) -> tuple[str | None, str, list[JSONDict], str | None]:
        """Return ``(raw text, plain text, entities, parse_mode)`` after Telegram's parsing and trim."""
        raw = params.opt_str(text_field)
        parse_mode = params.opt_str(mode_field)
        if raw is None:
            return None, "", [], parse_mode
        mode = (parse_mode or "").lower()
        if mode == "html":
            plain, entities = parse_html(raw, self._resolve_user_api)
        elif mode == "markdownv2":
            plain, entities = parse_markdown_v2(raw)
        elif mode == "markdown":
            plain, entities = parse_markdown(raw)
        elif mode:
            raise _bad_request("unsupported parse_mode")
        else:
            given = params.opt_json(entities_field, f"can't parse {entities_field} JSON object")
            if given is not None and (not isinstance(given, list) or not all(isinstance(e, dict) for e in given)):
                raise _bad_request(f"can't parse {entities_field} JSON object")
            plain, entities = raw, _sorted_entities(given or [])
        plain, entities = _strip_formatted(plain, entities)
        return raw, plain, entities, parse_mode

    def _reply_markup(self, params: _Params) -> JSONDict | None:
        """Validate ``reply_markup`` as Telegram does, returning the decoded object."""
        markup = params.get("reply_markup")
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return markup
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request("can't parse inline keyboard button: Text must be a String")
        actions = [a for a in _INLINE_BUTTON_ACTIONS if a in button]
        if not actions:
            raise _bad_request("can't parse inline keyboard button: text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise _bad_request("can't parse inline keyboard button: exactly one of the optional fields must be used")
        if not button["text"].strip():
            raise _bad_request("BUTTON_TEXT_INVALID")
        data = button.get("callback_data")
        if "callback_data" in button and (not isinstance(data, str) or not 1 <= len(data.encode()) <= 64):
            raise _bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if "url" in button and (not isinstance(url, str) or not re.match(r"(https?|tg)://[^\s]+$", url)):
            raise _bad_request("BUTTON_URL_INVALID")

    def _reply_target(self, params: _Params, chat: EmuChat) -> JSONDict | None:
        """Find the message replied to, honouring ``allow_sending_without_reply``."""
        reply = params.opt_json("reply_parameters", "can't parse reply parameters JSON object")
        allow_missing = params.opt_bool("allow_sending_without_reply")
        message_id = params.opt_int("reply_to_message_id")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise _bad_request("can't parse reply parameters JSON object")
            message_id = reply["message_id"]
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
            if reply.get("chat_id") not in (None, chat.id):
                chat = self._resolve_chat(reply["chat_id"])
        if message_id is None:
            return None
        target = self._messages.get((chat.id, message_id))
        if target is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return target

    def _send(
        self,
        method: str,
        chat: EmuChat,
        content: JSONDict,
        *,
        raw_text: str | None,
        plain_text: str | None,
        parse_mode: str | None,
        entities: list[JSONDict],
        markup: JSONDict | None,
        reply_target: JSONDict | None,
        caption: str | None = None,
        photo_file_id: str | None = None,
        document: JSONDict | None = None,
        file_data: bytes | None = None,
    ) -> JSONDict:
        if markup is not None and markup.get("inline_keyboard"):
            content["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        message = self._new_message(chat, self.bot, content, reply_to=reply_target)
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat.id,
                message_id=message["message_id"],
                text=raw_text,
                plain_text=plain_text,
                parse_mode=parse_mode,
                entities=entities,
                reply_markup=markup,
                reply_to_message_id=reply_target["message_id"] if reply_target else None,
                time=self.clock(),
                message=message,
                caption=caption,
                photo_file_id=photo_file_id,
                document_file_id=document["file_id"] if document else None,
                file_name=document.get("file_name") if document else None,
                mime_type=document.get("mime_type") if document else None,
                file_data=file_data,
                thread_id=content.get("message_thread_id"),
            )
        )
        return message

    # ---------------------------------------------------------------- methods

    async def _get_me(self, params: _Params) -> JSONDict:
        return {
            **self.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first",
            )
        offset = params.opt_int("offset", 0) or 0
        limit = min(max(params.opt_int("limit", 100) or 100, 1), 100)
        timeout = max(params.opt_float("timeout", 0.0), 0.0)
        allowed = params.opt_json("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise _bad_request("can't parse allowed updates JSON object")
            self._allowed_updates = frozenset(allowed) or None
        # Like Telegram, a newer getUpdates ends the pending one, which answers 409.
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(None)
        loop = asyncio.get_running_loop()
        me: asyncio.Future[None] = loop.create_future()
        self._poller = me
        self._confirm(offset)
        self._forget_old_updates()
        self._notify()
        deadline = loop.time() + timeout
        try:
            while True:
                if me.done() and not self._closing:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only one bot "
                        "instance is running",
                    )
                if self.webhook is not None:
                    raise ApiError(409, "Conflict: terminated by setWebhook request")
                batch = self._pending[:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing:
                    break
                watcher: asyncio.Future[None] = loop.create_future()
                self._watchers.append(watcher)
                await asyncio.wait({me, watcher}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self._poller is me:
                self._poller = None
        self._delivered.update(u["update_id"] for u in batch)
        return batch

    async def _set_webhook(self, params: _Params) -> _Answer:
        url = params.opt_str("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if self.strict_webhook_url:
            if not url.startswith("https://"):
                raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            port = URL(url).port
            if port not in (443, 80, 88, 8443):
                raise _bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.opt_str("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = params.opt_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise _bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.opt_json("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or None
        if params.opt_bool("drop_pending_updates"):
            self._confirm(self._next_update_id)
        already = self.webhook is not None and self.webhook.url == url
        self.webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=sorted(self._allowed_updates) if self._allowed_updates else None,
            ip_address=params.opt_str("ip_address"),
        )
        self._notify()
        return _Answer(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, params: _Params) -> _Answer:
        if params.opt_bool("drop_pending_updates"):
            self._confirm(self._next_update_id)
        existed = self.webhook is not None
        self.webhook = None
        return _Answer(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        info: JSONDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        state = self.webhook
        if state is not None:
            info.update(url=state.url, max_connections=state.max_connections)
            if state.ip_address:
                info["ip_address"] = state.ip_address
            if state.allowed_updates:
                info["allowed_updates"] = state.allowed_updates
            if state.last_error_date is not None:
                info["last_error_date"] = state.last_error_date
                info["last_error_message"] = state.last_error_message
        return info

    async def _send_message(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        if not params.has("text"):
            raise _bad_request("message text is empty")
        raw, plain, entities, parse_mode = self._formatted(params, "text")
        if not plain:
            raise _bad_request("message text is empty")
        if len(plain) > 4096:
            raise _bad_request("message is too long")
        markup = self._reply_markup(params)
        self._check_can_send(chat)
        target = self._reply_target(params, chat)
        content: JSONDict = {"text": plain}
        root = self._sending_thread(params, chat, content)
        target = root if target is None else target
        if entities:
            content["entities"] = entities
        return self._send(
            "sendMessage",
            chat,
            content,
            raw_text=raw,
            plain_text=plain,
            parse_mode=parse_mode,
            entities=entities,
            markup=markup,
            reply_target=target,
        )

    async def _send_photo(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            data = photo.data
        elif isinstance(photo, str) and photo.startswith(("http://", "https://")):
            if photo not in self._urls:
                raise _bad_request("failed to get HTTP URL content")
            data = self._urls[photo]
        elif isinstance(photo, str) and photo in self._files:
            data = self._files[photo].data
        elif photo in (None, ""):
            raise _bad_request("there is no photo in the request")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        size = _image_size(data)
        if size is None:
            raise _bad_request("IMAGE_PROCESS_FAILED")
        if len(data) > 10 * 1024 * 1024:
            raise _bad_request("file is too big")
        sizes = self._photo_sizes(data, *size)
        return self._send_with_caption("sendPhoto", chat, params, {"photo": sizes},
                                       photo_file_id=sizes[-1]["file_id"], file_data=data)

    async def _send_document(self, params: _Params) -> JSONDict:
        """Any file, up to Telegram's 50 MB for bots; stored, so ``getFile`` and tests can read it back."""
        chat = self._resolve_chat(params.get("chat_id"))
        upload = params.get("document")
        name: str | None = None
        mime: str | None = None
        if isinstance(upload, UploadedFile):
            data, name, mime = upload.data, upload.filename, upload.content_type
        elif isinstance(upload, str) and upload in self._files:
            data = self._files[upload].data
        elif upload in (None, ""):
            raise _bad_request("there is no document in the request")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if not data:
            raise _bad_request("file must be non-empty")
        if len(data) > 50 * 1024 * 1024:
            raise ApiError(413, "Request Entity Too Large")
        # checked before the file is stored, as Telegram refuses a bad caption before keeping the upload
        self._caption(params)
        stored = self._store_file(data, kind="documents")
        document: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                              "file_size": len(data)}
        if name:
            document["file_name"] = name
        if mime:
            document["mime_type"] = mime
        return self._send_with_caption("sendDocument", chat, params, {"document": document},
                                       document=document, file_data=data)

    def _caption(self, params: _Params) -> tuple[str, str, list[JSONDict], str | None]:
        raw, plain, entities, parse_mode = self._formatted(params, "caption", entities_field="caption_entities")
        if len(plain) > 1024:
            raise _bad_request("message caption is too long")
        return raw, plain, entities, parse_mode

    def _send_with_caption(self, method: str, chat: EmuChat, params: _Params, content: JSONDict,
                           **file_fields: Any) -> JSONDict:
        """A photo or a document with its optional caption, markup and reply, as ``sendMessage`` for text."""
        raw, plain, entities, parse_mode = self._caption(params)
        markup = self._reply_markup(params)
        self._check_can_send(chat)
        target = self._reply_target(params, chat)
        root = self._sending_thread(params, chat, content)
        target = root if target is None else target
        if plain:
            content["caption"] = plain
            if entities:
                content["caption_entities"] = entities
        return self._send(
            method,
            chat,
            content,
            raw_text=raw,
            plain_text=plain or None,
            parse_mode=parse_mode,
            entities=entities,
            markup=markup,
            reply_target=target,
            caption=raw,
            **file_fields,
        )

    def _editable(self, params: _Params) -> tuple[EmuChat, JSONDict]:
        if params.has("inline_message_id"):
            raise _bad_request("inline messages are not emulated")
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = params.req_int("message_id", "message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot.id:
            raise _bad_request("message can't be edited")
        return chat, message

    def _store_edit(self, chat: EmuChat, message: JSONDict, **changes: Any) -> JSONDict:
        updated = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        updated.update({k: v for k, v in changes.items() if v})
        updated["edit_date"] = int(time.time())
        self._messages[(chat.id, message["message_id"])] = updated
        return updated

    async def _edit_message_text(self, params: _Params) -> JSONDict:
        chat, message = self._editable(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        if not params.has("text"):
            raise _bad_request("text must be non-empty")
        raw, plain, entities, parse_mode = self._formatted(params, "text")
        if not plain:
            raise _bad_request("text must be non-empty")
        if len(plain) > 4096:
            raise _bad_request("MESSAGE_TOO_LONG")
        markup = self._reply_markup(params)
        # Telegram drops the inline keyboard of an edit that does not repeat it.
        new_markup = (
            {"inline_keyboard": markup["inline_keyboard"]} if markup and markup.get("inline_keyboard") else None
        )
        if (
            plain == message.get("text")
            and entities == message.get("entities", [])
            and new_markup == message.get("reply_markup")
        ):
            raise _bad_request(_NOT_MODIFIED)
        updated = self._store_edit(chat, message, text=plain, entities=entities, reply_markup=new_markup)
        self.edits.append(
            EditRecord(
                "editMessageText",
                chat.id,
                message["message_id"],
                raw,
                plain,
                parse_mode,
                markup,
                self.clock(),
            )
        )
        return updated

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        chat, message = self._editable(params)
        markup = self._reply_markup(params)
        new_markup = (
            {"inline_keyboard": markup["inline_keyboard"]} if markup and markup.get("inline_keyboard") else None
        )
        if new_markup == message.get("reply_markup"):
            raise _bad_request(_NOT_MODIFIED)
        updated = {k: v for k, v in message.items() if k != "reply_markup"}
        if new_markup:
            updated["reply_markup"] = new_markup
        updated["edit_date"] = int(time.time())
        self._messages[(chat.id, message["message_id"])] = updated
        self.edits.append(
            EditRecord(
                "editMessageReplyMarkup",
                chat.id,
                message["message_id"],
                None,
                None,
                None,
                markup,
                self.clock(),
            )
        )
        return updated

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = params.req_int("message_id", "message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise _bad_request("message to delete not found")
        own = message.get("from", {}).get("id") == self.bot.id
        bot = self._member(chat.id, self.bot.id)
        may_delete = chat.type == "private" or (
            bot.status == "creator"
            or (bot.status == "administrator" and (bot.rights or AdminRights()).can_delete_messages)
        )
        if not own and not may_delete:
            raise _bad_request("message can't be deleted")
        del self._messages[(chat.id, message_id)]
        self.deleted.append((chat.id, message_id))
        return True

    async def _send_chat_action(self, params: _Params) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        if not params.has("action"):
            raise _bad_request("action is empty")
        self._check_can_send(chat)
        return True

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.opt_str("callback_query_id")
        query = self._callback_queries.get(query_id or "")
        timeout = self.callback_timeout
        late = query is not None and timeout is not None and self.clock() - query.created > timeout
        if query is None or query.answered or query.too_old or late:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.opt_str("text")
        if text is not None and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id or "",
                text=text,
                show_alert=params.opt_bool("show_alert"),
                url=params.opt_str("url"),
                cache_time=params.opt_int("cache_time"),
                time=self.clock(),
                data=query.data,
                user_id=query.user_id,
                chat_id=query.chat_id,
                message_id=query.message_id,
            )
        )
        return True

    async def _get_file(self, params: _Params) -> JSONDict:
        stored = self._files.get(params.opt_str("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.data) > 20 * 1024 * 1024:
            raise _bad_request("file is too big")
        return stored.to_api()

    async def _get_chat_member(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = params.req_int("user_id", "user not found")
        user = self._users.get(user_id)
        if user is None:
            raise _bad_request("user not found")
        return self._member(chat.id, user.id).to_api(user)

    async def _get_chat_administrators(self, params: _Params) -> list[JSONDict]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            raise _bad_request("there are no administrators in the private chat")
        members = self._members[chat.id]
        order = {"creator": 0, "administrator": 1}
        admins = sorted(
            (uid for uid, m in members.items() if m.status in order),
            key=lambda uid: order[members[uid].status],
        )
        return [members[uid].to_api(self._users[uid]) for uid in admins]

    def _command_key(self, params: _Params) -> CommandScopeKey:
        language = params.opt_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")
        scope = params.opt_json("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            return CommandScopeKey(language_code=language)
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        chat_id = user_id = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._resolve_chat(scope.get("chat_id"))
            chat_id = chat.id
            if kind != "chat" and chat.type == "private":
                raise _bad_request("can't use chat administrators scope in private chats")
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int) or user_id not in self._users:
                raise _bad_request("user not found")
        return CommandScopeKey(kind, chat_id, user_id, language)

    async def _set_my_commands(self, params: _Params) -> bool:
        commands = params.opt_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        parsed: list[tuple[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad_request("can't parse commands JSON object")
            name, description = item.get("command"), item.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((name, description))
        key = self._command_key(params)
        if parsed:
            self.commands[key] = parsed
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        return [{"command": c, "description": d} for c, d in self.commands.get(self._command_key(params), [])]

    async def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


if __name__ == "__main__":  # `python -m tests.support.telegram_emulator`: try the Telegram adapter locally
    from tests.support.telegram_playground import main

    raise SystemExit(main())
