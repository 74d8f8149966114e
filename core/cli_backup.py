"""``linli backup``, ``linli restore`` and the backup ``linli migrate`` takes before it changes anything.

Each refusal (a broken file, a newer schema, a database that is not empty, a missing pg_dump) is a
:class:`core.backup.BackupRefused`, which the CLI prints as one line with a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from core.backup import (
    BackupInfo,
    BackupRefused,
    backup_name,
    create_backup,
    database_migrations,
    prune,
    restore_backup,
)
from core.backup_daily import record_success
from core.config import Settings
from core.storage import mask_url


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def _target(settings: Settings, path: str | None, now: datetime, suffix: str = "") -> Path:
    """PATH as given; a folder (or nothing: [backup] directory) gets a dated name inside."""
    if path is None:
        return Path(settings.backup.directory) / backup_name(now, suffix)
    target = Path(path)
    if target.is_dir() or path.endswith(("/", "\\")):
        return target / backup_name(now, suffix)
    return target


def describe(info: BackupInfo) -> str:
    return (f"backed up {info.manifest.database} to {info.path} ({_human(info.size)}, sha256 "
            f"{info.manifest.sha256[:12]}…, {info.manifest.migration_count()} migrations applied)")


def take_backup(settings: Settings, path: str | None, suffix: str = "") -> BackupInfo:
    now = datetime.now(UTC)
    target = _target(settings, path, now, suffix)
    info = asyncio.run(create_backup(settings.database.url, target, now=now))
    if target.parent.resolve() == Path(settings.backup.directory).resolve():
        record_success(target.parent, info)  # /healthz reports it like a daily one
        if not suffix and path is None:
            prune(target.parent, settings.backup.keep)
    return info


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    print(describe(take_backup(settings, args.path)))
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from core.migrations import app_migration_config

    config = app_migration_config(settings)
    restored = asyncio.run(restore_backup(Path(args.path), settings.database.url, config))
    manifest = restored.manifest
    print(f"restored {args.path} (taken {manifest.created_at} by linli {manifest.linli_version}, "
          f"{manifest.migration_count()} migrations) into {mask_url(settings.database.url)}")
    if restored.applied:
        print(f"the backup was older than this linli: applied {len(restored.applied)} migrations: "
              + ", ".join(restored.applied))
    return 0


def backup_before_migrate(settings: Settings, skip: bool) -> None:
    """The backup ``linli migrate`` takes before it changes tables (not on a fresh or up-to-date database)."""
    if skip:
        return
    from core.migrations import settings_pending

    applied = asyncio.run(database_migrations(settings.database.url))
    if not applied:
        return  # a fresh database: nothing to lose
    if not asyncio.run(settings_pending(settings)):
        return
    try:
        info = take_backup(settings, None, "-before-migrate")
    except (BackupRefused, OSError) as refusal:  # OSError: a full disk, a folder linli may not write to
        reason = (f"{refusal.strerror}: {refusal.filename}" if isinstance(refusal, OSError) and refusal.strerror
                  else str(refusal))
        raise BackupRefused(f"no backup could be taken before migrating ({reason}); fix that, or run "
                            "`linli migrate --no-backup` if you have another backup") from None
    print(describe(info) + "; restore it with `linli restore` if the upgrade goes wrong")
