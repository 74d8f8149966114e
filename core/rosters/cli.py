"""``linli import volunteers|households|teams|party FILE --community X [--apply]``: rosters from the shell.

A dry run unless ``--apply``; the report goes to stdout in the community's language (``--language`` for
another), the progress bar to stderr (only on a terminal). After an apply that left people pending, their
join codes are written next to the file (``FILE.codes.csv``, or ``--codes PATH``) for the organizer to hand
out. A sheet that cannot be read at all ends in one line and exit code 2; bad rows do not (they are
reported, the rest is imported), so a script can tell "nothing to do" from "could not read".
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.config import ConfigError, Settings
from core.refusal import Refusal
from core.unit_of_work import UnitOfWork

#: Rows from which the progress bar is worth showing.
PROGRESS_FROM = 200


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", help="volunteers, households, teams or party (or another kind a plugin adds)")
    parser.add_argument("file", help="the roster: .xlsx, or .csv in UTF-8 or GBK")
    parser.add_argument("--community", required=True, help="community name")
    parser.add_argument("--apply", action="store_true", help="make the changes (default: a dry run)")
    parser.add_argument("--codes", help="where to write the join codes of people not yet known "
                                        "(default: FILE.codes.csv)")
    parser.add_argument("--language", choices=["zh_CN", "en"], help="language of the report")


async def run_import(settings: Settings, args: argparse.Namespace) -> int:
    from core.app import Application
    from core.cli_plugins import _community
    from core.rosters.importer import import_roster
    from core.rosters.registry import roster_kinds, scopes
    from core.rosters.sheets import MAX_BYTES, TOO_LARGE
    from core.rosters.summary import codes_csv, summary_lines
    from core.storage import close_database, open_database

    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"{path} is not a file")
    if path.stat().st_size > MAX_BYTES:  # refused before it is read: a dump or a video is not read into memory
        t = Application(settings).translator(args.language or "zh_CN")
        print(f"linli: {t(TOO_LARGE, file=path.name, megabytes=MAX_BYTES // (1024 * 1024))}", file=sys.stderr)
        return 2
    data = path.read_bytes()
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        await app.plugins.load_state()
        community = await _community(args.community)
        language = args.language or community.language
        t = app.translator(language)
        now = datetime.now(UTC)
        scope = scopes(app, community.id, language, None, now, UnitOfWork(now=now))
        with ExitStack() as stack:
            progress = _progress(stack)
            try:
                report = await import_roster(roster_kinds(app, community.id), args.kind, data, path.name,
                                             community_id=community.id, by_user_id=None, scope=scope,
                                             apply=args.apply, progress=progress)
            except Refusal as refusal:
                print(f"linli: {t(refusal.message, **refusal.values)}", file=sys.stderr)
                return 2
        for line in summary_lines(report, t):
            print(line)
        if report.applied and report.codes:
            target = Path(args.codes) if args.codes else path.with_name(path.name + ".codes.csv")
            target.write_bytes(codes_csv(report, t))
            print(t("Join codes written to {path}", path=str(target)))
        elif not report.applied and report.changes:
            print(t("Nothing was changed. To make these changes, run the same command with --apply."))
        return 0
    finally:
        await close_database()


def _progress(stack: ExitStack) -> Any:
    """A tqdm bar on stderr once the row count is known (tqdm itself stays quiet off a terminal)."""
    from tqdm import tqdm

    bar: list[Any] = []

    def advance(done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        if not bar:
            bar.append(stack.enter_context(tqdm(total=total, unit="row", file=sys.stderr, disable=None,
                                                leave=False)))
        bar[0].update(done - bar[0].n)

    return advance
