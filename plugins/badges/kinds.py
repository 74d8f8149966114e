"""Kinds of badge: the built-in ones (党员, 楼栋长, 网格员) and those an organizer adds to a community.

A kind says which emoji shows beside a name, what it is called, who may verify it (organizers always; a
kind may also name a core role whose holders verify it) and under which name other plugins ask about it
through ``linli_user_has_badge`` (``"party_member"`` for the party badge, the name the claims plugin uses;
a kind's own key otherwise).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from core.plugin import N_, Role
from plugins.badges.models import CustomKind

PARTY = "party"
#: What organizers may type for the role that verifies a custom kind, in either language.
ROLE_WORDS = {"organizer": Role.ORGANIZER, "组织者": Role.ORGANIZER, "volunteer": Role.VOLUNTEER,
              "志愿者": Role.VOLUNTEER, "红马甲": Role.VOLUNTEER, "admin": Role.ADMIN, "管理员": Role.ADMIN,
              "property_manager": Role.PROPERTY_MANAGER, "物业": Role.PROPERTY_MANAGER}
ROLE_NAMES = {Role.ORGANIZER: N_("organizer"), Role.VOLUNTEER: N_("volunteer"), Role.ADMIN: N_("admin"),
              Role.PROPERTY_MANAGER: N_("property manager")}
#: Characters a badge may be made of; the core's name renderer strips them from display names, so nobody
#: wears a flag in their name (``李四🚩``). Symbols (emoji) with their joiners and modifiers.
MARK_CATEGORIES = frozenset({"So", "Sk"})
MARK_JOINERS = frozenset({"\ufe0f", "\u200d", "\u20e3"})


def is_mark_char(ch: str) -> bool:
    return ch in MARK_JOINERS or unicodedata.category(ch) in MARK_CATEGORIES


@dataclass(frozen=True)
class Kind:
    key: str
    emoji: str
    #: A msgid for the built-in kinds, the organizer's own words for a custom one.
    name: str
    verifier_role: Role = Role.ORGANIZER
    #: The name ``linli_user_has_badge`` is asked with.
    badge: str = ""
    #: Other words people type for it (``党员`` for ``party``).
    spellings: tuple[str, ...] = ()
    builtin: bool = False

    def matches(self, word: str) -> bool:
        wanted = word.strip().lower()
        return wanted in {self.key.lower(), self.name.lower(), self.emoji, *(s.lower() for s in self.spellings)}


BUILTIN = (
    Kind(PARTY, "🚩", N_("party member"), badge="party_member",
         spellings=("party_member", "党员", "党", "共产党员"), builtin=True),
    Kind("building_head", "🏠", N_("building head"), badge="building_head",
         spellings=("building", "楼栋长", "楼长"), builtin=True),
    Kind("grid_worker", "🧭", N_("grid worker"), badge="grid_worker", spellings=("grid", "网格员"), builtin=True),
)
BUILTIN_KEYS = frozenset(k.key for k in BUILTIN)


def custom(row: CustomKind) -> Kind:
    return Kind(row.key, row.emoji, row.name, Role(row.verifier_role), badge=row.key)


async def kinds_of(community_id: int) -> list[Kind]:
    """Every kind of the community, in the order marks show: built-ins first, then custom ones as added."""
    rows = await CustomKind.filter(community_id=community_id).order_by("id")
    return [*BUILTIN, *(custom(r) for r in rows)]


def find(kinds: Iterable[Kind], word: str) -> Kind | None:
    return next((k for k in kinds if k.matches(word)), None)


def by_badge(kinds: Iterable[Kind], badge: str) -> Kind | None:
    """The kind another plugin means by ``badge`` in ``linli_user_has_badge``."""
    return next((k for k in kinds if k.badge == badge), None)
