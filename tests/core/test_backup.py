"""Backups an operator can restore: taken while the bot works, refused when broken, newer or aimed at a full
database, migrated when older, taken before `linli migrate`, daily with retention. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from core.app import Application
from core.backup import backup_time, backups_in, create_backup, database_migrations
from core.backup_daily import DailyBackups, backup_health
from core.config import BackupSettings, ConfigError, DatabaseSettings, Settings, WebSettings, load_settings
from core.migrations import _patch_schema_editors, app_migration_config, apply_migrations, pending_migrations
from core.points import PointsBalance, PointsEntry
from core.storage import close_database, is_sqlite, open_database
from core.testing import PLATFORM, FakeClock, Harness, RecordingAdapter
from plugins.claims.models import Claim
from tests.conftest import fresh_postgres_url
from tests.core.schema_dump import diff_schemas, dump_schema

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 300


def config(url: str) -> dict:
    return app_migration_config(Settings(database=DatabaseSettings(url=url)))


async def create_database(url: str) -> None:
    if not is_sqlite(url):
        await Tortoise.init(config=config(url), _create_db=True)
        await close_database()


async def drop_database(url: str) -> None:
    if not is_sqlite(url):
        try:
            await Tortoise.init(config=config(url))
            await close_database(drop=True)
        except Exception:  # never created (a refused restore): nothing to drop
            await close_database()


def other_database(db_url: str, tmp_path: Path, name: str) -> str:
    """A second, empty database of the same kind (not created: restore makes a PostgreSQL one)."""
    return f"sqlite://{tmp_path / name}" if is_sqlite(db_url) else fresh_postgres_url()


@pytest.fixture
async def databases(db_url: str) -> AsyncIterator[list[str]]:
    """URLs a test adds to be dropped afterwards (PostgreSQL); ``db_url`` first."""
    urls = [db_url]
    yield urls
    for url in urls:
        await drop_database(url)


async def migrate_up_to(url: str, app: str, name: str) -> None:
    """Apply the migrations up to ``app.name`` only: the database of an older linli."""
    _patch_schema_editors()
    cfg = config(url)
    await Tortoise.init(config=cfg, init_connections=False)
    try:
        await MigrationExecutor(get_connection("default"), cfg["apps"]).migrate(
            [MigrationTarget(app_label=app, name=name)], direction="forward")
    finally:
        await close_database()


def linli(*args: str, url: str, tmp_path: Path, backups: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `linli` command against ``url``."""
    settings = tmp_path / "settings.toml"
    if not settings.exists():
        settings.write_text(f'[backup]\ndirectory = "{backups or tmp_path / "backups"}"\nkeep = 3\n', encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(settings), *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300, check=False)


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("linli: ")
    return lines[0]


