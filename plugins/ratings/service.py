"""The rules of rating, independent of chat: targets, periods, anonymous ratings, sealed results.

Anonymity is kept by what is *not* stored: a rating row holds the period, the target, the stars and the
comment, keyed by an HMAC of (community, household, target, period) under the environment's secret
(:mod:`plugins.ratings.secret`); no user id, no household, no time. The reminder before the close
recomputes those keys for every verified household and remembers only that the reminder went out.
Results are computed and stored when the period closes; until then only the number of ratings is told.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.plugin import N_, Hint, Refusal, Scope, households_of, verified_households
from plugins.ratings import secret, storage
from plugins.ratings.models import (
    ExternalScore,
    Period,
    PeriodKind,
    PeriodStatus,
    Rating,
    Result,
    Standing,
    Target,
    TargetManager,
)
from plugins.ratings.settings import RatingsSettings

PLUGIN = "ratings"
#: However an organizer sets ``min_ratings``, a target is ranked only from this many ratings on: a score
#: of one or two households would be theirs for all to see (and a list built on three ratings is noise).
MIN_RATINGS_FLOOR = 5
SOURCES = ("community", "third_party")
NO_SECRET = N_("Ratings are switched off on this installation: the operator has not set the secret that keeps "
               "them anonymous (the environment variable {variable}, at least {length} characters).")


def _key() -> bytes:
    key = secret.key()
    if key is None:
        raise Refusal(NO_SECRET, variable=secret.VARIABLE, length=secret.MIN_LENGTH)
    return key


# -- targets ---------------------------------------------------------------------------------------
async def targets(community_id: int) -> list[Target]:
    """The targets rated now, in the order they were added (their numbers in /rate)."""
    return await Target.filter(community_id=community_id, active=True).order_by("id")


async def add_target(community_id: int, name: str) -> Target:
    """A new target, or a removed one rated again (its history continues)."""
    found = await Target.get_or_none(community_id=community_id, name=name)
    if found is not None and found.active:
        raise Refusal(N_("{target} is already rated here."), target=name)
    if found is not None:
        found.active = True
        await found.save(update_fields=["active"])
        return found
    return await Target.create(community_id=community_id, name=name)


async def target_named(community_id: int, name: str) -> Target:
    """A target by its name, or by its number in the list (``1``)."""
    found = await Target.get_or_none(community_id=community_id, name=name, active=True)
    if found is None and name.isdigit():
        listed = await targets(community_id)
        if 1 <= int(name) <= len(listed):
            found = listed[int(name) - 1]
    if found is None:
        raise Refusal(N_("Nothing called {target} is rated here. Rated here: {targets}"), target=name,
                      targets=", ".join(t.name for t in await targets(community_id)) or "-")
    return found


async def remove_target(community_id: int, name: str) -> None:
    target = await target_named(community_id, name)
    if await Rating.filter(target=target, period__status=PeriodStatus.OPEN).exists():
        raise Refusal(N_("{target} has ratings in the open period; remove it after the period closes."),
                      target=target.name)
    target.active = False
    await target.save(update_fields=["active"])


async def link_manager(target: Target, user_id: int) -> bool:
    """A property manager now answers for ``target``; False if they already did."""
    try:
        async with in_transaction():
            await TargetManager.create(target=target, user_id=user_id)
        return True
    except IntegrityError:
        return False


async def managed_by(community_id: int, user_id: int) -> list[Target]:
    return await Target.filter(community_id=community_id, managers__user_id=user_id).order_by("id")


# -- periods ---------------------------------------------------------------------------------------
async def open_period(community_id: int) -> Period | None:
    return await Period.get_or_none(community_id=community_id, status=PeriodStatus.OPEN)


async def latest_period(community_id: int, kind: PeriodKind | None = None) -> Period | None:
    query = Period.filter(community_id=community_id)
    if kind is not None:
        query = query.filter(kind=kind)
    return await query.order_by("-id").first()


async def start_period(scope: Scope, kind: PeriodKind, closes_at: datetime, title: str) -> Period:
    """Open a rating period; refuses without the secret, with another period open, or with nothing to rate."""
    _key()
    community_id = scope.community_id
    current = await open_period(community_id)
    if current is not None:
        raise Refusal(N_("{period} is still open (until {date}); close it first."), period=current.title,
                      date=current.closes_at)
    if closes_at <= scope.now():
        raise Refusal(N_("The end of a period must be in the future."))
    if not await targets(community_id):
        raise Refusal(N_("There is nothing to rate yet: add the property company first with {command}."),
                      command=Hint("rating", "target", "add", "<name>"))
    settings = scope.settings(RatingsSettings)
    try:  # the unique (community, open slot) catches a period opened at the same moment elsewhere
        async with in_transaction():
            return await Period.create(
                community_id=community_id, kind=kind, title=title, opened_at=scope.now(), closes_at=closes_at,
                dimensions=list(settings.dimensions), min_ratings=max(settings.min_ratings, MIN_RATINGS_FLOOR),
                red_threshold=settings.red_threshold, black_threshold=settings.black_threshold)
    except IntegrityError:
        raise Refusal(N_("Another rating period was opened just now; see {command}."),
                      command=Hint("rating", "status")) from None


async def require_open(community_id: int, now: datetime) -> Period:
    """The open period, locked until the end of the transaction: a close waits for a rating being stored
    (and a rating for a close), so no rating is acknowledged and then left out of the results."""
    period = await Period.filter(community_id=community_id, status=PeriodStatus.OPEN).select_for_update().first()
    if period is not None and period.closes_at <= now:
        raise Refusal(N_("{period} ended on {date}; its results are published shortly."), period=period.title,
                      date=period.closes_at)
    if period is None:
        last = await latest_period(community_id)
        if last is not None and last.status is PeriodStatus.CLOSED:
            raise Refusal(N_("No rating period is open: {period} closed on {date}. The organizers open the next."),
                          period=last.title, date=last.closed_at or last.closes_at)
        raise Refusal(N_("No rating period is open; the organizers open one ({command})."),
                      command=Hint("ratingopen"))
    return period


async def forget_order(period: Period) -> None:
    """Lock the open period and write its ratings again in key order (:mod:`plugins.ratings.storage`)."""
    locked = await Period.filter(id=period.id, status=PeriodStatus.OPEN).select_for_update().first()
    if locked is not None:
        await storage.rewrite_in_key_order(locked)


async def counts(period: Period) -> dict[int, int]:
    """Ratings so far per target id: all that is told while a period is open."""
    out: dict[int, int] = {}
    for target_id in await Rating.filter(period=period).values_list("target_id", flat=True):
        out[int(str(target_id))] = out.get(int(str(target_id)), 0) + 1
    return out


# -- rating ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rated:
    period: Period
    target: Target
    households: int
    replaced: bool


async def rating_households(community_id: int, user_id: int, settings: RatingsSettings) -> list[str]:
    found = await households_of(community_id, user_id)
    return found[:1] if settings.multiple_households == "first" else found


async def rate(scope: Scope, user_id: int, verified_resident: bool, target: Target, scores: list[int],
               comment: str | None) -> Rated:
    """Store a household's rating (one per household, target and period; a later one replaces it)."""
    key = _key()
    community_id = scope.community_id
    period = await require_open(community_id, scope.now())
    if not verified_resident:
        raise Refusal(N_("Only verified residents may rate. Ask the organizers to verify your household: "
                         "/resident request 3-2-301 (with your own building-entrance-flat)."))
    households = await rating_households(community_id, user_id, scope.settings(RatingsSettings))
    if not households:
        raise Refusal(N_("You are verified, but without a household; ask an organizer to add it: "
                         "/resident request 3-2-301 (with your own building-entrance-flat)."))
    if not target.active or target.community_id != community_id:
        raise Refusal(N_("Nothing called {target} is rated here. Rated here: {targets}"), target=target.name,
                      targets=", ".join(t.name for t in await targets(community_id)) or "-")
    if await TargetManager.exists(target=target, user_id=user_id):
        raise Refusal(N_("You manage {target}, so you cannot rate it."), target=target.name)
    if len(scores) != len(period.dimensions):
        raise Refusal(N_("{count} scores are needed, one per aspect: {dimensions}"), count=len(period.dimensions),
                      dimensions=" ".join(period.dimensions))
    replaced = False
    for household in households:
        slot = secret.slot(key, community_id, household, target.id, period.id)
        replaced = await _put(slot, period, target, scores, comment) or replaced
    return Rated(period, target, len(households), replaced)


