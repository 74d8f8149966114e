"""Backups an operator can trust: a consistent snapshot while the bot runs, checked before it is restored.

A backup is one ``.tar.gz`` holding ``manifest.json`` and the dump (``database.sqlite3``, or
``database.pgdump`` in pg_dump's custom format). One file, not a dump with a sidecar: it is copied, kept,
rotated and restored as one thing, so the checksum and the schema version can never be separated from
the dump they describe. The manifest carries the dump's sha256 and size (a truncated or damaged copy is
refused before anything is written) and the applied migrations of every app (a backup from a newer linli
is refused, an older one is migrated after the restore).

* SQLite: the online backup API (``sqlite3.Connection.backup``) in a worker thread, copying every page in
  one step, so the copy is one committed state of the database even while the bot writes (in WAL mode
  writers are not held at all; in rollback mode they wait for the copy, milliseconds for a
  neighbourhood's file; the core always opens SQLite in WAL mode, Tortoise's default). Not a few pages
  per step: the API restarts a stepped copy whenever another connection writes, so a busy bot's copy
  would never end. The copy is switched to a plain journal so it is one self-contained file.
* PostgreSQL: ``pg_dump --format=custom`` (Debian's postgresql-client), one transaction snapshot; the
  password goes in ``PGPASSWORD``, never on a command line that ``ps`` shows. ``pg_restore`` restores
  it in a single transaction.

The daily backup and its entry in /healthz are in :mod:`core.backup_daily`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import logging
import os
import pkgutil
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from core.config import ConfigError
from core.database_file import sqlite_file
from core.storage import is_sqlite, mask_url

log = logging.getLogger(__name__)

FORMAT = "linli-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
MIGRATIONS_TABLE = "tortoise_migrations"
#: The work folder a backup is written in, beside its target: while it is there, a backup is under way.
WORK_PREFIX = ".linli-backup-"
#: ``linli-backup-20261123T020000Z.tar.gz``; a suffix (``-before-migrate``) marks backups kept apart.
NAME_PATTERN = re.compile(r"^linli-backup-(\d{8}T\d{6}Z)(-[a-z-]+)?\.tar\.gz$")


class BackupRefused(ConfigError):
    """A backup or restore that cannot go ahead, said in one line the operator can act on."""


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself (``manifest.json``)."""

    created_at: str
    linli_version: str
    database: str  # "sqlite" or "postgresql"
    dump: str
    dump_bytes: int
    sha256: str
    #: Applied migrations per app at the moment of the snapshot: the schema version.
    migrations: dict[str, list[str]] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def migration_count(self) -> int:
        return sum(len(names) for names in self.migrations.values())


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    manifest: Manifest


def linli_version() -> str:
    try:
        return importlib.metadata.version("linli")
    except importlib.metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def database_kind(url: str) -> str:
    return "sqlite" if is_sqlite(url) else "postgresql"


def backup_name(now: datetime, suffix: str = "") -> str:
    return f"linli-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{suffix}.tar.gz"


