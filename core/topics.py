"""Which thread of a chat (a Telegram forum topic) each kind of announcement goes to.

A district's supergroup is split into topics; organizers pick one per kind of announcement by sending
``/setup topic <kind>`` in it (claims' new projects to 「志愿服务」, ratings' results to 「红黑榜」).
Plugins only say what they announce (``scope.announce(text, kind="projects")``); they never learn that
topics exist. Without a choice, or on a platform without threads, an announcement goes to the chat itself
(a forum's General topic). The choice is one small row per chat and kind in the core's key-value table,
so it needs no migration and survives restarts; a topic renamed later keeps its thread id, and one closed
or deleted is the adapter's business (it falls back to General).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.adapter_state import state_get, state_put
from core.events import ChannelRef
from core.i18n import N_

NAMESPACE = "core.topics"
#: The kinds plugins announce, with the words organizers type for them.
KINDS: dict[str, str] = {
    "projects": "projects", "项目": "projects",
    "results": "results", "结果": "results", "红黑榜": "results",
    "hours": "hours", "时长": "hours",
    "certificates": "certificates", "证书": "certificates",
}
KIND_LABELS: dict[str, str] = {
    "projects": N_("projects"), "results": N_("results"), "hours": N_("hours"), "certificates": N_("certificates"),
}


def _key(channel: ChannelRef, kind: str) -> str:
    return f"{channel.key}:{kind}"


async def thread_for(channel: ChannelRef, kind: str | None, now: datetime) -> ChannelRef:
    """``channel`` pointed at the thread chosen for ``kind`` there, else at the chat itself."""
    if kind is None:
        return channel
    chosen = await state_get(NAMESPACE, _key(channel, kind), now)
    thread = chosen.get("thread") if isinstance(chosen, dict) else None
    return replace(channel, thread_id=thread if isinstance(thread, str) else None)


async def choose(channel: ChannelRef, kind: str) -> None:
    """Announcements of ``kind`` in this chat go to ``channel.thread_id`` from now on (None: the chat itself)."""
    await state_put(NAMESPACE, _key(channel, kind), {"thread": channel.thread_id}, None)