async def _put(slot: str, period: Period, target: Target, scores: list[int], comment: str | None) -> bool:
    """Insert or replace the rating under ``slot``; True when one was replaced. Two members of a household
    rating at once: the second insert fails on the key and replaces instead, on either database."""
    updated = await Rating.filter(slot=slot).update(scores=scores, comment=comment)
    if updated:
        return True
    try:
        async with in_transaction():
            await Rating.create(slot=slot, period=period, target=target, scores=scores, comment=comment)
        return False
    except IntegrityError:
        await Rating.filter(slot=slot).update(scores=scores, comment=comment)
        return True


async def not_yet_rated(scope: Scope, period: Period) -> dict[int, list[str]]:
    """Who should be reminded: per user id, the targets their household(s) have not rated yet.

    Computed with the secret and kept nowhere; managers are not reminded of their own target.
    """
    key = _key()
    community_id = scope.community_id
    settings = scope.settings(RatingsSettings)
    listed = await targets(community_id)
    managers = {(m.target_id, m.user_id) for m in await TargetManager.filter(  # type: ignore[attr-defined]
        target__community_id=community_id)}
    users = {u for members in (await verified_households(community_id)).values() for u in members}
    out: dict[int, list[str]] = {}
    for user_id in sorted(users):
        households = await rating_households(community_id, user_id, settings)
        for target in listed:
            if (target.id, user_id) in managers:
                continue
            slots = [secret.slot(key, community_id, h, target.id, period.id) for h in households]
            if await Rating.filter(slot__in=slots).count() < len(slots):
                out.setdefault(user_id, []).append(target.name)
    return out