def backup_time(path: Path) -> datetime | None:
    """When a backup in the directory was taken, from its name (file times change when files are copied)."""
    match = NAME_PATTERN.match(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def backups_in(directory: Path, *, dated_only: bool = False) -> list[Path]:
    """linli's backups in ``directory``, oldest first (``dated_only``: without a suffix, the rotated ones)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME_PATTERN.match(path.name)
        if match and path.is_file() and not (dated_only and match.group(2)):
            found.append(path)
    return sorted(found, key=lambda p: (backup_time(p) or datetime.min.replace(tzinfo=UTC), p.name))


def newest_backup(directory: Path) -> Path | None:
    found = backups_in(directory)
    return found[-1] if found else None


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest dated backups; returns what was deleted. Other files are left."""
    dated = backups_in(directory, dated_only=True)
    gone = dated[:-keep] if keep > 0 else dated
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def make_private_folder(directory: Path) -> None:
    """Create the backups' folder 700 (each backup holds everybody's data); a folder that exists is left as
    the operator made it."""
    missing = []
    for folder in (directory, *directory.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask


# -- the schema version ------------------------------------------------------------------------------------
def known_migrations(config: Mapping[str, Any]) -> dict[str, set[str]]:
    """The migrations this code ships, per app (as Tortoise's loader finds them on disk)."""
    known: dict[str, set[str]] = {}
    for label, app in config["apps"].items():
        module = app.get("migrations")
        spec = importlib.util.find_spec(module) if module else None
        paths = list(spec.submodule_search_locations or []) if spec else []
        known[label] = {name for _, name, is_pkg in pkgutil.iter_modules(paths) if not is_pkg and name[0] not in "_~"}
    return known


def unknown_migrations(manifest: Manifest, known: Mapping[str, set[str]]) -> list[str]:
    return [f"{app}.{name}" for app, names in sorted(manifest.migrations.items())
            for name in names if name not in known.get(app, set())]


def _group(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app, name in rows:
        grouped.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(grouped.items())}


def sqlite_migrations(path: Path) -> dict[str, list[str]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (MIGRATIONS_TABLE,)).fetchone():
            return {}
        return _group(db.execute(f"SELECT app, name FROM {MIGRATIONS_TABLE}").fetchall())


# -- PostgreSQL through its own tools ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Postgres:
    host: str
    port: int
    user: str
    password: str | None
    database: str
    shown: str  # the URL without its password, for messages

    @classmethod
    def from_url(cls, url: str) -> _Postgres:
        parts = urlsplit(url)
        return cls(host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=unquote(parts.username or ""),
                   password=unquote(parts.password) if parts.password is not None else None,
                   database=unquote(parts.path.lstrip("/")), shown=mask_url(url))

    def environ(self) -> dict[str, str]:
        """libpq's variables: the tools get the password without it showing in ``ps``."""
        env = {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port), "PGDATABASE": self.database}
        if self.user:
            env["PGUSER"] = self.user
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    async def connect(self, database: str | None = None) -> Any:
        import asyncpg

        try:
            return await asyncpg.connect(host=self.host, port=self.port, user=self.user or None,
                                         password=self.password, database=database or self.database)
        except OSError as exc:  # the same line as every other command's (core.storage.database_errors)
            raise BackupRefused(f"cannot use the database at {self.shown}: {exc}. Check [database] url (or "
                                "LINLI_DATABASE_URL), that the server is running and that the database "
                                "exists.") from None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} is not installed; it is needed for PostgreSQL backups "
                            "(Debian: apt-get install postgresql-client, of the server's major version or newer)")
    return found


#: What an operator does about a client that does not match the server or the dump: said with the failure.
_VERSION_HINT = ("; install postgresql-client of the server's major version or newer (Debian: the PostgreSQL "
                 "project's apt repository has every version)")


