"""Fresh PostgreSQL databases for a subprocess: created here, handed over by URL, dropped afterwards.

The in-process fixtures of ``tests/conftest.py`` let Tortoise create and drop their database; a ``linli``
subprocess cannot do that for us (``linli migrate`` expects the database to exist, as in production), so
the fault suite creates it itself on the shared server and drops it even if the process still holds
connections (a SIGKILLed process leaves none, but a stuck one might).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, require_service


def require_postgres() -> None:
    """Skip (or fail under ``LINLI_REQUIRE_SERVICES=1``) when the shared server is not there."""
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)


def database_url(name: str, *, host: str = POSTGRES_HOST, port: int = POSTGRES_PORT) -> str:
    """The URL linli is given; ``host``/``port`` may point at a proxy in front of the server."""
    return f"postgres://{POSTGRES_USER}@{host}:{port}/{name}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database="postgres")


@asynccontextmanager
async def fresh_database(prefix: str = "linli_f") -> AsyncIterator[str]:
    """Create an empty database with a unique name, yield the name, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name
    finally:
        admin = await _admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def scalar(name: str, query: str, *args: object) -> object:
    """One value from the database, read straight from the server (not through linli or a proxy)."""
    conn = await asyncpg.connect(host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database=name)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()
