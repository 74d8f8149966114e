"""What an import says: the counts, every row it cannot take with the reason, the codes to hand out."""

from __future__ import annotations

import csv
import io

from core.i18n import NP_, Translator
from core.rosters.importer import Report
from core.rosters.kinds import Outcome

#: Rows listed in a chat reply; the rest are counted (the file of problems has them all).
CHAT_PROBLEMS = 30


def summary_lines(report: Report, t: Translator, *, limit: int | None = None) -> list[str]:
    c = report.counts
    head = (t("Imported {kind}:", kind=report.title) if report.applied
            else t("Dry run of {kind} (nothing is changed yet):", kind=report.title))
    lines = [head, t("{rows} rows: {new} new, {updated} updated, {unchanged} unchanged, {removed} removed, "
                     "{bad} not taken.", rows=report.rows, new=c[Outcome.NEW], updated=c[Outcome.UPDATED],
                     unchanged=c[Outcome.UNCHANGED], removed=c[Outcome.REMOVED], bad=len(report.problems))]
    if report.encoding == "GBK":
        lines.append(t("(read as GBK text, as Excel writes CSV in China)"))
    if report.unknown_columns:
        lines.append(t("Columns ignored (not known for this roster): {columns}",
                       columns=t(", ").join(report.unknown_columns)))
    if report.problems:
        lines.append(t.n(*NP_("{n} row cannot be taken:", "{n} rows cannot be taken:"), len(report.problems)))
        shown = report.problems if limit is None else report.problems[:limit]
        lines += [t("row {row}: {reason}", row=p.row, reason=p.reason) for p in shown]
        if len(shown) < len(report.problems):
            lines.append(t("… and {n} more (see the attached file)", n=len(report.problems) - len(shown)))
    if report.codes and not report.applied:
        lines.append(t.n(*NP_("{n} person has not spoken to the bot yet: they get a join code when you apply.",
                              "{n} people have not spoken to the bot yet: they get join codes when you apply."),
                         len(report.codes)))
    elif report.codes:
        lines.append(t.n(*NP_("{n} person has not spoken to the bot yet: hand them their join code (they send "
                              "/join CODE to the bot).",
                              "{n} people have not spoken to the bot yet: hand each their join code (they send "
                              "/join CODE to the bot)."), len(report.codes)))
    return lines


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the byte-order mark makes Excel read it as UTF-8


def codes_csv(report: Report, t: Translator) -> bytes:
    """The codes to hand out, as a CSV Excel opens (row, name, what the row is about, code, what to send)."""
    return _csv([t("row"), t("name"), t("details"), t("join code"), t("to send")],
                [[c.row, c.name, c.about, c.code, f"/join {c.code}"] for c in report.codes])


def problems_csv(report: Report, t: Translator) -> bytes:
    return _csv([t("row"), t("reason")], [[p.row, p.reason] for p in report.problems])
