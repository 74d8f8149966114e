"""Database set-up: Tortoise ORM from one URL, SQLite by default, PostgreSQL in production.

The core is one Tortoise app (``core``); every plugin with models is an app of its own, labelled with
the plugin's name, so its tables and migrations are its own business.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient, TransactionContext
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import require_context
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.models import Model

from core.config import ConfigError
from core.secrets import register_url_password

ModelT = TypeVar("ModelT", bound=Model)

#: True while the bus makes its first, optimistic attempt at an event: a failure then is undone by handling
#: the event again from the start, so PostgreSQL's savepoints may wait for a write (:mod:`core.postgres_engine`).
lazy_savepoints: ContextVar[bool] = ContextVar("lazy_savepoints", default=False)


class SavepointMissing(Exception):
    """A statement failed inside a savepoint that was never sent (PostgreSQL, :mod:`core.postgres_engine`):
    the transaction cannot go back to it. Raised where savepoints wait, the bus's first attempt at an event
    (which then handles it again with every savepoint sent), or after a savepoint could not be sent: when
    that savepoint ends, at the commit, and by every statement after it, so never a silent rollback,
    whatever a handler catches."""

CORE_MODELS = [
    "core.identity",
    "core.points",
    "core.period_totals",
    "core.plugin_manager",
    "core.processed",
    "core.scheduler",
    "core.dialogs",
    "core.households",
    "core.adapter_state",
    "core.outbox",
    "core.inbox",
    "core.deadletters",
    "core.audit",
    "core.corrections",
    "core.rosters.models",
    "core.board_history",
]
#: How large SQLite's log file may stay once the log starts over. Tortoise's default (16 KB) cut it back at
#: every restart, so each commit extended a file the file system had to allocate again (on ext4 ≈ 40 µs of
#: kernel time per ``/thanks``, a fifth of its system time); a kept file is overwritten in place. The same
#: size as the log at which a restarting checkpoint is forced (``core.sqlite_engine``).
WAL_FILE_BYTES = 64 * 1024 * 1024
SQLITE_DEFAULT_PRAGMAS = {"busy_timeout": "10000", "synchronous": "NORMAL", "journal_size_limit": str(WAL_FILE_BYTES)}


#: Words in database errors that mean "not now" rather than "this is wrong" (SQLite's lock, a server that
#: went away or is starting, a connection refused or dropped).
_UNAVAILABLE_WORDS = (
    "database is locked", "database table is locked", "connection refused", "connection was closed",
    "connection is closed", "connection reset", "cannot connect", "could not connect", "the database system is",
    "terminating connection", "server closed the connection", "no connection", "connection does not exist",
    "pool is closed", "timed out", "timeout",
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used right now (retry later), not a bug.

    Only errors that come from the database layer count (raised by, or passing through, Tortoise or a
    driver), so a plugin's own timeout or an unreachable web service is a failure of that event, never
    a reason to hold every update back.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if not any(_from_database(e) for e in chain):
        return False
    for current in chain:
        if isinstance(current, DBConnectionError | ConnectionError | TimeoutError):
            return True
        if type(current).__module__.startswith("asyncpg") and type(current).__name__ in _ASYNCPG_UNAVAILABLE:
            return True
        text = str(current).lower()
        if isinstance(current, OperationalError | OSError | sqlite3.OperationalError) and any(
                w in text for w in _UNAVAILABLE_WORDS):
            return True
    return False


_DATABASE_MODULES = ("tortoise", "asyncpg", "aiosqlite", "sqlite3", "psycopg")


def _from_database(error: BaseException) -> bool:
    if type(error).__module__.startswith(_DATABASE_MODULES):
        return True
    tb = error.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


_ASYNCPG_UNAVAILABLE = {
    "ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError", "TooManyConnectionsError",
    "AdminShutdownError", "CrashShutdownError", "ConnectionRejectionError",
}


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite://")


def normalise_url(url: str) -> str:
    """Create the SQLite file's folder and add sensible pragmas; leave other URLs alone."""
    if not is_sqlite(url):
        return url
    parts = urlsplit(url)
    path = (parts.netloc + parts.path) if parts.netloc else parts.path
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    query = dict(parse_qsl(parts.query))
    for key, value in SQLITE_DEFAULT_PRAGMAS.items():
        query.setdefault(key, value)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def mask_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@asynccontextmanager
async def database_errors(url: str | dict[str, Any]) -> AsyncIterator[None]:
    """Turn "cannot reach / cannot open the database" into one operator-readable ConfigError (``url``: the
    setting, or the connection entry of :func:`tortoise_config`)."""
    shown = mask_url(url if isinstance(url, str) else url.get("url", "the configured database"))
    try:
        yield
    except (DBConnectionError, OperationalError, OSError) as exc:
        raise ConfigError(
            f"cannot use the database at {shown}: {exc}. Check [database] url (or LINLI_DATABASE_URL), "
            "that the server is running and that the database exists."
        ) from None


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, …`` (the statements we write never quote a ``?``)."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def default_connection() -> BaseDBAsyncClient:
    """The default connection, or the transaction's inside one: asked of Tortoise's context directly, not
    through its deprecated ``connections`` proxy, which runs an import statement on every call (measured:
    a hand-written statement took 4.3 µs instead of 7)."""
    return require_context().connections.get("default")


def in_transaction_now() -> bool:
    """Whether the code running is inside a transaction (or a savepoint) on the default connection."""
    return isinstance(default_connection(), TransactionalDBClient)


