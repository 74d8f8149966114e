"""Database migrations: Tortoise ORM's own, one migrations package per app, the same files for all databases.

Why not aerich (which the design card names): aerich 0.10 writes the SQL of the dialect it was generated
on, so SQLite and PostgreSQL would need two sets of files for every change, and its SQLite backend cannot
alter columns. Tortoise 1.x migrations are operation-based Python files rendered per dialect when they are
applied, and each app (the core, every plugin) has its own package under ``migrations/<app>/``.

They are marked experimental upstream, and 1.1.9 has bugs we work around here (each found by the
schema-comparison test in ``tests/core/test_migrations.py``):

* a foreign key into another app gets no dependency → :func:`make_migrations` adds it;
* ``AddField(db_index=True)`` creates no index → patched ``add_field``;
* SQLite table rebuilds (AlterField/RemoveField) drop every index of the table → patched ``_remake_table``;
* SQLite table rebuilds ``DROP TABLE`` with foreign keys on, cascading deletes into other tables → foreign
  keys are switched off while migrating and checked afterwards;
* on SQLite a field description becomes a ``/* comment */`` and statements are split on ``;``, so a
  description containing ``;`` broke the statement → ``;`` is replaced in comments.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.fields.relational import ForeignKeyFieldInstance, ManyToManyFieldInstance, OneToOneFieldInstance
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

from core import period_totals
from core.config import ConfigError, Settings
from core.storage import check_connection, close_database, database_errors, tortoise_config

RELATIONS = (ForeignKeyFieldInstance, OneToOneFieldInstance, ManyToManyFieldInstance)
MIGRATIONS_PACKAGE = "migrations"


def migration_config(url: str, plugin_models: Mapping[str, list[str]],
                     modules: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Tortoise config with each app's migrations package (``migrations.<app>`` unless a plugin says)."""
    config = tortoise_config(url, dict(plugin_models))
    for label, app in config["apps"].items():
        app["migrations"] = (modules or {}).get(label) or f"{MIGRATIONS_PACKAGE}.{label}"
    return config


def app_migration_config(settings: Settings) -> dict[str, Any]:
    from core.app import Application

    app = Application(settings)
    modules = {m.name: m.migrations_module for m in app.plugins.manifests.values() if m.migrations_module}
    return migration_config(settings.database.url, app.plugins.model_modules(), modules)


def _check_packages(config: dict[str, Any]) -> None:
    """An app whose migrations package is missing is a packaging mistake; say so instead of a traceback."""
    for label, app in config["apps"].items():
        try:
            found = importlib.util.find_spec(app["migrations"]) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ConfigError(f"the {label} app has models but no migrations package {app['migrations']}; "
                              "its author must run `linli makemigrations` and ship the files")


