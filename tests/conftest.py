"""Shared fixtures: every database test runs on SQLite and, where it is reachable, on PostgreSQL.

Services are optional on a laptop (the test is skipped with the reason) and required on CI, where
``LINLI_REQUIRE_SERVICES=1`` turns a missing service into a failure.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.testing import Harness

POSTGRES_HOST = os.environ.get("LINLI_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("LINLI_TEST_PG_PORT", "5432"))
POSTGRES_USER = os.environ.get("LINLI_TEST_PG_USER", "postgres")


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, on CI, fail) when a service the test needs is not there."""
    if service_available(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}, and LINLI_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def fresh_postgres_url() -> str:
    return f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/linli_t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "postgres":
        require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
        return fresh_postgres_url()
    return f"sqlite://{tmp_path / 'linli.db'}"


@pytest.fixture
async def harness(db_url: str) -> AsyncIterator[Harness]:
    async with Harness.create(db_url) as h:
        yield h


@pytest.fixture
async def community(harness: Harness) -> Harness:
    """A harness where 王书记 has set up 观梅社区 in the room 'group'."""
    await harness.send("王书记", "/setup 观梅社区")
    return harness
