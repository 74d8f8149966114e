"""Households (户): the flats a member lives in, verified by organizers.

Owner votes count households and floor area, and residents rate their property company once per
household, so "who lives here" is a core fact, not a plugin's. A household is written
楼栋-单元-户号 (``3-2-301``: building 3, entrance 2, flat 301). A :class:`core.identity.Membership` holds
zero or more households (usually one, sometimes two: a flat of one's own and one of the parents'), and
a household may have several members (a family). Each row is either **verified** (an organizer said
so, ``/resident verify``) or **requested** (the member asked, ``/resident request``, and waits on the
organizers' pending list). ``Membership.verified_resident`` is true while at least one household is
verified, or an organizer verified the person without a household.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tortoise import fields
from tortoise.models import Model

from core.identity import Membership, membership_for

#: At most this many households per member: a guard against typos, not a rule about families.
MAX_HOUSEHOLDS = 4
#: ``3栋2单元301室``, ``3号楼2单元301`` as people write them.
CHINESE_FORM = re.compile(r"^(\w+?)(?:栋|号楼|幢|座)(\w+?)单元(\w+?)(?:室|号)?$")
CODE = re.compile(r"^[0-9A-Z]{1,8}(?:-[0-9A-Z]{1,8}){1,3}$")


class Household(Model):
    id = fields.IntField(primary_key=True)
    membership: fields.ForeignKeyRelation[Membership] = fields.ForeignKeyField(
        "core.Membership", related_name="households", on_delete=fields.CASCADE
    )
    #: 楼栋-单元-户号, normalised by :func:`normalize_code` (``3-2-301``).
    code = fields.CharField(max_length=40)
    #: True once an organizer verified it; False while it is only the member's request.
    verified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "linli_household"
        unique_together = (("membership", "code"),)


def normalize_code(raw: str) -> str | None:
    """``3-2-301`` from what people type (full-width digits, ``3—2—301``, ``3栋2单元301室``, ``3-2-301室``,
    ``03-02-301``); None if it is not a household. One spelling per flat, so two members of the same flat
    are one household."""
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    found = CHINESE_FORM.match(text)
    if found:
        text = "-".join(found.groups())
    text = re.sub(r"(?<=\w)[室号]$", "", text)  # 3-2-301室: the flat, said the way it is on the door
    # A座-1-1201, 3栋-2单元-301: the words go when the parts are separated anyway
    text = re.sub(r"(?<=[0-9A-Z])(?:栋|号楼|幢|座|单元)(?=[\s_/—–－~.-])", "", text)
    text = re.sub(r"[\s_/—–－~.]+", "-", text).strip("-")
    if not CODE.match(text):
        return None
    # 03-02-0301 and 3-2-301 are one door: numbers lose their leading zeros (a lone 0 stays).
    return "-".join(str(int(part)) if part.isdigit() else part for part in text.split("-"))


@dataclass(frozen=True)
class Resident:
    user_id: int
    verified: bool
    households: tuple[str, ...]


async def households_of(community_id: int, user_id: int, *, verified: bool = True) -> list[str]:
    """A member's households in a community (verified ones by default), first verified first."""
    rows = await Household.filter(membership__community_id=community_id, membership__user_id=user_id,
                                  verified=verified).order_by("id")
    return [row.code for row in rows]


async def verified_households(community_id: int) -> dict[str, list[int]]:
    """Every verified household of a community and the members who live in it."""
    rows = await Household.filter(membership__community_id=community_id, verified=True).order_by(
        "code", "id").values_list("code", "membership__user_id")
    out: dict[str, list[int]] = {}
    for code, user_id in rows:
        out.setdefault(code, []).append(user_id)
    return out


async def verify(community_id: int, user_id: int, code: str | None) -> bool:
    """Mark a member a verified resident (of ``code``, if given); False when that was already so."""
    membership = await membership_for(community_id, user_id)
    changed = not membership.verified_resident
    if code is not None:
        row = await Household.get_or_none(membership=membership, code=code)
        if row is None:
            await Household.create(membership=membership, code=code, verified=True)
            changed = True
        elif not row.verified:
            row.verified = True
            await row.save(update_fields=["verified"])
            changed = True
    if not membership.verified_resident:
        membership.verified_resident = True
        await membership.save(update_fields=["verified_resident"])
    return changed


async def unverify(community_id: int, user_id: int, code: str | None) -> bool:
    """Take the verification away: of one household, or (``code`` None) of the person and every household.
    The mark goes when no verified household is left. False when there was nothing to take away."""
    membership = await membership_for(community_id, user_id)
    rows = Household.filter(membership=membership)
    if code is not None:
        rows = rows.filter(code=code)
    deleted = await rows.delete()
    left = await Household.filter(membership=membership, verified=True).exists()
    changed = bool(deleted)
    if membership.verified_resident and (code is None or not left):
        membership.verified_resident = False
        await membership.save(update_fields=["verified_resident"])
        changed = True
    return changed


async def request(community_id: int, user_id: int, code: str) -> Household:
    """A member asks to be verified as living in ``code``; the row waits for an organizer."""
    membership = await membership_for(community_id, user_id)
    row = await Household.get_or_none(membership=membership, code=code)
    if row is None:
        row = await Household.create(membership=membership, code=code, verified=False)
    return row


async def count_of(community_id: int, user_id: int) -> int:
    return await Household.filter(membership__community_id=community_id, membership__user_id=user_id).count()


async def residents(community_id: int, *, verified: bool) -> list[Resident]:
    """Verified residents with their households, or (``verified`` False) members waiting with a request."""
    if verified:
        memberships = await Membership.filter(community_id=community_id, verified_resident=True).order_by("id")
    else:
        memberships = await Membership.filter(community_id=community_id, households__verified=False).distinct(
        ).order_by("id")
    rows = await Household.filter(membership_id__in=[m.id for m in memberships], verified=verified).order_by("id")
    codes: dict[int, list[str]] = {}
    for row in rows:
        codes.setdefault(row.membership_id, []).append(row.code)  # type: ignore[attr-defined]
    return [Resident(m.user_id, m.verified_resident, tuple(codes.get(m.id, ())))  # type: ignore[attr-defined]
            for m in memberships]


# -- a member's own data (PIPL) ----------------------------------------------------------------------
async def households_data(user_id: int) -> dict[int, list[dict[str, object]]]:
    """Per membership id: the member's households, for ``/mydata``."""
    out: dict[int, list[dict[str, object]]] = {}
    for row in await Household.filter(membership__user_id=user_id).order_by("id"):
        out.setdefault(row.membership_id, []).append(  # type: ignore[attr-defined]
            {"household": row.code, "verified": row.verified, "since": row.created_at.isoformat()})
    return out


async def forget_households(user_id: int) -> None:
    """``/forgetme``: where someone lives identifies them; it goes with the verified-resident mark."""
    ids = await Household.filter(membership__user_id=user_id).values_list("id", flat=True)
    if ids:
        await Household.filter(id__in=list(ids)).delete()


async def merge_households(from_membership_id: int, into_membership_id: int) -> None:
    """Two memberships of one person become one: households move, a duplicate keeps the verified one."""
    kept = {row.code: row for row in await Household.filter(membership_id=into_membership_id)}
    for row in await Household.filter(membership_id=from_membership_id):
        existing = kept.get(row.code)
        if existing is None:
            await Household.filter(id=row.id).update(membership_id=into_membership_id)
            continue
        if row.verified and not existing.verified:
            await Household.filter(id=existing.id).update(verified=True)
        await row.delete()
