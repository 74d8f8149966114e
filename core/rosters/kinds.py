"""What a plugin declares to import a roster of its own (hook ``linli_roster_kinds``).

A :class:`RosterKind` is a kind of sheet (``households``, ``volunteers``, ``teams``, ``party``), owned by
whoever owns the data: its columns (as organizers head them, in Chinese and English), a ``check`` that
reads one row into plain values or refuses it with a translated reason, and an ``apply`` that makes one
checked row true for one person (or, for a kind whose rows are not people, for the community). The core
reads the sheet, finds the people, keeps the ones it cannot find yet as pending entries, runs the dry run
and the one transaction of the apply (:mod:`core.rosters.importer`); the kind only knows its own tables.

A kind with ``extends`` adds its columns to another kind's sheet: service_log adds 服务队 to the core's
``volunteers``, so one volunteer sheet registers people and puts them in their teams.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.i18n import Translator
from core.unit_of_work import UnitOfWork


class Outcome(StrEnum):
    """What applying one row did (or, in a dry run, would do)."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"

    def __or__(self, other: object) -> Outcome:  # type: ignore[override]
        """Two parts of one row (the core's and an extension's): the bigger change says what happened."""
        if not isinstance(other, Outcome):
            return NotImplemented
        order = (Outcome.UNCHANGED, Outcome.UPDATED, Outcome.NEW, Outcome.REMOVED)
        return max(self, other, key=order.index)


@dataclass(frozen=True)
class Column:
    """One column: ``key`` is what ``check`` reads; ``headers`` are the ways organizers head it."""

    key: str
    #: A msgid naming the column in messages (``"flat"``); the first header is the one shown in templates.
    label: str
    headers: tuple[str, ...]
    required: bool = False


@dataclass
class RosterScope:
    """Where a kind's code runs: the community, who imports (None: the operator at the command line), the
    time, the unit of work (events it publishes go with the import's transaction) and translations."""

    community_id: int
    by_user_id: int | None
    now: datetime
    uow: UnitOfWork
    t: Translator
    #: The plugin whose kind runs here (audit rows are filed under it).
    plugin: str = "core"

    async def audit(self, action: str, *, target_user_id: int | None = None, target: str = "",
                    details: dict[str, Any] | None = None, reason: str = "") -> None:
        """One row in the audit log (:mod:`core.audit`), by the importing organizer or the operator."""
        from core import audit

        await audit.record(community_id=self.community_id, plugin=self.plugin, action=action,
                           actor_user_id=self.by_user_id, by_operator=self.by_user_id is None,
                           target_user_id=target_user_id, target=target, details=details, reason=reason,
                           at=self.now)


#: ``check(scope, values)``: the row's cells by column key (stripped, "" when empty) → the values to store
#: and apply (JSON-able), or a :class:`core.refusal.Refusal` saying, translatably, why the row cannot be taken.
Check = Callable[[RosterScope, dict[str, str]], Awaitable[dict[str, Any]]]
#: ``apply(scope, user_id, data, removed)``: make a checked row true (or, ``removed``, no longer true) for
#: ``user_id`` (None for a kind whose rows are not people). Must be idempotent: the same row twice → UNCHANGED.
Apply = Callable[[RosterScope, int | None, dict[str, Any], bool], Awaitable[Outcome]]


@dataclass(frozen=True)
class RosterKind:
    name: str
    #: A msgid: what the sheet is (``"households"``), in messages.
    title: str
    columns: tuple[Column, ...]
    check: Check
    apply: Apply
    #: Other words for the kind on the command line and in chat (``住户``).
    aliases: tuple[str, ...] = ()
    #: True when each row is a person (name, optional phone and username are read by the core).
    people: bool = True
    #: Checked values that, with the name and the phone, tell two people of the same name apart
    #: (``household``): the same key in two rows is a duplicate.
    key_fields: tuple[str, ...] = ()
    #: For a kind whose rows are not people: the checked value that identifies a row (``team``).
    row_key: str = ""
    #: The name of the kind whose sheet this one adds columns to.
    extends: str | None = None
    #: Set by the core: the plugin that declared the kind (its translations are used for its messages).
    plugin: str = ""

    def matches(self, word: str) -> bool:
        return word.strip().lower() in {self.name, *(a.lower() for a in self.aliases)}
