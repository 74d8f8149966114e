"""The core's own rosters: households (verified residents of 楼栋-单元-户号) and volunteers (the role).

An organizer's sheet is as good as ``/resident verify`` for each row: the household is verified, the
membership marked a verified resident. A volunteer sheet gives the ``volunteer`` role (and verifies the
household when it has one); service_log adds its 服务队 column to the same sheet. A row whose 状态 says
迁出 (moved out) takes away that household, or the volunteer role.
"""

from __future__ import annotations

from typing import Any

from core import households
from core.households import Household
from core.i18n import N_
from core.identity import membership_for
from core.permissions import Role
from core.refusal import Refusal
from core.rosters.kinds import Column, Outcome, RosterKind, RosterScope

BUILDING = Column("building", N_("building"), ("楼栋", "楼号", "栋", "楼", "楼栋号", "building"))
ENTRANCE = Column("entrance", N_("entrance"), ("单元", "单元号", "entrance", "unit"))
FLAT_HEADERS = ("户号", "房号", "门牌号", "室", "房间号", "户", "住址", "flat", "room", "household")
FLAT = Column("flat", N_("flat"), FLAT_HEADERS, required=True)
OPTIONAL_FLAT = Column("flat", N_("flat"), FLAT_HEADERS)


def household_of(values: dict[str, str], *, required: bool) -> str | None:
    """``3-2-301`` from 楼栋, 单元 and 户号 (or a 户号 that is the whole household already)."""
    parts = [values.get(k, "").strip() for k in ("building", "entrance", "flat")]
    if not any(parts):
        if required:
            raise Refusal(N_("no household"))
        return None
    raw = "-".join(p for p in parts if p)
    code = households.normalize_code(raw)
    if code is None:
        raise Refusal(N_("{value} is not a household; write building-entrance-flat, e.g. 3-2-301"), value=raw)
    return code


async def _check_household(scope: RosterScope, values: dict[str, str]) -> dict[str, Any]:
    return {"household": household_of(values, required=True)}


async def _check_volunteer(scope: RosterScope, values: dict[str, str]) -> dict[str, Any]:
    code = household_of(values, required=False)
    return {"household": code} if code else {}


async def _verify(scope: RosterScope, user_id: int, code: str) -> Outcome:
    row = await Household.get_or_none(membership__community_id=scope.community_id, membership__user_id=user_id,
                                      code=code)
    if row is not None and row.verified:
        return Outcome.UNCHANGED
    if row is None and await households.count_of(scope.community_id, user_id) >= households.MAX_HOUSEHOLDS:
        raise Refusal(N_("this person has {maximum} households already"), maximum=households.MAX_HOUSEHOLDS)
    await households.verify(scope.community_id, user_id, code)
    return Outcome.NEW if row is None else Outcome.UPDATED


async def _apply_household(scope: RosterScope, user_id: int | None, data: dict[str, Any], removed: bool) -> Outcome:
    assert user_id is not None
    code = str(data["household"])
    if removed:
        has = await Household.exists(membership__community_id=scope.community_id, membership__user_id=user_id,
                                     code=code)
        if has and await households.unverify(scope.community_id, user_id, code):
            return Outcome.REMOVED
        return Outcome.UNCHANGED
    return await _verify(scope, user_id, code)


async def _apply_volunteer(scope: RosterScope, user_id: int | None, data: dict[str, Any], removed: bool) -> Outcome:
    assert user_id is not None
    membership = await membership_for(scope.community_id, user_id)
    is_volunteer = Role.VOLUNTEER.value in membership.roles
    if removed:
        if not is_volunteer:
            return Outcome.UNCHANGED
        membership.roles = sorted(set(membership.roles) - {Role.VOLUNTEER.value})
        await membership.save(update_fields=["roles"])
        return Outcome.REMOVED
    outcome = Outcome.UNCHANGED
    if not is_volunteer:
        membership.roles = sorted({*membership.roles, Role.VOLUNTEER.value})
        await membership.save(update_fields=["roles"])
        outcome = Outcome.NEW
    if data.get("household"):
        flat = await _verify(scope, user_id, str(data["household"]))
        if outcome is Outcome.UNCHANGED and flat is not Outcome.UNCHANGED:
            outcome = Outcome.UPDATED  # a volunteer already, with a flat now verified
    return outcome


HOUSEHOLDS = RosterKind(
    "households", N_("households"), (BUILDING, ENTRANCE, FLAT), _check_household, _apply_household,
    aliases=("household", "residents", "住户", "居民", "户籍"), key_fields=("household",))
VOLUNTEERS = RosterKind(
    "volunteers", N_("volunteers"), (BUILDING, ENTRANCE, OPTIONAL_FLAT), _check_volunteer, _apply_volunteer,
    aliases=("volunteer", "志愿者", "红马甲"), key_fields=("household",))
KINDS = [HOUSEHOLDS, VOLUNTEERS]