def _by_connection(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for label, app in config["apps"].items():
        grouped.setdefault(app.get("default_connection", "default"), {})[label] = app
    return grouped


async def pending_migrations(config: dict[str, Any]) -> list[str]:
    """``app.name`` of every migration not applied yet. Opens and closes the database itself."""
    _check_packages(config)
    async with database_errors(config["connections"]["default"]):
        await Tortoise.init(config=config, init_connections=False)
        try:
            pending: list[str] = []
            for connection, apps in _by_connection(config).items():
                await check_connection(connection)  # plan() reads an unreachable database as an empty one
                steps = await MigrationExecutor(get_connection(connection), apps).plan()
                pending += [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
            return pending
        finally:
            await close_database()


async def apply_migrations(config: dict[str, Any]) -> list[str]:
    """Apply every pending migration, forward only; returns what was applied."""
    _check_packages(config)
    _patch_schema_editors()
    applied: list[str] = []

    def progress(event: str, app: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app}.{name}")

    async with database_errors(config["connections"]["default"]):
        await _apply(config, progress)
    return applied


async def _apply(config: dict[str, Any], progress: Any) -> None:
    await Tortoise.init(config=config, init_connections=False)
    try:
        for connection_name, apps in _by_connection(config).items():
            await check_connection(connection_name)
            connection = get_connection(connection_name)
            sqlite = connection.capabilities.dialect == "sqlite"
            if sqlite:  # outside any transaction, or SQLite ignores it
                await connection.execute_script("PRAGMA foreign_keys=OFF")
            try:
                await MigrationExecutor(connection, apps).migrate(direction="forward", progress=progress)
            finally:
                if sqlite:
                    broken = await connection.execute_query_dict("PRAGMA foreign_key_check")
                    await connection.execute_script("PRAGMA foreign_keys=ON")
                    if broken:
                        raise RuntimeError(f"foreign keys broken by the migration: {broken}")
    finally:
        await close_database()


async def migrate_database(settings: Settings) -> list[str]:
    """Apply the pending migrations, then count what the new tables keep from the old ones (the period
    totals from the ledger), so the wait is here, where an operator expects it, not at ``linli run``."""
    config = app_migration_config(settings)
    applied = await apply_migrations(config)
    async with database_errors(config["connections"]["default"]):
        await Tortoise.init(config=config)
        try:
            await period_totals.ensure(ZoneInfo(settings.timezone))
        finally:
            await close_database()
    return applied


async def settings_pending(settings: Settings) -> list[str]:
    return await pending_migrations(app_migration_config(settings))


async def make_migrations(config: dict[str, Any], name: str | None = None) -> list[str]:
    """Write migration files for every app whose models changed (a developer tool: ``linli makemigrations``)."""
    for app in config["apps"].values():
        _ensure_package(app["migrations"])
    await Tortoise.init(config=config, init_connections=False)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
        by_app = {w.app_label: w for w in writers}
        for writer in writers:
            dependencies: set[tuple[str, str]] = {(a, b) for a, b in writer.dependencies}
            for model in Tortoise.apps[writer.app_label].values():
                for field in model._meta.fields_map.values():
                    if isinstance(field, RELATIONS):
                        other = field.related_model._meta.app
                        if other != writer.app_label and other in by_app:
                            dependencies.add((other, by_app[other].name))
            writer.dependencies = sorted(dependencies)
            if name:
                writer.name = f"{writer.name.split('_', 1)[0]}_{name}"
        return [str(w.write()) for w in writers]
    finally:
        await close_database()


async def unmigrated_model_changes(config: dict[str, Any]) -> list[str]:
    """Apps whose models differ from their migrations (a test keeps this empty)."""
    await Tortoise.init(config=config, init_connections=False)
    try:
        return [w.app_label for w in await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()]
    finally:
        await close_database()


def _ensure_package(module: str) -> None:
    parts = module.split(".")
    base = Path(importlib.import_module(parts[0]).__path__[0])
    for part in parts[1:]:
        base = base / part
        base.mkdir(exist_ok=True)
        (base / "__init__.py").touch(exist_ok=True)
    importlib.invalidate_caches()


def _patch_schema_editors() -> None:
    """Work around Tortoise 1.1.9 schema-editor bugs (see the module docstring). Idempotent."""
    from tortoise.indexes import Index
    from tortoise.migrations.constraints import UniqueConstraint
    from tortoise.migrations.schema_editor.base import BaseSchemaEditor
    from tortoise.migrations.schema_editor.sqlite import SqliteSchemaEditor

    if getattr(BaseSchemaEditor, "_linli_patched", False):
        return

    def column(model: Any, field: Any) -> str | None:
        if isinstance(field, ManyToManyFieldInstance) or not hasattr(field, "get_for_dialect"):
            return None
        return model._meta.fields_db_projection.get(field.model_field_name)

    for cls in (BaseSchemaEditor, SqliteSchemaEditor):
        original_add = cls.__dict__["add_field"]

        async def add_field(self: Any, model: Any, field_name: str, _original: Any = original_add) -> None:
            await _original(self, model, field_name)
            field = model._meta.fields_map[field_name]
            if isinstance(field, ForeignKeyFieldInstance):
                field = model._meta.fields_map[field.source_field or field_name]
            name = column(model, field)
            if name and field.index and not field.unique and not field.pk:
                await self.add_index(model, Index(fields=(name,)))

        cls.add_field = add_field  # type: ignore[method-assign]

    original_remake = SqliteSchemaEditor._remake_table

    async def remake_table(self: Any, model: Any, create_field: Any = None, delete_field: Any = None,
                           alter_fields: Any = None) -> None:
        await original_remake(self, model, create_field, delete_field, alter_fields)
        table = model._meta.db_table
        gone = delete_field.model_field_name if delete_field else None
        for field in model._meta.fields_map.values():
            name = column(model, field)
            if name and field.model_field_name != gone and field.index and not field.unique and not field.pk:
                await self.add_index(model, Index(fields=(name,)))
        for index in model._meta.indexes or ():
            await self.add_index(model, index)
        uniques = [tuple(u) for u in (model._meta.unique_together or ())]
        uniques += [tuple(c.fields) for c in (getattr(model._meta, "constraints", None) or ())
                    if isinstance(c, UniqueConstraint)]
        for fields in dict.fromkeys(uniques):
            columns = self._resolve_fields_to_columns(model, fields)
            await self._run_sql(self._get_unique_index_sql(table, columns, model._meta.schema))

    SqliteSchemaEditor._remake_table = remake_table  # type: ignore[method-assign]

    def sqlite_comment(self: Any, *args: str, **kwargs: str) -> str:
        comment = kwargs.get("comment", args[-1] if args else "")
        return f" /* {self._escape_comment(comment).replace(';', ',')} */"

    SqliteSchemaEditor._get_table_comment_sql = sqlite_comment  # type: ignore[method-assign]
    SqliteSchemaEditor._get_column_comment_sql = sqlite_comment  # type: ignore[method-assign]
    BaseSchemaEditor._linli_patched = True  # type: ignore[attr-defined]
