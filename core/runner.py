"""Running the platform: open the database, start the core, the adapters and the web server; stop cleanly.

Order matters: the database is opened before any task is created, because
Tortoise keeps its state in a ContextVar that tasks copy when they are created.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from typing import Any, TextIO

from core.adapter import Adapter, installed_adapters
from core.app import Application
from core.config import ConfigError, Settings, adapter_settings
from core.database_file import sqlite_file
from core.migrations import migration_config, pending_migrations
from core.storage import close_database, database_errors, mask_url, open_database

log = logging.getLogger(__name__)


def make_adapter(name: str, app: Application, stdin: TextIO | None, stdout: TextIO | None) -> Adapter:
    """Build the adapter registered as ``name`` in the ``linli.adapters`` entry-point group."""
    specs = installed_adapters()
    spec = specs.get(name)
    if spec is None:
        raise ConfigError(f"adapters: unknown adapter {name!r} (installed: {', '.join(sorted(specs)) or 'none'})")
    return spec.create(app.adapter_services, adapter_settings(app.settings, spec), stdin=stdin, stdout=stdout)


async def run(settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run until the console script ends or a signal arrives; returns the process exit code."""
    out = stdout or sys.stdout
    database_file = sqlite_file(settings.database.url)
    if database_file is not None and not database_file.exists():  # asking would leave an empty file behind
        print(f"linli: the database at {database_file} is not up to date (it does not exist yet).\n"
              "Run `linli migrate` first (or `make run`, which does).", file=sys.stderr)
        return 2
    app = Application(settings)  # built once: the migration check below needs its plugins too
    modules = {m.name: m.migrations_module for m in app.plugins.manifests.values() if m.migrations_module}
    async with database_errors(settings.database.url):
        pending = await pending_migrations(migration_config(settings.database.url, app.plugins.model_modules(),
                                                            modules))
    if pending:
        print(f"linli: the database at {mask_url(settings.database.url)} is not up to date "
              f"({len(pending)} migrations pending, first: {pending[0]}).\n"
              "Run `linli migrate` first (or `make run`, which does).", file=sys.stderr)
        return 2
    async with database_errors(settings.database.url):
        await open_database(settings.database.url, app.plugins.model_modules())
    adapters: list[Adapter] = []
    web_runner = None
    try:
        for name in settings.adapters:
            adapter = make_adapter(name, app, stdin, out)
            app.adapters[adapter.platform] = adapter
            adapters.append(adapter)
        await app.start_core()
        if settings.web.enabled:
            from core.web import start_web  # the web stack is imported only when it is on

            try:
                web_runner = await start_web(app, settings.web.host, settings.web.port)
            except OSError as exc:  # most often: another linli (a second `make run`) has the port
                print(f"linli: the web server cannot listen on {settings.web.host}:{settings.web.port} "
                      f"({exc.strerror or exc}); choose another port with web.port in settings.toml or "
                      "LINLI_WEB__PORT, or run with --no-web", file=sys.stderr)
                return 2
            log.info("web server on http://%s:%s/", settings.web.host, settings.web.port)
        for adapter in adapters:
            await adapter.start()
        await app.start_delivery()
        app.scheduler.start()
        keep_start_up_out_of_collections()
        refresher = asyncio.create_task(app.keep_state_fresh(settings.plugins.refresh_seconds))
        try:
            return await _wait_for_end(adapters)
        finally:
            refresher.cancel()
    finally:
        for adapter in adapters:
            with contextlib.suppress(Exception):
                await adapter.stop()
        await app.stop_core()
        if web_runner is not None:
            await web_runner.cleanup()
        await close_database()


def keep_start_up_out_of_collections() -> None:
    """Hide what the start built from Python's cyclic garbage collector.

    Why: the modules, models, settings and translations (≈ 74 k objects in ``linli run --no-web``) live as
    long as the process, yet every full collection walked all of them with the event loop stopped: 30–40 ms
    during which no community was served, ≈ 0 once they are frozen (a full collection then walks only what
    was made since). No collection runs first, so the start's own garbage (≈ 560 objects, measured) is
    frozen with it and never freed: a one-time loss, cheaper than a collection's pause before the first
    reply. A process that builds several applications (the tests) must not do this, since what it
    freezes is never collected; only ``linli run`` does, once it has started."""
    gc.freeze()
    log.debug("%d objects from the start left out of garbage collections", gc.get_freeze_count())


async def _wait_for_end(adapters: list[Adapter]) -> int:
    """Wait until every adapter is done (a console script ended), a signal arrives, or an adapter dies.

    Returns the exit code: 0 for a normal end, 1 when an adapter failed (the operator sees why in the log).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiters = {asyncio.create_task(a.run_until_done(), name=f"adapter:{a.platform}"): a for a in adapters}
    stopper = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = {*waiters, stopper}
    try:
        while waiters.keys() & pending and stopper in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done & waiters.keys():
                if not task.cancelled() and task.exception() is not None:
                    log.error("the %s adapter stopped: %s", waiters[task].platform, task.exception(),
                              exc_info=task.exception())
                    print(f"linli: the {waiters[task].platform} adapter stopped: {task.exception()}", file=sys.stderr)
                    return 1
        return 0
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
