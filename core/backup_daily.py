"""The daily backup, a core job, and what /healthz says about backups.

The job (every 10 minutes) only decides whether today's backup is due; the copy runs after the job's
commit, outside any transaction (on SQLite the core has one connection, and a backup held inside a
transaction would stop the bot for its whole length). Whether a backup is due, and what /healthz reports,
is read from the folder (the names carry the time, a small status file the last try), so a restart, a
second process or a `linli backup` by hand count too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.backup import (
    WORK_PREFIX,
    BackupInfo,
    backup_name,
    backup_time,
    create_backup,
    make_private_folder,
    newest_backup,
    prune,
)
from core.config import BackupSettings
from core.database_file import sqlite_file
from core.storage import is_sqlite

log = logging.getLogger(__name__)

STATUS_FILE = ".linli-backup-status.json"
#: A work folder (core.backup.WORK_PREFIX) younger than this means a backup is being written by some process.
WORK_FOLDER_STALE = timedelta(hours=6)
#: A daily backup older than this is reported as stale in /healthz (a day and some slack).
STALE_AFTER = timedelta(hours=26)


#: The last try of this process per folder: what /healthz says when the status file itself cannot be written
#: (a full disk, a folder linli may not write to), which is exactly when the failure must show.
_LAST_TRY: dict[str, dict[str, Any]] = {}


def _write_status(directory: Path, status: dict[str, Any]) -> None:
    _LAST_TRY[str(directory.absolute())] = status
    with contextlib.suppress(OSError):  # the status is kept in memory too (_LAST_TRY)
        make_private_folder(directory)
        (directory / STATUS_FILE).write_text(json.dumps(status), encoding="utf-8")


def _read_status(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    stored = data if isinstance(data, dict) else {}
    mine = _LAST_TRY.get(str(directory.absolute()))
    if mine is not None and str(mine.get("at", "")) > str(stored.get("at", "")):
        return mine  # this process tried later than the file says (the file could not be written)
    return stored


def record_success(directory: Path, info: BackupInfo) -> None:
    _write_status(directory, {"at": info.manifest.created_at, "ok": True, "path": str(info.path), "size": info.size})


def backup_health(settings: BackupSettings, now: datetime) -> dict[str, Any]:
    """The backup entry of /healthz: the newest backup, whether the last try worked, and whether it is stale.

    Read from the folder (names and the status file), so it is right after a restart and for backups taken
    by `linli backup` or another process. Never raises: a folder that cannot be read is reported as such.
    """
    directory = Path(settings.directory)
    try:
        newest = newest_backup(directory)
        size = newest.stat().st_size if newest is not None else None
    except OSError as exc:
        return {"enabled": settings.enabled, "directory": str(directory), "status": "failed", "ok": False,
                "error": f"cannot read the folder: {exc.strerror or exc}"}
    taken = backup_time(newest) if newest is not None else None
    status = _read_status(directory)
    health: dict[str, Any] = {
        "enabled": settings.enabled, "directory": str(directory),
        "last": taken.isoformat() if taken else None, "size": size,
        "ok": bool(status.get("ok", newest is not None)),
    }
    if status.get("ok") is False:
        health["error"] = status.get("error")
        health["failed_at"] = status.get("at")
    if not settings.enabled:
        health["status"] = "disabled"
    elif status.get("ok") is False:
        health["status"] = "failed"
    elif taken is None:
        health["status"] = "missing"
    elif now - taken > STALE_AFTER:
        health["status"] = "stale"
    else:
        health["status"] = "ok"
    return health


class DailyBackups:
    """The core's daily backup: taken once a day after ``hour`` (local time), the oldest beyond ``keep`` deleted.

    Whether today's backup is due is read from the folder (the names carry the time), so a restart or a
    second process does not take it twice, and a day the machine was off is caught up at the next check.
    """

    def __init__(self, settings: BackupSettings, url: str, timezone: ZoneInfo) -> None:
        self.settings = settings
        self.url = url
        self.timezone = timezone
        self.directory = Path(settings.directory)
        self._task: asyncio.Task[BackupInfo | None] | None = None

    def due(self, now: datetime) -> bool:
        if not self.settings.enabled or (self._task is not None and not self._task.done()):
            return False
        if is_sqlite(self.url) and sqlite_file(self.url) is None:
            return False  # in memory: nothing that outlives the process
        local = now.astimezone(self.timezone)
        moment = local.replace(hour=self.settings.hour, minute=0, second=0, microsecond=0)
        if local < moment:
            moment -= timedelta(days=1)
        newest = newest_backup(self.directory)
        taken = backup_time(newest) if newest is not None else None
        return (taken is None or taken < moment) and not self._running_elsewhere()

    def _running_elsewhere(self) -> bool:
        """A backup of another process (a second worker, `linli backup`) is being written into the folder: its
        work folder is there. One a crash left behind stops counting after :data:`WORK_FOLDER_STALE`."""
        cutoff = time.time() - WORK_FOLDER_STALE.total_seconds()
        try:
            return any(path.name.startswith(WORK_PREFIX) and path.is_dir() and path.stat().st_mtime > cutoff
                       for path in self.directory.iterdir())
        except OSError:
            return False

    def start(self, now: datetime) -> None:
        self._task = asyncio.create_task(self._take(now), name="daily-backup")

    async def _take(self, now: datetime) -> BackupInfo | None:
        target = self.directory / backup_name(now)
        try:
            info = await create_backup(self.url, target, now=now)
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.error("the daily backup to %s failed: %s", target, reason)
            _write_status(self.directory, {"at": now.astimezone(UTC).isoformat(), "ok": False, "error": reason,
                                           "path": str(target)})
            return None
        record_success(self.directory, info)
        for old in prune(self.directory, self.settings.keep):
            log.info("deleted the old backup %s (backup.keep = %s)", old, self.settings.keep)
        log.info("backed up the database to %s (%s bytes)", target, info.size)
        return info

    async def wait(self) -> BackupInfo | None:
        """The backup running now, awaited (tests; a graceful stop)."""
        return await self._task if self._task is not None else None

    async def stop(self, grace: float = 60.0) -> None:
        """Let a running backup finish (within ``grace`` seconds) rather than leave half a dump behind."""
        if self._task is None or self._task.done():
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
