"""The rules of badges, independent of chat: who may ask, who may verify, what shows, what is audited.

A member asks for a badge; a verifier (an organizer, or a holder of the role the kind names) verifies or
declines it, never their own; a verified badge stays hidden until its holder chooses to show it; an
organizer may revoke it. Every step writes an :class:`AuditEntry` in the same transaction. Membership of
the party is sensitive personal information (PIPL), hence the consent and the audit.

Every mutating method runs in ``in_transaction()`` (a savepoint inside a handler's transaction) and changes
a badge only through a conditional ``UPDATE`` on its status, so two verifiers pressing at once decide it
once; a unique constraint keeps one live badge per kind and person (see :mod:`plugins.badges.models`).
Refusals are :class:`core.plugin.Refusal`\\ s carrying an untranslated message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.plugin import N_, Hint, Person, PointsEntry, Refusal, Role, UnitOfWork
from plugins.badges.events import BadgeDisplayChanged, BadgeRevoked, BadgeVerified
from plugins.badges.kinds import BUILTIN, ROLE_NAMES, Kind, custom, find, is_mark_char, kinds_of
from plugins.badges.models import AuditEntry, Badge, BadgeStatus, CustomKind

PLUGIN = "badges"
NOTE_MAX = 200
REASON_MAX = 300
KEY_MAX = 32
NAME_MAX = 32
EMOJI_MAX = 16
#: Plugins whose ledger entries count as taking part (claims, volunteer service hours) in a report.
PARTICIPATION = ("claims", "service_log")
#: Whether the person asking may verify badges of a kind (an organizer, or holds the kind's role).
MayVerify = Callable[[Kind], bool]
#: Translates a msgid of this plugin into the reader's language (a scope's ``t``).
Translate = Callable[[str], str]


@dataclass
class Request:
    badge: Badge
    kind: Kind


@dataclass
class Report:
    verified: int
    shown: int
    took_part: int


class BadgesService:
    def __init__(self, community_id: int, now: datetime, uow: UnitOfWork, t: Translate) -> None:
        self.community_id = community_id
        self.now = now
        self.uow = uow
        self.t = t
        self._kinds: list[Kind] | None = None

    def label(self, kind: Kind) -> str:
        """A kind as people read it: ``🚩党员``."""
        return label(kind, self.t)

    def word(self, kind: Kind) -> str:
        """How to type the kind in a command here: its name (``党员``), or its key where the name has spaces."""
        name = self.t(kind.name)
        return kind.key if any(ch.isspace() for ch in name) else name

    # -- kinds -------------------------------------------------------------------------------------
    async def kinds(self) -> list[Kind]:
        if self._kinds is None:
            self._kinds = await kinds_of(self.community_id)
        return self._kinds

    async def kind(self, word: str) -> Kind:
        found = find(await self.kinds(), word)
        if found is None:
            raise Refusal(N_("There is no badge called {value} here. {command} lists them."), value=word,
                          command=Hint("badgekinds"))
        return found

    async def kind_of(self, badge: Badge) -> Kind:
        found = next((k for k in await self.kinds() if k.key == badge.kind), None)
        return found or Kind(badge.kind, "", badge.kind)

    async def add_kind(self, by_user_id: int, key: str, emoji: str, name: str, role: Role) -> Kind:
        """A community's own kind of badge (``/badge addkind``), verified by organizers and ``role``."""
        key, emoji, name = key.strip().lower(), emoji.strip(), name.strip()
        if not 0 < len(key) <= KEY_MAX or not 0 < len(name) <= NAME_MAX:
            raise Refusal(N_("A badge's key and name have 1 to {maximum} characters."), usage=True,
                          maximum=KEY_MAX)
        if not 0 < len(emoji) <= EMOJI_MAX or not all(is_mark_char(ch) for ch in emoji):
            raise Refusal(N_("{value} is not an emoji; a badge shows as an emoji such as ⭐."), usage=True,
                          value=emoji)
        kinds = await self.kinds()
        for word in (key, name, emoji):
            taken = find(kinds, word)
            if taken is not None:
                raise Refusal(N_("{value} is already the badge {badge}."), value=word, badge=self.label(taken))
        try:
            async with in_transaction():
                row = await CustomKind.create(community_id=self.community_id, key=key, emoji=emoji, name=name,
                                              verifier_role=role.value, created_by=by_user_id,
                                              created_at=self.now)
        except IntegrityError:  # added at the same moment by another organizer
            raise Refusal(N_("{value} is already the badge {badge}."), value=key,
                          badge=f"{emoji}{name}") from None
        await self._audit(by_user_id, key, "kind_added", by_user_id, f"{emoji} {name}")
        self._kinds = None
        return custom(row)

    # -- the member's side -------------------------------------------------------------------------
    async def request(self, user_id: int, kind: Kind, note: str) -> Badge:
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise Refusal(N_("A note has at most {maximum} characters."), maximum=NOTE_MAX)
        async with in_transaction():
            live = await Badge.get_or_none(community_id=self.community_id, user_id=user_id, kind=kind.key, live=True)
            if live is not None:
                self._refuse_live(live, kind)
            try:
                async with in_transaction():
                    badge = await Badge.create(community_id=self.community_id, user_id=user_id, kind=kind.key,
                                               note=note, requested_at=self.now)
            except IntegrityError:  # the same request arrived twice at once: the other one won
                raise Refusal(N_("Your request for the badge {badge} is already waiting for a verifier."),
                              badge=self.label(kind)) from None
            await self._audit(user_id, kind.key, "requested", user_id, note)
            return badge

    def _refuse_live(self, live: Badge, kind: Kind) -> None:
        if live.status is BadgeStatus.VERIFIED:
            raise Refusal(N_("You already hold the badge {badge}. {command} shows or hides it."),
                          badge=self.label(kind), command=Hint("showbadge"))
        raise Refusal(N_("Your request for the badge {badge} is already waiting for a verifier."),
                      badge=self.label(kind))

    async def set_shown(self, user_id: int, kind: Kind, shown: bool) -> bool:
        """Show or hide one's verified badge; False when it already was so."""
        async with in_transaction():
            badge = await Badge.get_or_none(community_id=self.community_id, user_id=user_id, kind=kind.key,
                                            live=True)
            if badge is None:
                raise Refusal(N_("You have no badge {badge}. Ask for it with {command}."), badge=self.label(kind),
                              command=Hint("requestbadge", self.word(kind)))
            if badge.status is not BadgeStatus.VERIFIED:
                raise Refusal(N_("Your badge {badge} is not verified yet; once a verifier has verified it, you "
                                 "choose whether it shows."), badge=self.label(kind))
            changed = await Badge.filter(id=badge.id, status=BadgeStatus.VERIFIED, shown=not shown).update(
                shown=shown)
            if not changed:
                return False
            await self._audit(user_id, kind.key, "shown" if shown else "hidden", user_id)
            self.uow.publish(BadgeDisplayChanged(community_id=self.community_id, user_id=user_id, kind=kind.key,
                                                 shown=shown))
            return True

    async def held(self, user_id: int) -> list[Request]:
        """A member's live badges (verified or waiting), in the order marks show."""
        rows = await Badge.filter(community_id=self.community_id, user_id=user_id, live=True)
        order = [k.key for k in await self.kinds()]
        rows.sort(key=lambda b: order.index(b.kind) if b.kind in order else len(order))
        return [Request(b, await self.kind_of(b)) for b in rows]

    # -- the verifier's side -----------------------------------------------------------------------
    async def pending(self, may_verify: MayVerify, asker_id: int) -> list[Request]:
        """Requests waiting for a decision, of the kinds the asker may verify, oldest first; never the asker's
        own (nobody verifies their own badge, so offering it would only offer a refusal)."""
        rows = await Badge.filter(community_id=self.community_id, status=BadgeStatus.PENDING).exclude(
            user_id=asker_id).order_by("id")
        requests = [Request(b, await self.kind_of(b)) for b in rows]
        return [r for r in requests if may_verify(r.kind)]

    async def verify(self, badge_id: int, by_user_id: int, may_verify: MayVerify) -> Request:
        async with in_transaction():
            request = await self._decidable(badge_id, by_user_id, may_verify)
            changed = await Badge.filter(id=badge_id, status=BadgeStatus.PENDING).update(
                status=BadgeStatus.VERIFIED, decided_at=self.now, decided_by=by_user_id)
            if not changed:
                raise Refusal(N_("Request #{id} has already been decided."), id=badge_id)
            await request.badge.refresh_from_db()
            await self._audit(request.badge.user_id, request.kind.key, "verified", by_user_id)
            self.uow.publish(BadgeVerified(community_id=self.community_id, user_id=request.badge.user_id,
                                           kind=request.kind.key, by_user_id=by_user_id))
            return request

    async def decline(self, badge_id: int, by_user_id: int, reason: str, may_verify: MayVerify) -> Request:
        reason = self._reason(reason)
        async with in_transaction():
            request = await self._decidable(badge_id, by_user_id, may_verify)
            changed = await Badge.filter(id=badge_id, status=BadgeStatus.PENDING).update(
                status=BadgeStatus.DECLINED, live=None, reason=reason, decided_at=self.now, decided_by=by_user_id)
            if not changed:
                raise Refusal(N_("Request #{id} has already been decided."), id=badge_id)
            await self._audit(request.badge.user_id, request.kind.key, "declined", by_user_id, reason)
            return request

    async def _decidable(self, badge_id: int, by_user_id: int, may_verify: MayVerify) -> Request:
        badge = await Badge.filter(id=badge_id, community_id=self.community_id).select_for_update().first()
        if badge is None:
            raise Refusal(N_("There is no badge request #{id} here. {command} lists the waiting ones."),
                          id=badge_id, command=Hint("pendingbadges"))
        kind = await self.kind_of(badge)
        if not may_verify(kind):
            self._refuse_verifier(kind)
        if badge.status is not BadgeStatus.PENDING:
            raise Refusal(N_("Request #{id} has already been decided."), id=badge_id)
        if badge.user_id == by_user_id:
            raise Refusal(N_("Nobody verifies their own badge; another verifier has to decide request #{id}."),
                          id=badge_id)
        return Request(badge, kind)

    def _refuse_verifier(self, kind: Kind) -> None:
        if kind.verifier_role in (Role.ORGANIZER, Role.ADMIN):
            raise Refusal(N_("Only an organizer can verify the badge {badge}."), badge=self.label(kind))
        raise Refusal(N_("Only an organizer or a {role} can verify the badge {badge}."), badge=self.label(kind),
                      role=self.t(ROLE_NAMES.get(kind.verifier_role, kind.verifier_role.value)))

    # -- organizers --------------------------------------------------------------------------------
    async def revoke(self, user_id: int, kind: Kind, by_user_id: int, reason: str) -> Badge:
        reason = self._reason(reason)
        async with in_transaction():
            badge = await Badge.get_or_none(community_id=self.community_id, user_id=user_id, kind=kind.key,
                                            status=BadgeStatus.VERIFIED, live=True)
            if badge is None:
                raise Refusal(N_("{user} holds no verified badge {badge}."), user=Person(user_id),
                              badge=self.label(kind))
            changed = await Badge.filter(id=badge.id, status=BadgeStatus.VERIFIED).update(
                status=BadgeStatus.REVOKED, live=None, shown=False, reason=reason, decided_at=self.now,
                decided_by=by_user_id)
            if not changed:
                raise Refusal(N_("{user} holds no verified badge {badge}."), user=Person(user_id),
                              badge=self.label(kind))
            await self._audit(user_id, kind.key, "revoked", by_user_id, reason)
            self.uow.publish(BadgeRevoked(community_id=self.community_id, user_id=user_id, kind=kind.key,
                                          by_user_id=by_user_id))
            return badge

    async def log(self, user_id: int) -> list[AuditEntry]:
        return list(await AuditEntry.filter(community_id=self.community_id, user_id=user_id).order_by("id"))

    async def report(self, kind: Kind, since: datetime) -> Report:
        """Verified holders, how many show the badge, how many took part (claims or service) since ``since``:
        from this plugin's badges and the core ledger, not from other plugins' tables. Any ledger entry of
        those plugins counts, whatever its points (a project worth 0 points is taking part too)."""
        rows = await Badge.filter(community_id=self.community_id, kind=kind.key,
                                  status=BadgeStatus.VERIFIED).values_list("user_id", "shown")
        holders = {int(u) for u, _ in rows}
        took_part = 0
        if holders:
            active = await PointsEntry.filter(
                community_id=self.community_id, user_id__in=sorted(holders), created_at__gte=since,
                source_plugin__in=PARTICIPATION).distinct().values_list("user_id", flat=True)
            took_part = len(set(active))
        return Report(len(holders), sum(1 for _, shown in rows if shown), took_part)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _reason(reason: str) -> str:
        reason = reason.strip()
        if not reason:
            raise Refusal(N_("Please give a reason; the member reads it."), usage=True)
        if len(reason) > REASON_MAX:
            raise Refusal(N_("A reason has at most {maximum} characters."), maximum=REASON_MAX)
        return reason

    async def _audit(self, user_id: int, kind: str, action: str, by_user_id: int, text: str = "") -> None:
        await AuditEntry.create(community_id=self.community_id, user_id=user_id, kind=kind, action=action,
                                by_user_id=by_user_id, text=text[:300], at=self.now)


def label(kind: Kind, t: Translate) -> str:
    return f"{kind.emoji}{t(kind.name)}"


def builtin_badges() -> list[str]:
    return [k.badge for k in BUILTIN]
