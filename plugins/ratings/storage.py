"""How rating rows lie on disk, so that their physical order tells nothing about who rated when.

A rating's key is an HMAC (:mod:`plugins.ratings.secret`), but a database keeps more than keys: SQLite
numbers every row (``rowid``) in insertion order, and PostgreSQL stamps each row version with the
transaction that wrote it (``xmin``) and places it in the heap in writing order (``ctid``). Whoever
knows in which order residents rated (the bot's messages, the platform's history) could line them up
with rows and read their stars. So:

* on SQLite the table is built ``WITHOUT ROWID`` (by the plugin's migration, :func:`without_rowid`):
  rows live in a B-tree ordered by the HMAC key, and no hidden row number exists;
* on PostgreSQL (and SQLite tables made without the migration) :func:`rewrite_in_key_order` writes the
  open period's ratings again, in key order, in one transaction: afterwards every row carries the same
  ``xmin`` and a place in the heap given by its key. The clock does it every tick and the close once
  more, so the order of ratings is visible only for the ratings of the last few minutes, and old row
  versions only to a superuser inspecting pages before ``VACUUM`` (docs/privacy.md says to keep the
  database to the operator).
"""

from __future__ import annotations

from typing import Any

from plugins.ratings.models import Period, Rating

TABLE = "ratings_rating"


async def without_rowid(client: Any) -> bool:
    """SQLite: rebuild the ratings table as ``WITHOUT ROWID`` (with its rows and indexes); True if it did.

    Elsewhere, or when it is so already, nothing happens. Run by ``migrations/ratings/0001_initial``."""
    if getattr(getattr(client, "capabilities", None), "dialect", "") != "sqlite":
        return False
    [table] = await client.execute_query_dict(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE])
    create: str = table["sql"]
    if "WITHOUT ROWID" in create.upper():
        return False
    indexes = await client.execute_query_dict(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [TABLE])
    new = f"{TABLE}_new"
    statements = [
        create.replace(f'"{TABLE}"', f'"{new}"', 1).rstrip().rstrip(";") + " WITHOUT ROWID",
        f'INSERT INTO "{new}" SELECT * FROM "{TABLE}"',
        f'DROP TABLE "{TABLE}"',
        f'ALTER TABLE "{new}" RENAME TO "{TABLE}"',
        *(row["sql"] for row in indexes),
    ]
    for statement in statements:
        await client.execute_script(statement)
    return True


async def rewrite_in_key_order(period: Period) -> int:
    """Write the period's ratings again, ordered by their keys, in the caller's transaction (which holds
    the period's lock, so no rating comes in meanwhile); the number of rows."""
    rows = await Rating.filter(period=period).order_by("slot")
    if not rows:
        return 0
    await Rating.filter(period=period).delete()
    await Rating.bulk_create([Rating(slot=row.slot, period_id=row.period_id,  # type: ignore[attr-defined]
                                     target_id=row.target_id,  # type: ignore[attr-defined]
                                     scores=row.scores, comment=row.comment) for row in rows])
    return len(rows)
