"""A community's board address: ``/c/guanmei/`` for 观梅社区, readable, stable, unique.

The slug is made once, from the pinyin of the name without a trailing 社区/小区/… (pypinyin), and stored on
the community (``Community.slug``), so renaming nothing moves it; organizers change it with ``/board slug``.
A slug is never only digits: ``/c/<id>/…`` are the old addresses, which redirect to the slug.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.board_history import OldBoardSlug
from core.i18n import N_
from core.identity import Community

#: Endings that say what kind of place it is; ``观梅社区`` reads better as ``guanmei``.
PLACE_WORDS = ("社区居委会", "居委会", "社区", "小区", "花园", "新村", "村")
MAX_LENGTH = 40
VALID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
#: Words the web server itself uses under /c/ or that would read as something else.
RESERVED = frozenset({"static", "healthz", "metrics", "new", "admin", "api"})


def propose(name: str) -> str:
    """The slug a name would get, before de-duplication (``观梅社区`` → ``guanmei``)."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries load on first use, not when the bot starts

    stem = name.strip()
    for word in PLACE_WORDS:
        if stem.endswith(word) and len(stem) > len(word):
            stem = stem[: -len(word)]
            break
    text = "-".join(lazy_pinyin(stem, style=Style.NORMAL, errors="default", v_to_u=False))
    # pinyin syllables of one word join without dashes; other runs (latin words, digits) stay apart
    words = re.findall(r"[a-z0-9]+", text.lower().replace("ü", "v"))
    joined = _join(words, stem)
    slug = joined[:MAX_LENGTH].strip("-") or "community"
    return slug if not slug.isdigit() and slug not in RESERVED else f"c-{slug}"


def _join(words: list[str], stem: str) -> str:
    """Chinese syllables run together (``guanmei``), latin words keep a dash between them (``green-park``)."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in stem):
        return "".join(words)
    return "-".join(words)


def problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a board address (an English msgid), or None when it can."""
    if not VALID.match(slug):
        return N_("Use 1 to 40 lowercase letters, digits and dashes, e.g. guanmei.")
    if slug.isdigit():
        return N_("A board address cannot be only digits.")
    if slug in RESERVED:
        return N_("That address is reserved; choose another.")
    return None


def unique_among(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def free_slug(base: str, *, but: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever no other community has, now or as an old address."""
    current: list[Any] = list(
        await Community.filter(slug__startswith=base).exclude(id=but or 0).values_list("slug", flat=True))
    former: list[Any] = list(await OldBoardSlug.filter(slug__startswith=base).exclude(community_id=but or 0)
                             .values_list("slug", flat=True))
    taken = {str(slug) for slug in current + former}
    return unique_among(base, taken)


async def owner_of_old(slug: str) -> int | None:
    """The community whose board was at ``/c/<slug>/`` before it moved, or None."""
    old = await OldBoardSlug.get_or_none(slug=slug)
    return old.community_id if old is not None else None


async def move(community_id: int, old: str | None, new: str) -> None:
    """Record that the board moved from ``old`` to ``new`` (inside the caller's transaction): the old address
    redirects from now on, and ``new`` is no longer an old address of anyone's."""
    await OldBoardSlug.filter(slug=new).delete()
    if old and old != new:
        await OldBoardSlug.get_or_create(slug=old, defaults={"community_id": community_id})


async def slug_of(community: Community) -> str:
    """The community's slug, made and stored on first use (two processes racing: the first one's stays)."""
    if community.slug:
        return community.slug
    for _ in range(5):
        # pypinyin's dictionaries take half a second to load the first time: not on the event loop
        candidate = await free_slug(await asyncio.to_thread(propose, community.name), but=community.id)
        try:
            async with in_transaction():  # a savepoint: inside /setup's transaction a clash must not spoil it
                updated = await Community.filter(id=community.id, slug__isnull=True).update(slug=candidate)
        except IntegrityError:  # another community took it between our read and our write
            continue
        if not updated:  # another process gave this community its slug first
            fresh = await Community.get(id=community.id)
            community.slug = fresh.slug
            return fresh.slug or candidate
        community.slug = candidate
        return candidate
    raise RuntimeError(f"no free board address for community {community.id}")


async def ensure_slugs() -> None:
    """Give every community without a slug its slug (the list of boards links to them)."""
    for community in await Community.filter(slug__isnull=True).order_by("id"):
        await slug_of(community)
