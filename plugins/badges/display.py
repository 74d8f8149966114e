"""What other code learns from the badges plugin through hooks: the marks beside names, whether someone
holds a badge, which badges can be verified here, and what a member reads about their own badges.

Marks are read in one query for however many names are rendered (a 1,000-member leaderboard costs the same
as one name), plus one for the community's custom kinds only when a shown badge is of a custom kind.
Only badges that are verified *and* shown make a mark; whether someone holds a badge (the claims plugin's
party-members-first window) counts verified ones, shown or not: priority is about membership, not display.
"""

from __future__ import annotations

from typing import Any

from core.plugin import N_, Hint, fetch, placeholders
from plugins.badges.kinds import BUILTIN, BUILTIN_KEYS, Kind, by_badge, kinds_of
from plugins.badges.models import Badge, BadgeStatus


async def marks(community_id: int, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    found_rows = await fetch(
        "SELECT user_id, kind FROM badges_badge WHERE community_id = ? AND status = ? AND live = ? AND shown = ? "
        f"AND user_id IN ({placeholders(len(user_ids))})",
        community_id, BadgeStatus.VERIFIED.value, True, True, *user_ids)  # on every name shown: not built each time
    rows = [(r["user_id"], r["kind"]) for r in found_rows]
    if not rows:
        return {}
    kinds: list[Kind] = list(BUILTIN)
    if any(kind not in BUILTIN_KEYS for _, kind in rows):
        kinds = await kinds_of(community_id)
    order = {k.key: (i, k.emoji) for i, k in enumerate(kinds)}
    found: dict[int, list[tuple[int, str]]] = {}
    for user_id, kind in rows:
        if kind in order:
            found.setdefault(int(user_id), []).append(order[kind])
    return {user_id: "".join(emoji for _, emoji in sorted(shown)) for user_id, shown in found.items()}


async def has_badge(community_id: int, user_id: int, badge: str) -> bool | None:
    kind = by_badge(BUILTIN, badge) or by_badge(await kinds_of(community_id), badge)
    if kind is None:
        return None  # not a badge this plugin grants: another plugin may know it
    return await Badge.exists(community_id=community_id, user_id=user_id, kind=kind.key,
                              status=BadgeStatus.VERIFIED, live=True)


async def verifiable(community_id: int) -> list[str]:
    return [k.badge for k in await kinds_of(community_id)]


async def own_lines(community_id: int, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = await Badge.filter(community_id=community_id, user_id=user_id, live=True)
    if not rows:
        return []
    kinds = {k.key: (i, k) for i, k in enumerate(await kinds_of(community_id))}
    lines: list[tuple[int, tuple[str, dict[str, Any]]]] = []
    for badge in rows:
        if badge.kind not in kinds:
            continue
        index, kind = kinds[badge.kind]
        values: dict[str, Any] = {"emoji": kind.emoji, "name": kind.name}
        if badge.status is BadgeStatus.PENDING:
            line = N_("Your request for the badge {emoji}{name} is waiting for a verifier.")
        elif badge.shown:
            line = N_("Your badge {emoji}{name} shows beside your name.")
        else:
            line = N_("Your badge {emoji}{name} is verified but hidden: only you see it. {command} shows it "
                      "beside your name.")
            values["command"] = Hint("showbadge")
        lines.append((index, (line, values)))
    return [line for _, line in sorted(lines, key=lambda item: item[0])]
