"""An installation for one test: a database (SQLite file or fresh PostgreSQL database), settings, migrated.

PostgreSQL can be reached directly or through a :class:`tests.faults.tcp_proxy.TcpProxy` the test cuts to
make a database outage.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tests.conftest import POSTGRES_HOST, POSTGRES_PORT
from tests.faults.linli_process import FaultSettings, LinliProcess
from tests.faults.postgres import database_url, fresh_database, require_postgres
from tests.faults.tcp_proxy import TcpProxy
from tests.support.telegram_emulator import BotApiEmulator

Database = Literal["sqlite", "postgres"]

#: The long set (>= 50 kills, a 10,000-command flood): ``LINLI_FAULTS_LONG=1``.
LONG = os.environ.get("LINLI_FAULTS_LONG") == "1"


@dataclass
class Installation:
    linli: LinliProcess
    database: Database
    #: The PostgreSQL database's name (to read it directly), or the SQLite file.
    name: str
    proxy: TcpProxy | None = None


@asynccontextmanager
async def installation(
    emu: BotApiEmulator, workdir: Path, database: Database, *, through_proxy: bool = False, **settings: Any
) -> AsyncIterator[Installation]:
    """Create the database, write settings.toml, run ``linli migrate``; kill linli and drop it all after."""
    async with AsyncExitStack() as stack:
        proxy: TcpProxy | None = None
        if database == "postgres":
            require_postgres()
            name = await stack.enter_async_context(fresh_database())
            url = database_url(name)
            if through_proxy:
                proxy = await stack.enter_async_context(TcpProxy(POSTGRES_HOST, POSTGRES_PORT))
                url = database_url(name, host="127.0.0.1", port=proxy.port)
        else:
            if through_proxy:
                raise ValueError("the database proxy is for PostgreSQL")
            name = str(workdir / "linli.db")
            url = f"sqlite://{name}"
        linli = LinliProcess(emu, FaultSettings(database_url=url, **settings), workdir)
        stack.push_async_callback(linli.close)
        await linli.migrate()
        yield Installation(linli, database, name, proxy)
