"""Communities that existed before boards had addresses get theirs from the migration that adds them
(core 0007), not only when someone happens to open a page."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from core.migrations import _by_connection, _patch_schema_editors, apply_migrations
from core.storage import close_database, is_sqlite
from tests.core.test_migrations import _config


async def test_the_board_migration_gives_existing_communities_their_slugs(db_url: str) -> None:
    config = _config(db_url)
    if not is_sqlite(db_url):
        await Tortoise.init(config=config, _create_db=True)
        await close_database()
    _patch_schema_editors()
    await Tortoise.init(config=config, init_connections=False)
    try:
        apps = _by_connection(config)["default"]
        await MigrationExecutor(get_connection("default"), apps).migrate(
            [MigrationTarget("core", "0006_ledger_index")], direction="forward")
        for name in ("观梅社区", "观梅小区", "Green Park"):
            await get_connection("default").execute_query(
                "INSERT INTO linli_community (name, language, created_at) VALUES "
                + ("(?, 'zh_CN', CURRENT_TIMESTAMP)" if is_sqlite(db_url) else "($1, 'zh_CN', CURRENT_TIMESTAMP)"),
                [name])
    finally:
        await close_database()
    await apply_migrations(config)
    await Tortoise.init(config=config)
    try:
        _, rows = await get_connection("default").execute_query("SELECT name, slug FROM linli_community ORDER BY id")
        assert {row["name"]: row["slug"] for row in rows} == {
            "观梅社区": "guanmei", "观梅小区": "guanmei-2", "Green Park": "green-park"}
    finally:
        await close_database(drop=not is_sqlite(db_url))