# -- closing and results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    target: Target
    result: Result


def standing_of(score: float | None, period: Period) -> Standing:
    """The list a score puts a target on, by the thresholds frozen in the period when it opened."""
    if score is None:
        return Standing.INSUFFICIENT
    if score >= period.red_threshold:
        return Standing.RED
    if score <= period.black_threshold:
        return Standing.BLACK
    return Standing.MIDDLE


async def close(scope: Scope, period: Period) -> list[Outcome]:
    """Close the period and compute each target's result: the seal is broken only here.

    The period row is locked and its status read again: a rating being stored finishes first (and is
    counted), and a second close of the same period (the clock and an organizer at once) is refused."""
    settings = scope.settings(RatingsSettings)
    locked = await Period.filter(id=period.id).select_for_update().first()
    if locked is None or locked.status is not PeriodStatus.OPEN:
        raise Refusal(N_("No rating period is open."))
    period.status, period.closed_at, period.open_slot = PeriodStatus.CLOSED, scope.now(), None
    period.households = len(await verified_households(period.community_id))
    await period.save(update_fields=["status", "closed_at", "households", "open_slot"])
    await storage.rewrite_in_key_order(period)  # the rows that stay carry no order of rating
    outcomes = []
    for target in await targets(period.community_id):
        rows = await Rating.filter(period=period, target=target).order_by("slot")
        enough = len(rows) >= period.min_ratings
        means = [fmean(r.scores[i] for r in rows) for i in range(len(period.dimensions))] if enough else []
        scores = [round(m, 2) for m in means]
        overall = round(fmean(means), 2) if means else None
        composite = await _composite(period, target, overall, settings) if period.kind is PeriodKind.ANNUAL else None
        if composite is not None:
            standing = standing_of(composite["total"], period) if overall is not None else Standing.INSUFFICIENT
            if composite["total"] is None and overall is not None:
                standing = Standing.INCOMPLETE
        else:
            standing = standing_of(overall, period)
        comments = [r.comment for r in rows if r.comment] if enough else []
        random.shuffle(comments)
        result = await Result.create(period=period, target=target, ratings=len(rows), scores=scores,
                                     overall=overall, composite=composite, standing=standing, comments=comments)
        outcomes.append(Outcome(target, result))
    return outcomes


