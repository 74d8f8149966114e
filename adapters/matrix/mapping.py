"""Matrix events ↔ core events: rooms to channels, members to identities, commands, replies and mentions.

Everything here is pure (no network, no state), so the rules are easy to read and to test:

* a room's members are identities with their room display names; a user's ``username`` is the Matrix id
  without the ``@`` (``alice:example.org``), so ``/grant @alice:example.org volunteer`` finds them;
* mentions are the pills (``https://matrix.to/#/@user:server`` links in ``formatted_body``), the
  intentional-mentions list ``m.mentions`` and plain ``@user:server`` in the text;
* a reply's quoted fallback (``> <@user> …`` lines before the answer) is cut off, so a reply reads as
  the person typed it; the message replied to is ``m.relates_to`` → ``m.in_reply_to``;
* what the bot sends is an ``m.notice`` (bots speak in notices, and other bots ignore them) with an
  HTML ``formatted_body`` and the plain text as ``body``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from core.events import Button, IdentityRef

PLATFORM = "matrix"
PILL = re.compile(r"""<a\s+href=["']https://matrix\.to/#/(@[^"'?/]+)[^"']*["']""", re.IGNORECASE)
PLAIN_MXID = re.compile(r"(?<![\w@])@[a-z0-9._=/+\-]+:[a-z0-9.\-]+(?::\d+)?(?![\w.])", re.IGNORECASE)
#: Reaction keys for the first ten numbered choices, as Element shows them.
KEYCAPS = (*(f"{n}\ufe0f\u20e3" for n in range(1, 10)), "🔟")


#: Room versions whose creators are ordinary users with a listed power level (from 12 on they outrank all).
CREATORS_LISTED_VERSIONS = frozenset(str(v) for v in range(1, 12))


def creators(state: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The creators of a room (the ``m.room.create`` sender and its ``additional_creators``)."""
    for event in state:
        if event.get("type") == "m.room.create" and event.get("state_key", "") == "":
            extra = event.get("content", {}).get("additional_creators", [])
            return frozenset([str(event.get("sender", "")), *(str(u) for u in extra if isinstance(u, str))])
    return frozenset()


def username_of(user_id: str) -> str:
    return user_id.removeprefix("@")


def identity(user_id: str, display_name: str | None, *, is_admin: bool = False) -> IdentityRef:
    return IdentityRef(PLATFORM, user_id, (display_name or user_id).strip()[:128] or user_id,
                       username=username_of(user_id), is_chat_admin=is_admin)


def in_reply_to(content: Mapping[str, Any]) -> str | None:
    relates = content.get("m.relates_to")
    if not isinstance(relates, Mapping):
        return None
    reply = relates.get("m.in_reply_to")
    event_id = reply.get("event_id") if isinstance(reply, Mapping) else None
    return event_id if isinstance(event_id, str) else None


def is_edit(content: Mapping[str, Any]) -> bool:
    relates = content.get("m.relates_to")
    return isinstance(relates, Mapping) and relates.get("rel_type") == "m.replace"


def strip_reply_fallback(body: str) -> str:
    """The text after the quoted ``> …`` lines a reply starts with (the older reply format)."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).strip()


def mentioned_ids(content: Mapping[str, Any], body: str) -> list[str]:
    """Matrix ids the message mentions, in order of first appearance, without repeats."""
    found: list[str] = []
    formatted = content.get("formatted_body")
    if isinstance(formatted, str):
        found += PILL.findall(formatted)
    mentions = content.get("m.mentions")
    if isinstance(mentions, Mapping) and isinstance(mentions.get("user_ids"), list):
        found += [u for u in mentions["user_ids"] if isinstance(u, str)]
    found += PLAIN_MXID.findall(body)
    return list(dict.fromkeys(found))


def choice_number(text: str) -> int | None:
    """``3`` (or ``3.``, ``#3``, full-width digits) as a choice; None for anything else."""
    match = re.fullmatch(r"\s*#?(\d{1,3})[.)]?\s*", text)
    return int(match.group(1)) if match else None


def keycap_number(key: str) -> int | None:
    key = key.strip()
    if key in KEYCAPS:
        return KEYCAPS.index(key) + 1
    if key.replace("\ufe0f", "") in {k.replace("\ufe0f", "") for k in KEYCAPS}:
        return [k.replace("\ufe0f", "") for k in KEYCAPS].index(key.replace("\ufe0f", "")) + 1
    return None


def choices_text(buttons: Sequence[Button], hint: str) -> tuple[str, str]:
    """Numbered choices under a message: (plain, HTML). Each line shows the command, so typing it works too."""
    plain, rich = [], []
    for number, button in enumerate(buttons, start=1):
        mark = KEYCAPS[number - 1] if number <= len(KEYCAPS) else f"{number}."
        label = button.label.strip() or button.data
        command = f" — {button.data}" if button.data.startswith("/") and button.data != label else ""
        plain.append(f"{mark} {label}{command}")
        rich.append(f"{mark} {html.escape(label)}" + (f" — <code>{html.escape(button.data)}</code>" if command else ""))
    return "\n".join([*plain, hint]), "<br>".join(rich) + f"<br><i>{html.escape(hint)}</i>"


def to_html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def pill(user_id: str, name: str) -> str:
    return f'<a href="https://matrix.to/#/{html.escape(user_id)}">{html.escape(name)}</a>'


def notice(text: str, *, extra_plain: str = "", extra_html: str = "", reply_to: str | None = None,
           mention: tuple[str, str] | None = None) -> dict[str, Any]:
    """An ``m.notice`` with the plain text as ``body`` and HTML as ``formatted_body``."""
    body, rich = text, to_html(text)
    if mention is not None:
        user_id, name = mention
        body, rich = f"{name}: {body}", f"{pill(user_id, name)}: {rich}"
    if extra_plain:
        body, rich = f"{body}\n\n{extra_plain}", f"{rich}<br><br>{extra_html}"
    content: dict[str, Any] = {"msgtype": "m.notice", "body": body, "format": "org.matrix.custom.html",
                               "formatted_body": rich}
    content["m.mentions"] = {"user_ids": [mention[0]]} if mention is not None else {}
    if reply_to is not None:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def edit(original_event_id: str, new: dict[str, Any]) -> dict[str, Any]:
    """An edit (``m.replace``) of an earlier bot message to read as ``new``."""
    replacement = {k: v for k, v in new.items() if k != "m.relates_to"}
    return {**replacement, "body": "* " + new["body"], "formatted_body": "* " + new["formatted_body"],
            "m.new_content": replacement,
            "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id}}
