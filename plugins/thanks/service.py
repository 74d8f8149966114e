"""The rules of thanking, independent of chat: who may be thanked and what a thanks earns.

A chat handler calls :func:`give_thanks` and only words the outcome; a job or another command could thank
someone the same way, since it takes a :class:`core.plugin.Scope` (what commands and jobs share).
"""

from __future__ import annotations

from core.plugin import N_, Refusal, Scope, is_booked
from plugins.thanks.events import ThanksGiven
from plugins.thanks.settings import ThanksSettings

PLUGIN = "thanks"


async def give_thanks(scope: Scope, giver_user_id: int, receiver_user_id: int) -> bool:
    """Thank a neighbour. Returns True when this giver's thanks to them earned points today already, so
    this one earns nothing more (it still counts as a thanks: the event is published either way).

    Refuses a thanks to oneself. The ledger, not this check, is what keeps the award once a day: the
    award's source key is unique, so two thanks handled at once still book once; the check only lets the
    reply say so.
    """
    if giver_user_id == receiver_user_id:
        raise Refusal(N_("Thanking yourself does not count, but it is a nice thought."))
    event = ThanksGiven(
        community_id=scope.community_id,
        giver_user_id=giver_user_id,
        receiver_user_id=receiver_user_id,
        points=scope.settings(ThanksSettings).points,
        day=scope.local_day().isoformat(),
    )
    earned_already = await is_booked(scope.community_id, event.source_key)
    scope.publish(event)  # source_plugin is stamped by the scope
    return earned_already
