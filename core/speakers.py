"""People who spoke in a chat, remembered in memory so that plain chat stays free of writes.

``张三: 大家好`` asks nothing of the bot, and the router writes nothing for it (most messages in a
neighbourhood group are chatter, and a write per message would make the bot expensive to run). But an
organizer who then sends ``/grant @张三 volunteer`` means that very person. So the router notes every
speaker here, a dictionary insert, and a command that names someone not yet stored writes that one person
when, and only when, it needs them (:meth:`core.context.CommandContext.resolve_mention`).

Bounded: the oldest speakers are forgotten first. After a restart the memory is empty, and the refusal
says what to do (the person sends any command, e.g. ``/whoami``, once).
"""

from __future__ import annotations

from collections import OrderedDict

from core.events import IdentityRef, MessageReceived

#: How many (chat, name) pairs are kept; a few megabytes at most.
MAX_REMEMBERED = 50_000


class RecentSpeakers:
    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self._limit = limit
        self._seen: OrderedDict[tuple[str, str], IdentityRef] = OrderedDict()

    def saw(self, event: MessageReceived) -> None:
        """Note who spoke where, under every name they can be mentioned by."""
        sender = event.sender
        for name in {sender.username, sender.display_name} - {None, ""}:
            assert name is not None
            key = (event.channel.key, name.lower())
            self._seen[key] = sender
            self._seen.move_to_end(key)
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)

    def find(self, channel_keys: list[str], name: str) -> list[IdentityRef]:
        """The distinct accounts that spoke as ``name`` in any of these chats."""
        found: dict[tuple[str, str], IdentityRef] = {}
        for key in channel_keys:
            ref = self._seen.get((key, name.lower()))
            if ref is not None:
                found[(ref.platform, ref.user_id)] = ref
        return list(found.values())
