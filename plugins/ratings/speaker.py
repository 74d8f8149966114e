"""How results read in chat: one place for the wording of a published result and of ``/redblack``."""

from __future__ import annotations

from datetime import date

from core.plugin import N_, NP_, Scope
from plugins.ratings.models import Period, PeriodKind, Result, Standing

KIND_TITLES = {PeriodKind.QUARTERLY: N_("{year} Q{part} evaluation"),
               PeriodKind.SEMIANNUAL: N_("{year} H{part} satisfaction survey"),
               PeriodKind.ANNUAL: N_("{year} annual composite")}

STANDINGS = {
    Standing.RED: N_("🔴 red list"),
    Standing.BLACK: N_("⚫ black list"),
    Standing.MIDDLE: N_("on neither list"),
    Standing.INSUFFICIENT: N_("insufficient data, not ranked"),
    Standing.INCOMPLETE: N_("composite incomplete, not ranked"),
}
RATINGS = NP_("{n} rating", "{n} ratings")
#: Two counts, two plurals: "1 rating from 1 verified household", "3 ratings from 40 verified households".
FROM_HOUSEHOLDS = NP_("{ratings} from {n} verified household", "{ratings} from {n} verified households")
SOURCE_TITLES = {"residents": N_("residents"), "community": N_("community"), "third_party": N_("third party")}


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def result_lines(scope: Scope, period: Period, result: Result, *, detail: bool = True) -> list[str]:
    """A target's result: score, list, turnout, per dimension, the composite's parts, comments, the reply."""
    t = scope.t
    count = t.n(*FROM_HOUSEHOLDS, period.households, ratings=t.n(*RATINGS, result.ratings))
    shown = result.composite["total"] if result.composite else result.overall
    head = f"• {result.target.name}: {number(shown)} — {t(STANDINGS[result.standing])} ({count})"
    lines = [head]
    if result.standing is Standing.INSUFFICIENT:
        lines.append("  " + t("Fewer than {minimum} ratings: not enough to rank, so no scores are shown.",
                              minimum=period.min_ratings))
    if detail and result.scores:
        lines.append("  " + " · ".join(f"{d} {s:.1f}" for d, s in zip(period.dimensions, result.scores, strict=False)))
    if result.composite is not None and period.kind is PeriodKind.ANNUAL:
        parts = result.composite["parts"]
        weights = result.composite["weights"]
        notes = result.composite.get("notes", {})
        shown_parts = []
        for source in ("residents", "community", "third_party"):
            note = notes.get(source)
            part = t("{source} {score} × {weight}%", source=t(SOURCE_TITLES[source]), score=number(parts[source]),
                     weight=weights[source])
            shown_parts.append(part + (f" ({note})" if note else ""))
        lines.append("  " + t("Composite: {parts}", parts=" + ".join(shown_parts)))
    if detail and result.comments:
        lines.append("  " + t("Comments: {comments}", comments=" / ".join(f"“{c}”" for c in result.comments[:10])))
    if result.reply:
        lines.append("  " + t("Reply of {target}: {reply}", target=result.target.name, reply=result.reply))
    return lines


def publication(scope: Scope, period: Period, results: list[Result]) -> str:
    lines = [scope.t("📊 Red and black list: {period} is closed. Results:", period=period.title)]
    for result in results:
        lines += result_lines(scope, period, result)
    return "\n".join(lines)


def default_title(scope: Scope, kind: PeriodKind, end: date) -> str:
    """``2026年第4季度考评``: the quarter, half or year the period ends in."""
    part = (end.month - 1) // 3 + 1 if kind is PeriodKind.QUARTERLY else (end.month - 1) // 6 + 1
    return scope.t(KIND_TITLES[kind], year=end.year, part=part)


async def opened(scope: Scope, period: Period, targets: list[str]) -> str:
    return scope.t("🗳 {period} is open until {date}: verified residents rate {targets}, anonymously, in a private "
                   "chat with me: {command}. Results stay sealed until the close.", period=period.title,
                   date=scope.when(period.closes_at), targets=", ".join(targets), command=await scope.hint("rate"))