async def table_count(url: str) -> int:
    """How many tables the database holds (0: empty or not there)."""
    if is_sqlite(url):
        path = Path(url.removeprefix("sqlite://"))
        if not path.exists():
            return 0
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0])
    import asyncpg

    from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER

    try:
        db = await asyncpg.connect(host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER,
                                   database=url.rsplit("/", 1)[1])
    except asyncpg.InvalidCatalogNameError:
        return 0
    try:
        return int(await db.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    finally:
        await db.close()


async def schema_matches_the_models(url: str, tmp_path: Path) -> None:
    """The schema test of tests/core/test_migrations.py, on a restored database."""
    assert await pending_migrations(config(url)) == []
    modelled = f"sqlite://{tmp_path / 'models.db'}" if is_sqlite(url) else fresh_postgres_url()
    try:
        await Tortoise.init(config=config(modelled), _create_db=not is_sqlite(modelled))
        await Tortoise.generate_schemas(safe=False)
        schemas = []
        for each in (url, modelled):
            await close_database()
            await Tortoise.init(config=config(each))
            schemas.append(await dump_schema(get_connection("default")))
        assert diff_schemas(*schemas) == []
    finally:
        await close_database()
        await drop_database(modelled)


@asynccontextmanager
async def running(url: str) -> AsyncIterator[Harness]:
    """The real application on a database made by `linli migrate` (the harness would create the tables from
    the models, without the migration records a backup carries)."""
    settings = Settings(database=DatabaseSettings(url=url), web=WebSettings(enabled=False, port=0))
    clock = FakeClock()
    app = Application(settings, clock=clock, load_entry_points=False)
    await open_database(url, app.plugins.model_modules())
    h = Harness(app, RecordingAdapter(app), clock, ["王书记"])
    app.adapters[PLATFORM] = h.adapter
    try:
        await app.start_core()
        await app.start_delivery()
        yield h
        await h.app.settle()
    finally:
        await h.app.stop_core()
        await close_database()


async def committed() -> tuple[set[int], set[int]]:
    return (set(await Claim.all().values_list("id", flat=True)),  # type: ignore[arg-type]
            set(await PointsEntry.all().values_list("id", flat=True)))  # type: ignore[arg-type]


async def test_a_backup_taken_during_a_burst_of_claims_restores_every_committed_claim(
        databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    await apply_migrations(config(url))
    archive = tmp_path / "during.tar.gz"
    async with running(url) as h:
        await h.send("王书记", "/setup 观梅社区")
        published = await h.send("王书记", f"/发布项目 敲门探访 {RESIDENTS} 12-31 10分 看看独居老人")
        assert "#1" in published[-1], published
        burst = []
        for n in range(RESIDENTS):
            burst += [h.event(f"居民{n}", "/认领 1"), h.event(f"居民{n}", "/感谢 @王书记 谢谢组织")]
        sender = asyncio.gather(*(h.app.receive(e) for e in burst))
        while len((await committed())[0]) < RESIDENTS // 4:
            await asyncio.sleep(0.01)
        claims_before, entries_before = await committed()
        info = await create_backup(url, archive)
        claims_after, entries_after = await committed()
        await sender
        await h.app.settle()
        claims_final, entries_final = await committed()
    assert len(claims_final) == RESIDENTS and len(entries_final) == RESIDENTS, "every command of the burst counted"
    assert info.manifest.migrations["core"][0] == "0001_initial"

    restored = other_database(url, tmp_path, "restored.db")
    databases.append(restored)
    result = linli("restore", str(archive), url=restored, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout

    await open_database(restored, Application(Settings(database=DatabaseSettings(url=restored)),
                                              load_entry_points=False).plugins.model_modules())
    try:
        claims, entries = await committed()
        balances = {b.user_id: b.balance for b in await PointsBalance.all()}
        sums: dict[int, int] = {}
        for entry in await PointsEntry.all():
            sums[entry.user_id] = sums.get(entry.user_id, 0) + entry.delta
    finally:
        await close_database()
    assert claims_before <= claims <= claims_after, "every claim committed before the backup, none made up"
    assert entries_before <= entries <= entries_after, "every ledger entry committed before the backup"
    assert len(claims) < RESIDENTS, "the backup was taken while claims were still coming in"
    assert {u: v for u, v in balances.items() if v} == {u: v for u, v in sums.items() if v}, \
        "balances agree with the ledger: one consistent moment"
    await schema_matches_the_models(restored, tmp_path)


async def test_a_truncated_or_damaged_backup_is_refused_with_one_line(databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    await apply_migrations(config(url))
    made = linli("backup", str(tmp_path / "good.tar.gz"), url=url, tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    data = (tmp_path / "good.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    (tmp_path / "damaged.tar.gz").write_bytes(bytes(damaged))
    target = other_database(url, tmp_path, "target.db")
    databases.append(target)
    for name in ("cut.tar.gz", "damaged.tar.gz"):
        line = one_line_refusal(linli("restore", str(tmp_path / name), url=target, tmp_path=tmp_path))
        assert "broken or truncated" in line and name in line
    assert await table_count(target) == 0, "nothing was written"


async def test_a_dump_that_does_not_match_its_checksum_is_refused(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await apply_migrations(config(url))
    info = await create_backup(url, tmp_path / "good.tar.gz")
    with tarfile.open(info.path) as archive:  # a well-formed archive whose dump was changed afterwards
        manifest = archive.extractfile("manifest.json").read()  # type: ignore[union-attr]
        dump = bytearray(archive.extractfile("database.sqlite3").read())  # type: ignore[union-attr]
    dump[200] ^= 0x01
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "database.sqlite3").write_bytes(bytes(dump))
    with tarfile.open(tmp_path / "forged.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "manifest.json", "manifest.json")
        archive.add(tmp_path / "database.sqlite3", "database.sqlite3")
    line = one_line_refusal(linli("restore", str(tmp_path / "forged.tar.gz"), url=f"sqlite://{tmp_path / 'new.db'}",
                                  tmp_path=tmp_path))
    assert "checksum" in line
    assert not (tmp_path / "new.db").exists()


async def test_a_backup_from_a_newer_linli_is_refused(databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    await apply_migrations(config(url))
    await Tortoise.init(config=config(url))  # a newer linli applied a migration this code does not have
    try:
        await get_connection("default").execute_query(
            "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('core', '9999_from_the_future', "
            "CURRENT_TIMESTAMP)")
    finally:
        await close_database()
    made = linli("backup", str(tmp_path / "newer.tar.gz"), url=url, tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    target = other_database(url, tmp_path, "target.db")
    databases.append(target)
    line = one_line_refusal(linli("restore", str(tmp_path / "newer.tar.gz"), url=target, tmp_path=tmp_path))
    assert "newer linli" in line and "core.9999_from_the_future" in line and "upgrade" in line
    assert await table_count(target) == 0


async def test_restore_into_a_database_that_is_not_empty_is_refused(databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    await apply_migrations(config(url))
    made = linli("backup", str(tmp_path / "b.tar.gz"), url=url, tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    tables = await table_count(url)
    line = one_line_refusal(linli("restore", str(tmp_path / "b.tar.gz"), url=url, tmp_path=tmp_path))
    assert "not empty" in line
    assert await table_count(url) == tables
    assert await pending_migrations(config(url)) == []


async def test_an_older_backup_is_restored_and_then_migrated(databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    await migrate_up_to(url, "core", "0002_api_1")
    older = await database_migrations(url)
    assert older == {"core": ["0001_initial", "0002_api_1"]}
    made = linli("backup", str(tmp_path / "old.tar.gz"), url=url, tmp_path=tmp_path)
    assert made.returncode == 0, made.stderr
    target = other_database(url, tmp_path, "target.db")
    databases.append(target)
    result = linli("restore", str(tmp_path / "old.tar.gz"), url=target, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "applied" in result.stdout and "core.0003_delivery" in result.stdout
    await schema_matches_the_models(target, tmp_path)


async def test_migrate_takes_a_backup_first(databases: list[str], tmp_path: Path) -> None:
    url = databases[0]
    await create_database(url)
    backups = tmp_path / "backups"
    fresh = linli("migrate", url=url, tmp_path=tmp_path)  # a fresh database: nothing to back up
    assert fresh.returncode == 0, fresh.stderr
    assert not backups_in(backups)
    await drop_database(url)
    if is_sqlite(url):
        Path(url.removeprefix("sqlite://")).unlink()
    await create_database(url)
    await migrate_up_to(url, "core", "0002_api_1")

    upgrade = linli("migrate", url=url, tmp_path=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    taken = backups_in(backups)
    assert len(taken) == 1 and taken[0].name.endswith("-before-migrate.tar.gz")
    assert str(taken[0]) in upgrade.stdout
    assert upgrade.stdout.index("backed up") < upgrade.stdout.index("applied"), "the backup comes first"
    with tarfile.open(taken[0]) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["migrations"] == {"core": ["0001_initial", "0002_api_1"]}, "the state before"
    assert await pending_migrations(config(url)) == []
    again = linli("migrate", url=url, tmp_path=tmp_path)  # up to date: nothing changes, no backup
    assert again.returncode == 0 and len(backups_in(backups)) == 1


async def test_migrate_no_backup_skips_it(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await migrate_up_to(url, "core", "0002_api_1")
    result = linli("migrate", "--no-backup", url=url, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "backed up" not in result.stdout and not backups_in(tmp_path / "backups")


async def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "daily"
    directory.mkdir()
    (directory / "notes.txt").write_text("the operator's own file")
    options = {"backup": {"enabled": True, "directory": str(directory), "hour": 3, "keep": 2}}
    async with Harness.create(db_url, settings=options) as h:
        await h.send("王书记", "/setup 观梅社区")
        daily = h.app.plugins.pm.get_plugin("core").backups
        taken = []
        for _day in range(4):
            await h.run_jobs(after=timedelta(minutes=11))
            info = await daily.wait()
            assert info is not None
            taken.append(info.path)
            await h.run_jobs(after=timedelta(minutes=11))  # the same day: not again
            assert await daily.wait() is info
            h.clock.advance(timedelta(days=1))
        kept = backups_in(directory)
        assert kept == taken[-2:], "keep = 2: the two newest"
        assert (directory / "notes.txt").exists(), "other files are left alone"
        health = backup_health(h.app.settings.backup, h.clock())
        assert health["status"] == "ok" and health["ok"] is True
        assert health["size"] == kept[-1].stat().st_size
        from aiohttp.test_utils import TestClient, TestServer

        from core.web.server import build_web_app

        async with TestClient(TestServer(build_web_app(h.app))) as client:
            report = await (await client.get("/healthz")).json()
            assert report["backup"]["status"] == "ok" and report["backup"]["size"] == kept[-1].stat().st_size
            assert report["backup"]["last"] == backup_time(kept[-1]).isoformat()  # type: ignore[union-attr]
            h.clock.advance(timedelta(hours=30))  # a day without a backup (the job did not run)
            response = await client.get("/healthz")
            assert response.status == 200, "a stale backup is said, the bot is not down"
            assert (await response.json())["backup"]["status"] == "stale"


async def test_a_failed_daily_backup_shows_in_health(tmp_path: Path) -> None:
    settings = BackupSettings(enabled=True, directory=str(tmp_path / "daily"))
    assert backup_health(settings, datetime.now(UTC))["status"] == "missing"
    assert backup_health(BackupSettings(), datetime.now(UTC))["status"] == "disabled"
    daily = DailyBackups(settings, f"sqlite://{tmp_path / 'gone.db'}", ZoneInfo("Asia/Shanghai"))
    assert daily.due(datetime.now(UTC))
    daily.start(datetime.now(UTC))
    assert await daily.wait() is None
    health = backup_health(settings, datetime.now(UTC))
    assert health["status"] == "failed" and health["ok"] is False and "no database" in health["error"]


def test_backup_settings_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[backup]\nenabled = true\nhour = 24\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"backup.hour = 24 \(.*settings.toml:3\): expected a number of at most 23"):
        load_settings(path, environ={})
    path.write_text("[backup]\nkeep = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"backup\.keep"):
        load_settings(path, environ={})


def test_version_comes_from_the_package(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = linli("--version", url="sqlite://x.db", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"linli {version('linli')}"


def test_backup_of_a_missing_database_is_one_line(tmp_path: Path) -> None:
    line = one_line_refusal(linli("backup", url=f"sqlite://{tmp_path / 'absent.db'}", tmp_path=tmp_path))
    assert "no database" in line


async def test_a_wal_database_is_copied_as_committed_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "linli.db"
    url = f"sqlite://{path}"
    await apply_migrations(config(url))
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        assert writer.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        writer.execute("INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('test', 'committed', 'x')")
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        writer.execute("INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('test', 'uncommitted', 'x')")
        info = await asyncio.wait_for(create_backup(url, tmp_path / "wal.tar.gz"), 20)
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert info.manifest.migrations["test"] == ["committed"], "what was committed (still in the WAL), nothing else"
    with tarfile.open(info.path) as archive:
        archive.extract("database.sqlite3", tmp_path / "out", filter="data")
    with sqlite3.connect(tmp_path / "out" / "database.sqlite3") as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete", "one self-contained file"


def test_a_postgresql_backup_without_pg_dump_says_what_to_install(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("", encoding="utf-8")
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT),  # no pg_dump on this PATH
           "LINLI_DATABASE_URL": "postgres://linli:S3cret@127.0.0.1:5432/linli"}
    result = subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(settings), "backup",
                             str(tmp_path / "b.tar.gz")], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120, check=False)
    line = one_line_refusal(result)
    assert "pg_dump is not installed" in line and "postgresql-client" in line and "S3cret" not in line


# -- review fixes (issue 17): private files, stale journals, failures that show, client versions, hostile tars --
async def test_a_new_backup_folder_is_700_and_the_backup_600_whatever_the_umask(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await apply_migrations(config(url))
    previous = os.umask(0o022)  # a shell's usual umask (linli-admin runs outside the unit's UMask=0077)
    try:
        info = await create_backup(url, tmp_path / "data" / "backups" / "b.tar.gz")
    finally:
        os.umask(previous)
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert info.path.parent.stat().st_mode & 0o777 == 0o700, "other users cannot list or read the backups"
    assert info.path.stat().st_mode & 0o777 == 0o600


async def test_restore_refuses_a_journal_left_beside_the_target(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await apply_migrations(config(url))
    info = await create_backup(url, tmp_path / "b.tar.gz")
    target = tmp_path / "new" / "linli.db"
    target.parent.mkdir()
    # `mv linli.db linli.db.old` while linli runs (or after a crash) leaves the old database's WAL behind;
    # SQLite would replay it onto the restored file
    (target.parent / "linli.db-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\0" * 28)
    line = one_line_refusal(linli("restore", str(info.path), url=f"sqlite://{target}", tmp_path=tmp_path))
    assert "linli.db-wal" in line and "stop linli" in line
    assert not target.exists(), "nothing was written"


async def test_a_restored_sqlite_file_is_complete_and_private(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await apply_migrations(config(url))
    info = await create_backup(url, tmp_path / "b.tar.gz")
    target = tmp_path / "new" / "linli.db"
    result = linli("restore", str(info.path), url=f"sqlite://{target}", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == [], "no partial file left"


async def test_a_daily_backup_into_a_folder_it_cannot_write_shows_failed(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await apply_migrations(config(url))
    settings = BackupSettings(enabled=True, directory="/proc/linli-cannot-write-here/backups")  # even for root
    daily = DailyBackups(settings, url, ZoneInfo("Asia/Shanghai"))
    now = datetime.now(UTC)
    assert daily.due(now)
    daily.start(now)
    assert await daily.wait() is None
    health = backup_health(settings, now)
    assert health["status"] == "failed" and health["ok"] is False, health
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None and "\n" not in errors[0].getMessage()


async def test_a_pg_dump_older_than_the_server_is_said_in_one_line(db_url: str, tmp_path: Path) -> None:
    if is_sqlite(db_url):
        pytest.skip("PostgreSQL only")
    await create_database(db_url)
    try:
        tools = tmp_path / "bin"
        tools.mkdir()
        # an old client from another Debian release; what pg_dump 9.6 says to a newer server, word for word
        (tools / "pg_dump").write_text(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 9.6.24'; exit 0; fi\n"
            "echo 'pg_dump: server version: 15.20; pg_dump version: 9.6.24' >&2\n"
            "echo 'pg_dump: aborting because of server version mismatch' >&2\nexit 1\n", encoding="utf-8")
        (tools / "pg_dump").chmod(0o755)
        env = {"PATH": f"{tools}:{os.environ.get('PATH', '/usr/bin:/bin')}", "PYTHONPATH": str(ROOT),
               "LINLI_DATABASE_URL": db_url}
        (tmp_path / "settings.toml").write_text("", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(tmp_path / "settings.toml"),
                                 "backup", str(tmp_path / "b.tar.gz")], capture_output=True, text=True, env=env,
                                cwd=tmp_path, timeout=120, check=False)
        line = one_line_refusal(result)
        assert "9.6.24" in line and "older than the PostgreSQL server" in line and "postgresql-client" in line
        assert not (tmp_path / "b.tar.gz").exists()
    finally:
        await drop_database(db_url)


def _hostile_archive(path: Path, dump_name: str, member: tarfile.TarInfo, data: bytes = b"") -> None:
    manifest = json.dumps({"format": "linli-backup", "format_version": 1, "created_at": "2026-12-01T00:00:00+00:00",
                           "linli_version": "0.1.0", "database": "sqlite", "dump": dump_name, "dump_bytes": len(data),
                           "sha256": hashlib.sha256(data).hexdigest(), "migrations": {}}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
        archive.addfile(member, io.BytesIO(data) if member.isfile() else None)


@pytest.mark.parametrize("kind", ["parent", "absolute", "symlink", "hardlink"])
def test_a_backup_with_hostile_members_is_refused_and_writes_nothing_outside(tmp_path: Path, kind: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "hostile.tar.gz"
    payload = b"not yours"
    if kind == "parent":
        member = tarfile.TarInfo("../outside/evil")
        member.size = len(payload)
        _hostile_archive(archive, "../outside/evil", member, payload)
    elif kind == "absolute":
        member = tarfile.TarInfo(str(outside / "evil"))
        member.size = len(payload)
        _hostile_archive(archive, str(outside / "evil"), member, payload)
    else:
        member = tarfile.TarInfo("database.sqlite3")
        member.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
        member.linkname = str(outside / "evil")
        _hostile_archive(archive, "database.sqlite3", member)
    target = tmp_path / "new" / "linli.db"
    line = one_line_refusal(linli("restore", str(archive), url=f"sqlite://{target}", tmp_path=tmp_path))
    assert "hostile.tar.gz" in line
    assert list(outside.iterdir()) == [] and not target.exists()


def test_the_daily_backup_is_not_due_while_another_process_writes_one(tmp_path: Path) -> None:
    directory = tmp_path / "daily"
    (tmp_path / "linli.db").write_bytes(b"")
    daily = DailyBackups(BackupSettings(enabled=True, directory=str(directory)), f"sqlite://{tmp_path / 'linli.db'}",
                         ZoneInfo("Asia/Shanghai"))
    now = datetime.now(UTC)
    assert daily.due(now)
    work = directory / ".linli-backup-x1y2"  # a second worker's backup of a big database, still running
    work.mkdir(parents=True)
    assert not daily.due(now), "two workers sharing the folder take one backup, not two"
    old = (now - timedelta(hours=7)).timestamp()
    os.utime(work, (old, old))  # left behind by a crash
    assert daily.due(now)


async def test_migrate_that_cannot_write_its_backup_changes_nothing_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'linli.db'}"
    await migrate_up_to(url, "core", "0002_api_1")
    line = one_line_refusal(linli("migrate", url=url, tmp_path=tmp_path, backups=Path("/proc/linli-no/backups")))
    assert "no backup could be taken before migrating" in line and "--no-backup" in line
    assert await database_migrations(url) == {"core": ["0001_initial", "0002_api_1"]}, "nothing was migrated"
