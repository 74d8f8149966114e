"""Which roster kinds a community can import, and the scope each kind's code runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from core.rosters.kinds import RosterKind, RosterScope
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application


def roster_kinds(app: Application, community_id: int) -> list[RosterKind]:
    """The kinds (and extensions) of the plugins enabled in the community, each stamped with its plugin."""
    out: list[RosterKind] = []
    for plugin, kinds in app.plugins.collect("linli_roster_kinds"):
        if app.plugins.is_enabled(community_id, plugin):
            out += [replace(kind, plugin=plugin) for kind in kinds]
    return out


def scopes(app: Application, community_id: int, language: str | None, by_user_id: int | None, now: datetime,
           uow: UnitOfWork) -> Callable[[RosterKind], RosterScope]:
    """``scope(kind)``: the kind's scope, translating in its plugin's domain (falling back to the core's)."""
    made: dict[str, RosterScope] = {}

    def scope(kind: RosterKind) -> RosterScope:
        found = made.get(kind.plugin)
        if found is None:
            plugin = None if kind.plugin in ("", "core") else kind.plugin
            found = made[kind.plugin] = RosterScope(community_id, by_user_id, now, uow,
                                                    app.translator(language, plugin), plugin or "core")
        return found

    return scope