async def _composite(period: Period, target: Target, residents: float | None,
                     settings: RatingsSettings) -> dict[str, Any]:
    """Residents' score, community's and third party's, weighted as configured; total None if a part is missing."""
    parts = {s.source: s for s in await ExternalScore.filter(period=period, target=target)}
    weights = {"residents": settings.weight_residents, "community": settings.weight_community,
               "third_party": settings.weight_third_party}
    values: dict[str, float | None] = {"residents": residents,
                                       "community": parts["community"].score if "community" in parts else None,
                                       "third_party": parts["third_party"].score if "third_party" in parts else None}
    used = {k: w for k, w in weights.items() if w > 0}
    complete = all(values[k] is not None for k in used)
    total = round(sum((values[k] or 0.0) * w for k, w in used.items()) / sum(used.values()), 2) if complete else None
    return {"weights": weights, "parts": values, "total": total,
            "notes": {k: parts[k].note for k in parts}}


async def set_external(period: Period, target: Target, source: str, score: float, note: str) -> None:
    if period.kind is not PeriodKind.ANNUAL:
        raise Refusal(N_("The community's and the third party's scores belong to an annual period; {period} "
                         "is not one."), period=period.title)
    await ExternalScore.update_or_create(period=period, target=target, source=source,
                                         defaults={"score": score, "note": note})


async def results(community_id: int) -> list[tuple[Period, list[Result]]]:
    """Closed periods, newest first, with their results."""
    periods = await Period.filter(community_id=community_id, status=PeriodStatus.CLOSED).order_by("-closed_at", "-id")
    out = []
    for period in periods:
        rows = await Result.filter(period=period).select_related("target").order_by("target_id")
        out.append((period, rows))
    return out


async def post_reply(community_id: int, user_id: int, target: Target, text: str) -> Result:
    """The property manager's one public reply to the latest result of their target."""
    if not await TargetManager.exists(target=target, user_id=user_id):
        raise Refusal(N_("Only a property manager of {target} may reply to its results."), target=target.name)
    result = await Result.filter(target=target).order_by("-period_id").first()
    if result is None:
        raise Refusal(N_("{target} has no published result to reply to yet."), target=target.name)
    if result.reply:
        raise Refusal(N_("{target} has replied to this result already; one reply per period."), target=target.name)
    result.reply = text
    await result.save(update_fields=["reply"])
    return result


async def published(community_id: int) -> dict[str, object] | None:
    """Every closed period's results as plain JSON, for the web board (``linli_published_results``)."""
    history = await results(community_id)
    if not history:
        return None
    return {"red_black_list": [
        {"period": p.title, "kind": p.kind.value, "closed_at": p.closed_at.isoformat() if p.closed_at else None,
         "dimensions": p.dimensions, "households": p.households,
         "results": [{"target": r.target.name, "ratings": r.ratings, "scores": r.scores, "overall": r.overall,
                      "composite": r.composite, "standing": r.standing.value, "comments": r.comments,
                      "reply": r.reply} for r in rows]}
        for p, rows in history]}
