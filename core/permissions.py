"""Roles and what they allow.

The ladder resident < volunteer < organizer < admin is ordered: a higher role may do what a lower one
may. ``property_manager`` stands beside the ladder: it is granted for what it names and implies nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from core.i18n import N_


class Role(StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    ORGANIZER = "organizer"
    ADMIN = "admin"
    PROPERTY_MANAGER = "property_manager"


LADDER: tuple[Role, ...] = (Role.RESIDENT, Role.VOLUNTEER, Role.ORGANIZER, Role.ADMIN)

ROLE_LABELS: dict[Role, str] = {
    Role.RESIDENT: N_("resident"),
    Role.VOLUNTEER: N_("volunteer"),
    Role.ORGANIZER: N_("organizer"),
    Role.ADMIN: N_("admin"),
    Role.PROPERTY_MANAGER: N_("property manager"),
}

#: The role with its article, for sentences such as "张三 is now {role}." (Chinese has no article).
ROLE_WITH_ARTICLE: dict[Role, str] = {
    Role.RESIDENT: N_("a resident"),
    Role.VOLUNTEER: N_("a volunteer"),
    Role.ORGANIZER: N_("an organizer"),
    Role.ADMIN: N_("an admin"),
    Role.PROPERTY_MANAGER: N_("a property manager"),
}

#: The role in the plural, for sentences such as "/grant is for {roles} only."
ROLE_PLURALS: dict[Role, str] = {
    Role.RESIDENT: N_("residents"),
    Role.VOLUNTEER: N_("volunteers"),
    Role.ORGANIZER: N_("organizers"),
    Role.ADMIN: N_("admins"),
    Role.PROPERTY_MANAGER: N_("property managers"),
}

#: What users may type for a role, in either language.
ROLE_ALIASES: dict[str, Role] = {
    **{role.value: role for role in Role},
    "居民": Role.RESIDENT,
    "志愿者": Role.VOLUNTEER,
    "红马甲": Role.VOLUNTEER,
    "组织者": Role.ORGANIZER,
    "社区干部": Role.ORGANIZER,
    "管理员": Role.ADMIN,
    "物业": Role.PROPERTY_MANAGER,
}


def allows(held: Iterable[str], needed: Role) -> bool:
    """Whether someone holding ``held`` roles may act where ``needed`` is required."""
    held_roles = {Role(r) for r in held if r in Role._value2member_map_}
    held_roles.add(Role.RESIDENT)
    if needed is Role.PROPERTY_MANAGER:
        return needed in held_roles or Role.ADMIN in held_roles
    rank = max(LADDER.index(r) for r in held_roles if r in LADDER)
    return rank >= LADDER.index(needed)
