"""``linli export hours --community 观梅社区 --from 2026-01-01 --to 2026-12-31 --format xlsx``: the final
service hours of a period for organizers' reports, with a progress bar on stderr for large exports."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from core.plugin import CliCommand, CliContext
from plugins.service_log import exports, reports

BAR = 30


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--community", required=True, help="community name")
    parser.add_argument("--from", dest="since", type=_day, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="until", type=_day, required=True, help="last day (YYYY-MM-DD)")
    parser.add_argument("--format", choices=exports.FORMATS, default="xlsx", help="csv or xlsx (default)")
    parser.add_argument("--output", help="file to write (default: hours-FROM-TO.FORMAT)")


def _progress(done: int, total: int) -> None:
    """A bar that redraws itself on stderr, every 1% (a terminal is slow to write to)."""
    if total < 200 or (done % max(total // 100, 1) and done != total):
        return
    filled = BAR * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def run(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.since > args.until:
        print("linli: --from is after --to", file=sys.stderr)
        return 2
    community_id = await ctx.community_id(args.community)
    rows = await reports.export_rows(community_id, args.since, args.until)
    data = exports.export(rows, args.format, _progress)
    target = Path(args.output or f"hours-{args.since}-{args.until}.{args.format}")
    target.write_bytes(data)
    print(f"wrote {target}: {len(rows)} final records")
    return 0


EXPORT_HOURS = CliCommand(("export", "hours"), "export final volunteer service hours (csv or xlsx)", configure, run)