async def _run_tool(program: str, *args: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(program, *args, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        words = " ".join(err.decode(errors="replace").split()) or f"exit code {process.returncode}"
        hint = _VERSION_HINT if "version mismatch" in words or "unsupported version" in words else ""
        raise BackupRefused(f"{Path(program).name} failed: {words}{hint}")
    return out.decode(errors="replace")


async def _check_client_version(program: str, pg: _Postgres) -> None:
    """pg_dump refuses a newer server only after connecting, in two lines of its own: say it first, in one."""
    found = re.search(r"(\d+)(?:\.\d+)*", await _run_tool(program, "--version", env=pg.environ()))
    db = await pg.connect()
    try:
        server = int(await db.fetchval("SHOW server_version_num"))
        shown = str(await db.fetchval("SHOW server_version")).split()[0]
    finally:
        await db.close()
    if found is None:
        return
    client = int(found.group(1))
    if client < server // 10000:
        raise BackupRefused(f"{Path(program).name} {found.group(0)} is older than the PostgreSQL server "
                            f"({shown}) and cannot dump it{_VERSION_HINT}")


async def postgres_migrations(pg: _Postgres) -> dict[str, list[str]]:
    db = await pg.connect()
    try:
        exists = await db.fetchval("SELECT to_regclass($1) IS NOT NULL", MIGRATIONS_TABLE)
        rows = await db.fetch(f"SELECT app, name FROM {MIGRATIONS_TABLE}") if exists else []
        return _group([(r["app"], r["name"]) for r in rows])
    finally:
        await db.close()


# -- taking a backup ---------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_sqlite(source: Path, copy: Path) -> None:
    """The online backup API, all pages in one step: one committed state, whatever writes meanwhile."""
    with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
            contextlib.closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever the source used
        problem = dst.execute("PRAGMA quick_check").fetchone()[0]
    if problem != "ok":
        raise BackupRefused(f"the copy of {source} fails SQLite's check ({problem}); the database may be damaged")


def _write_archive(target: Path, manifest: Manifest, dump: Path) -> int:
    """Write the archive beside ``target`` and move it into place only when complete (never half a file)."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        # created 600 from the first byte: nobody may open it while it is written and keep reading later
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive:
            data = json.dumps(asdict(manifest), ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=manifest.dump, recursive=False)
        with partial.open("rb") as file:
            os.fsync(file.fileno())
        os.chmod(partial, 0o600)  # it holds everybody's data
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


async def create_backup(url: str, target: Path, *, now: datetime | None = None) -> BackupInfo:
    """Snapshot the database at ``url`` into the archive ``target`` while it may be in use."""
    if target.exists():
        raise BackupRefused(f"{target} already exists; give another path (a backup is never overwritten)")
    make_private_folder(target.parent)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=target.parent) as work:
        if is_sqlite(url):
            source = sqlite_file(url)
            if source is None:
                raise BackupRefused("an in-memory SQLite database cannot be backed up; use a file in [database] url")
            if not source.is_file():
                raise BackupRefused(f"there is no database at {source} to back up (check [database] url)")
            dump = Path(work) / SQLITE_DUMP
            await asyncio.to_thread(_copy_sqlite, source, dump)
            migrations = await asyncio.to_thread(sqlite_migrations, dump)
        else:
            pg = _Postgres.from_url(url)
            program = _tool("pg_dump")
            await _check_client_version(program, pg)
            migrations = await postgres_migrations(pg)
            dump = Path(work) / POSTGRES_DUMP
            await _run_tool(program, "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}",
                            env=pg.environ())
        manifest = Manifest(created_at=created.isoformat(), linli_version=linli_version(),
                            database=database_kind(url), dump=dump.name, dump_bytes=dump.stat().st_size,
                            sha256=await asyncio.to_thread(_sha256, dump), migrations=migrations)
        size = await asyncio.to_thread(_write_archive, target, manifest, dump)
    return BackupInfo(target, size, manifest)


# -- reading and restoring ---------------------------------------------------------------------------------
def read_backup(path: Path, into: Path) -> tuple[Manifest, Path]:
    """Unpack and check ``path``: a manifest of this format and a dump matching its size and sha256."""
    broken = f"{path} is broken or truncated"
    if not path.is_file():
        raise BackupRefused(f"{path} does not exist or is not a file")
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.getmember(MANIFEST)
            raw = archive.extractfile(member)
            data = json.loads(raw.read() if raw else b"")
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise BackupRefused(f"{path} is not a linli backup (no linli manifest)")
            if int(data.get("format_version", 0)) > FORMAT_VERSION:
                raise BackupRefused(f"{path} was written by a newer linli (backup format "
                                    f"{data['format_version']}); upgrade linli to restore it")
            manifest = Manifest(**{key: data[key] for key in Manifest.__dataclass_fields__ if key in data})
            dump_member = archive.getmember(manifest.dump)
            if not dump_member.isfile() or "/" in manifest.dump or manifest.dump.startswith("."):
                raise BackupRefused(f"{broken}: its dump is not a plain file")
            dump = into / Path(manifest.dump).name
            source = archive.extractfile(dump_member)
            assert source is not None
            digest = hashlib.sha256()
            with dump.open("wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
    except BackupRefused:
        raise
    except (tarfile.TarError, EOFError, zlib.error, KeyError, ValueError, TypeError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BackupRefused(f"{broken} ({reason}); it cannot be restored") from None
    if dump.stat().st_size != manifest.dump_bytes or digest.hexdigest() != manifest.sha256:
        raise BackupRefused(f"{broken}: the dump does not match its checksum (sha256); it cannot be restored")
    return manifest, dump


async def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False

    def count() -> int:
        with contextlib.closing(sqlite3.connect(path)) as db:
            return int(db.execute("SELECT count(*) FROM sqlite_master WHERE type='table' "
                                  "AND name NOT LIKE 'sqlite_%'").fetchone()[0])

    return await asyncio.to_thread(count) > 0


async def _postgres_has_tables(pg: _Postgres) -> bool:
    """Whether the database holds tables; a database that does not exist yet is created, empty."""
    import asyncpg

    try:
        db = await pg.connect()
    except asyncpg.InvalidCatalogNameError:
        admin = await pg.connect("postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{pg.database.replace(chr(34), chr(34) * 2)}"')
        finally:
            await admin.close()
        return False
    try:
        return bool(await db.fetchval("SELECT count(*) FROM pg_catalog.pg_tables "
                                      "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"))
    finally:
        await db.close()


#: Files SQLite keeps beside a database; one left from another database would be replayed onto the restored one.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _sqlite_companions(target: Path) -> list[Path]:
    return [path for suffix in SQLITE_COMPANIONS if (path := target.with_name(target.name + suffix)).exists()]


def _restore_sqlite(dump: Path, target: Path) -> None:
    """Copy into a file beside ``target``, moved into place only when complete: a restore that fails half-way
    (a full disk) leaves the target as it was, never half a database that the next try calls "not empty"."""
    partial = target.with_name(f".{target.name}.restoring")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # everybody's data: 600
        with contextlib.closing(sqlite3.connect(dump)) as src, \
                contextlib.closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        with partial.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    applied: list[str]


async def restore_backup(path: Path, url: str, config: dict[str, Any]) -> Restored:
    """Restore ``path`` into the empty database at ``url``, then apply the migrations it lacks.

    Refused, before anything is written: a broken or truncated file, a backup with migrations this code
    does not know (from a newer linli), a backup of the other kind of database, a target holding tables.
    """
    from core.migrations import apply_migrations

    kind = database_kind(url)
    target = sqlite_file(url) if is_sqlite(url) else None
    if is_sqlite(url) and target is None:
        raise BackupRefused("cannot restore into an in-memory SQLite database; use a file in [database] url")
    scratch = target.parent if target is not None else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".linli-restore-", dir=scratch) as work:
        manifest, dump = await asyncio.to_thread(read_backup, path, Path(work))
        unknown = unknown_migrations(manifest, known_migrations(config))
        if unknown:
            shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
            raise BackupRefused(f"{path} is from a newer linli (version {manifest.linli_version}): it has "
                                f"migrations this version does not know ({shown}); upgrade linli, then restore")
        if manifest.database != kind:
            raise BackupRefused(f"{path} is a {manifest.database} backup and [database] url is {kind}; restore it "
                                f"into a {manifest.database} database")
        if target is not None:
            if await _sqlite_has_tables(target):
                raise BackupRefused(f"the database at {target} is not empty; restore only into a new, empty "
                                    "database (move the old file away first)")
            left = _sqlite_companions(target)
            if left:  # the journal of the file moved away (linli still running on it, or stopped by a crash)
                raise BackupRefused(f"{left[0]} is beside {target}: the journal of the database that was there "
                                    "(is linli still running on it?); stop linli and move it away with the old "
                                    "file, then restore")
            await asyncio.to_thread(_restore_sqlite, dump, target)
        else:
            pg = _Postgres.from_url(url)
            program = _tool("pg_restore")
            if await _postgres_has_tables(pg):
                raise BackupRefused(f"the database at {mask_url(url)} is not empty; restore only into a new, "
                                    "empty database (createdb a new one, or drop this one first)")
            await _run_tool(program, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                            f"--dbname={pg.database}", str(dump), env=pg.environ())
    applied = await apply_migrations(config)
    return Restored(manifest, applied)


async def database_migrations(url: str) -> dict[str, list[str]] | None:
    """The applied migrations of the database at ``url``; None when there is no database yet."""
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is None or not path.is_file() or path.stat().st_size == 0:
            return None
        return await asyncio.to_thread(sqlite_migrations, path)
    import asyncpg

    try:
        return await postgres_migrations(_Postgres.from_url(url))
    except asyncpg.InvalidCatalogNameError:
        return None
