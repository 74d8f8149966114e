"""Introspect a database schema into a comparable structure (SQLite and PostgreSQL).

Index and constraint names are left out: Tortoise names unique constraints differently when it creates
them inline and when a migration adds them, and the name is not what a query depends on.
"""

from __future__ import annotations

from typing import Any

IGNORE_TABLES = {"tortoise_migrations"}
Schema = dict[str, dict[str, Any]]


async def dump_schema(connection: Any) -> Schema:
    if connection.capabilities.dialect == "sqlite":
        return await _dump_sqlite(connection)
    return await _dump_postgres(connection)


async def _dump_sqlite(connection: Any) -> Schema:
    query = connection.execute_query_dict
    out: Schema = {}
    tables = await query("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    for table in sorted(row["name"] for row in tables):
        if table in IGNORE_TABLES:
            continue
        columns = {r["name"]: (r["type"].upper(), bool(r["notnull"]), r["dflt_value"], bool(r["pk"]))
                   for r in await query(f'PRAGMA table_info("{table}")')}
        indexes = set()
        for row in await query(f'PRAGMA index_list("{table}")'):
            if row["origin"] == "pk":
                continue
            names = tuple(c["name"] for c in await query(f'PRAGMA index_info("{row["name"]}")'))
            indexes.add((bool(row["unique"]), names))
        foreign_keys = {(r["from"], r["table"], r["to"], r["on_delete"])
                        for r in await query(f'PRAGMA foreign_key_list("{table}")')}
        out[table] = {"columns": columns, "indexes": indexes, "fks": foreign_keys}
    return out


async def _dump_postgres(connection: Any) -> Schema:
    query = connection.execute_query_dict
    out: Schema = {}
    for row in await query(
        "SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        if row["table_name"] in IGNORE_TABLES:
            continue
        table = out.setdefault(row["table_name"], {"columns": {}, "indexes": set(), "fks": set()})
        default = row["column_default"]
        if default and default.startswith("nextval("):
            default = "nextval(<sequence>)"
        table["columns"][row["column_name"]] = (row["data_type"], row["len"], row["is_nullable"] == "NO", default)
    for row in await query(
        "SELECT t.relname AS tbl, ix.indisunique AS uniq, "
        "ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS cols "
        "FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND NOT ix.indisprimary"
    ):
        if row["tbl"] not in IGNORE_TABLES:
            out[row["tbl"]]["indexes"].add((row["uniq"], tuple(row["cols"])))
    for row in await query(
        "SELECT c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'f'"
    ):
        table_name = row["tbl"].strip('"')
        if table_name not in IGNORE_TABLES:
            out[table_name]["fks"].add(" ".join(row["def"].split()))
    return out


def diff_schemas(migrated: Schema, modelled: Schema) -> list[str]:
    diffs = []
    for table in sorted(set(migrated) | set(modelled)):
        if table not in migrated or table not in modelled:
            diffs.append(f"table {table}: only {'migrated' if table in migrated else 'in the models'}")
            continue
        a, b = migrated[table]["columns"], modelled[table]["columns"]
        diffs += [f"{table}.{c}: migrated={a.get(c)} models={b.get(c)}" for c in sorted(set(a) | set(b))
                  if a.get(c) != b.get(c)]
        for kind in ("indexes", "fks"):
            ours, theirs = migrated[table][kind], modelled[table][kind]
            diffs += [f"{table} {kind} only migrated: {x}" for x in sorted(ours - theirs, key=str)]
            diffs += [f"{table} {kind} only in models: {x}" for x in sorted(theirs - ours, key=str)]
    return diffs
