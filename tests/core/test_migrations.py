"""Migrations: applied from scratch on SQLite and PostgreSQL they give exactly the schema the models describe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tortoise import Tortoise
from tortoise.connection import get_connection

from core.config import DatabaseSettings, Settings
from core.migrations import app_migration_config, apply_migrations, pending_migrations, unmigrated_model_changes
from core.storage import close_database, is_sqlite
from tests.conftest import fresh_postgres_url
from tests.core.schema_dump import diff_schemas, dump_schema

ROOT = Path(__file__).resolve().parents[2]


def _config(url: str) -> dict:
    return app_migration_config(Settings(database=DatabaseSettings(url=url)))


async def _schema(url: str) -> dict:
    await Tortoise.init(config=_config(url))
    try:
        return await dump_schema(get_connection("default"))
    finally:
        await close_database()


async def test_migrations_from_scratch_match_the_models(db_url: str, tmp_path: Path) -> None:
    migrated_url = db_url
    modelled_url = f"sqlite://{tmp_path / 'models.db'}" if is_sqlite(db_url) else fresh_postgres_url()
    if not is_sqlite(db_url):
        await Tortoise.init(config=_config(migrated_url), _create_db=True)
        await close_database()
    try:
        assert await pending_migrations(_config(migrated_url)), "a fresh database has pending migrations"
        applied = await apply_migrations(_config(migrated_url))
        assert "core.0001_initial" in applied
        assert await pending_migrations(_config(migrated_url)) == []
        assert await apply_migrations(_config(migrated_url)) == [], "migrating twice changes nothing"
        await Tortoise.init(config=_config(modelled_url), _create_db=not is_sqlite(modelled_url))
        await Tortoise.generate_schemas(safe=False)
        await close_database()
        assert diff_schemas(await _schema(migrated_url), await _schema(modelled_url)) == []
    finally:
        if not is_sqlite(db_url):
            for url in (migrated_url, modelled_url):
                await Tortoise.init(config=_config(url))
                await close_database(drop=True)


async def test_every_model_change_has_a_migration() -> None:
    assert await unmigrated_model_changes(_config("sqlite://:memory:")) == [], (
        "models changed without a migration: run `linli makemigrations`"
    )


def test_run_refuses_an_unmigrated_database_and_says_what_to_do(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LINLI_DATABASE_URL": f"sqlite://{tmp_path / 'new.db'}",
           "LINLI_WEB__ENABLED": "false", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(ROOT / "settings.toml"), "run"],
                            input="", capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "not up to date" in result.stderr and "linli migrate" in result.stderr
    assert "Traceback" not in result.stderr