def transaction() -> TransactionContext:
    """``tortoise.transactions.in_transaction()`` for the default connection (a savepoint inside a
    transaction), without its search for which connection is meant: the bus and the router open one or two
    of these on every event."""
    return default_connection()._in_transaction()


def _dialect_sql(connection: Any, sql: str) -> str:
    return _numbered(sql) if connection.capabilities.dialect == "postgres" else sql


async def execute(sql: str, *params: Any) -> int:
    """Run one hand-written statement (``?`` placeholders) in the current transaction; rows changed.

    The few hottest statements are written once instead of built by the query builder for every call
    (building a Tortoise query costs several times the database round trip), and ``ON CONFLICT`` lets a
    duplicate be a normal outcome instead of an error that needs a savepoint around it.
    """
    connection = default_connection()
    changed, _rows = await connection.execute_query(_dialect_sql(connection, sql), list(params))
    return int(changed)


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one hand-written statement once per row, all in one transaction (the current one, if any)."""
    connection = default_connection()
    await connection.execute_many(_dialect_sql(connection, sql), [list(row) for row in rows])


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an ``IN (…)`` of ``count`` values; at least one (``IN ()`` is an error on PostgreSQL
    though not on SQLite, so it is refused on both)."""
    if count < 1:
        raise ValueError("placeholders() needs at least one value: check for an empty list first")
    return ", ".join("?" * count)


async def fetch(sql: str, *params: Any) -> Sequence[Any]:
    """Rows of one hand-written query (``?`` placeholders), each readable by column name.

    For the few statements on every command's path (the names' marks, say): building a query through the
    ORM costs several times running it. Everything else reads better through the models."""
    connection = default_connection()
    return await connection.execute_query_dict(_dialect_sql(connection, sql), list(params))


async def fetch_models(model: type[ModelT], sql: str, *params: Any) -> list[ModelT]:
    """A hand-written ``SELECT *`` from ``model``'s table as model objects, each value converted exactly
    as Tortoise converts the rows of its own queries (``_init_from_db``): for the few ORM reads on the
    path of a command a crowd sends at once, where building the query cost more than running it."""
    return [model._init_from_db(**row) for row in await fetch(sql, *params)]


def for_update() -> str:
    """`` FOR UPDATE`` to end a hand-written locking read on PostgreSQL; nothing on SQLite, where the
    transaction's ``BEGIN IMMEDIATE`` already holds the database's one write lock."""
    return " FOR UPDATE" if dialect() == "postgres" else ""


def is_plain_select(sql: str) -> bool:
    """Only a statement that starts with SELECT is certainly read-only (a ``WITH`` may end in a DELETE)."""
    return sql.lstrip()[:6].upper() == "SELECT"


def dialect() -> str:
    """``sqlite`` or ``postgres``: the database behind the default connection."""
    return str(default_connection().capabilities.dialect)


async def check_connection(name: str = "default") -> None:
    await require_context().connections.get(name).execute_query("SELECT 1")


def tortoise_config(url: str, plugin_models: dict[str, list[str]]) -> dict[str, Any]:
    apps: dict[str, Any] = {"core": {"models": CORE_MODELS, "default_connection": "default"}}
    for label, modules in plugin_models.items():
        apps[label] = {"models": modules, "default_connection": "default"}
    register_url_password(url)  # Tortoise logs the connection parameters, password included, at DEBUG
    return {"connections": {"default": connection_config(url)}, "apps": apps, "use_tz": True, "timezone": "UTC"}


async def _keep_session(_connection: Any) -> None:
    """asyncpg resets every connection it takes back into the pool (``RESET ALL``, ``UNLISTEN *``, advisory
    unlocks, ``CLOSE ALL``): a round trip on every release, twice per command. linli sets no session state,
    listens to nothing and takes no session locks, so there is nothing to reset; an open transaction is
    still rolled back by the pool before this is called."""


def connection_config(url: str) -> dict[str, Any]:
    """Tortoise's connection settings for ``url``; SQLite through :mod:`core.sqlite_engine` (no thread hop
    per statement), PostgreSQL through :mod:`core.postgres_engine` (savepoints that wait for a write)."""
    config = expand_db_url(normalise_url(url))
    if is_sqlite(url):
        config["engine"] = "core.sqlite_engine"
    elif config["engine"] == "tortoise.backends.asyncpg":
        config["engine"] = "core.postgres_engine"
        config["credentials"].setdefault("reset", _keep_session)  # asyncpg ≥ 0.30
    config["url"] = url  # for messages (Tortoise reads only the engine and the credentials)
    return config


async def open_database(url: str, plugin_models: dict[str, list[str]], *, create_db: bool = False) -> None:
    await Tortoise.init(config=tortoise_config(url, plugin_models), _create_db=create_db)


async def close_database(*, drop: bool = False) -> None:
    """Close (or drop, for throwaway test databases) and forget the connection.

    Tortoise caches prepared INSERT statements per connection *name* in a module-level dict; a process
    that opens a SQLite and then a PostgreSQL database under the same name would reuse SQLite's ``?``
    placeholders on PostgreSQL. Clearing that cache on close keeps tests on both dialects honest.
    """
    if drop:
        await Tortoise._drop_databases()
    else:
        await Tortoise.close_connections()
        await Tortoise._reset_apps()
    EXECUTOR_CACHE.clear()
