"""The ``linli`` command: run, init, migrate, backup, restore, plugins list|enable|disable, plugin new.

Every failure an operator can cause (a bad setting, an unmigrated database, an unknown plugin) ends in
one clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core import secrets
from core.backup import linli_version
from core.config import ConfigError, Settings, load_settings
from core.database_file import check_sqlite_file
from core.storage import mask_url

TEMPLATE = Path(__file__).parent / "settings_template.toml"
DEFAULT_SETTINGS = "settings.toml"


def _settings(args: argparse.Namespace) -> Settings:
    """The settings named by --settings or $LINLI_SETTINGS (which must exist), else ./settings.toml if any."""
    named = getattr(args, "settings", None)
    if named is not None and not Path(named).exists():
        raise ConfigError(f"settings file {named} (from --settings) does not exist; "
                          f"`linli init {named}` writes one")
    settings = load_settings(named or os.environ.get("LINLI_SETTINGS") or DEFAULT_SETTINGS)
    check_sqlite_file(settings.database.url)
    _DATABASE[0] = settings.database.url
    return settings


#: The database URL in use, for the one line a database failure ends in.
_DATABASE = [""]
def _is_database_error(error: BaseException) -> bool:
    """A failure of the database itself (refused login, no such database), not of linli."""
    module = type(error).__module__
    return module.startswith(("asyncpg", "sqlite3", "aiosqlite")) or isinstance(error, sqlite3.Error)


def cmd_run(args: argparse.Namespace) -> int:
    from core.runner import run

    settings = _settings(args)
    if args.adapter:
        settings = settings.model_copy(update={"adapters": args.adapter})
    if args.no_web:
        settings = settings.model_copy(update={"web": settings.web.model_copy(update={"enabled": False})})
    return asyncio.run(run(settings))


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.is_dir():
        print(f"linli: {target} is a folder; give the path of the file to write, e.g. {target / 'settings.toml'}",
              file=sys.stderr)
        return 1
    if target.exists() and not args.force:
        print(f"linli: {target} already exists; use --force to overwrite it", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {target}; next: linli migrate && linli run")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.cli_backup import backup_before_migrate
    from core.migrations import migrate_database

    settings = _settings(args)
    backup_before_migrate(settings, skip=args.no_backup)  # an upgrade that goes wrong can be undone
    applied = asyncio.run(migrate_database(settings))
    print(f"applied {len(applied)} migrations" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from core.cli_backup import cmd_backup as backup

    return backup(_settings(args), args)


def cmd_restore(args: argparse.Namespace) -> int:
    from core.cli_backup import cmd_restore as restore

    return restore(_settings(args), args)


def cmd_makemigrations(args: argparse.Namespace) -> int:
    from core.migrations import app_migration_config, make_migrations

    written = asyncio.run(make_migrations(app_migration_config(_settings(args)), args.name))
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("no model changes")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from core.cli_plugins import list_plugins, set_plugin

    settings = _settings(args)
    if args.action == "list":
        for line in asyncio.run(list_plugins(settings, args.community)):
            print(line)
        return 0
    if not args.name or not args.community:
        print(f"linli: usage: linli plugins {args.action} NAME --community COMMUNITY", file=sys.stderr)
        return 2
    print(asyncio.run(set_plugin(settings, args.community, args.name, args.action == "enable")))
    print(f"a linli that is running now follows within {settings.plugins.refresh_seconds:g} s "
          "(plugins.refresh_seconds); chat commands (/enable, /disable) take effect at once")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from core.cli_audit import export_audit

    print(asyncio.run(export_audit(_settings(args), args.community, args.format, args.since, args.output)))
    return 0


def cmd_deadletters(args: argparse.Namespace) -> int:
    from core.cli_deadletters import list_dead_letters, replay_dead_letters

    work = list_dead_letters if args.action == "list" else replay_dead_letters
    for line in asyncio.run(work(_settings(args))):
        print(line)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.rosters.cli import run_import

    return asyncio.run(run_import(_settings(args), args))


def cmd_plugin_new(args: argparse.Namespace) -> int:
    from core.scaffold import scaffold_plugin

    paths = scaffold_plugin(args.name, Path(args.dir), Path(args.tests))
    for path in paths:
        print(f"created {path}")
    # `make run` installs no test tools; say how to get them rather than let `pytest` be "not found".
    print(f"run its test with `make test`, or: .venv/bin/pip install -e '.[test]' && "
          f".venv/bin/python -m pytest -q {paths[-1].parent}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    # The usual flags work before and after the subcommand (`linli -v migrate`, `linli migrate -v`); after it,
    # they default to "not given", so they do not undo the same flag given before it.
    def flags(parser: argparse.ArgumentParser, after: bool) -> argparse.ArgumentParser:
        parser.add_argument("--settings", default=argparse.SUPPRESS if after else None,
                            help="settings file (default: settings.toml, or $LINLI_SETTINGS)")
        parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS if after else False,
                            help="log debug output")
        return parser

    common = flags(argparse.ArgumentParser(add_help=False), after=True)
    parser = flags(argparse.ArgumentParser(prog="linli", description="邻里 linli: neighbourhood volunteering in chat"),
                   after=False)
    parser.add_argument("--version", action="version", version=f"linli {linli_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="run the platform")
    run.add_argument("--adapter", action="append", choices=["console", "telegram", "matrix"],
                     help="chat platform to connect (repeatable; default: from settings)")
    run.add_argument("--no-web", action="store_true", help="do not start the web server")
    run.set_defaults(func=cmd_run)

    init = sub.add_parser("init", parents=[common], help="write a commented settings.toml")
    init.add_argument("path", nargs="?", default="settings.toml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)

    migrate = sub.add_parser("migrate", parents=[common], help="create or upgrade the database tables")
    migrate.add_argument("--no-backup", action="store_true",
                         help="do not take a backup before applying migrations")
    migrate.set_defaults(func=cmd_migrate)

    backup = sub.add_parser("backup", parents=[common],
                            help="write a consistent snapshot of the database (safe while linli runs)")
    backup.add_argument("path", nargs="?", help="file or folder to write (default: [backup] directory)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", parents=[common],
                             help="restore a backup into an empty database, then apply newer migrations")
    restore.add_argument("path", help="a file written by `linli backup`")
    restore.set_defaults(func=cmd_restore)

    makemigrations = sub.add_parser("makemigrations", parents=[common],
                                    help="write migrations for changed models (developers)")
    makemigrations.add_argument("--name", help="a short name for the migration")
    makemigrations.set_defaults(func=cmd_makemigrations)

    plugins = sub.add_parser("plugins", parents=[common], help="list plugins or switch them for a community")
    plugins.add_argument("action", choices=["list", "enable", "disable"])
    plugins.add_argument("name", nargs="?", help="plugin name (for enable/disable)")
    plugins.add_argument("--community", help="community name")
    plugins.set_defaults(func=cmd_plugins)

    audit = sub.add_parser("audit", parents=[common], help="the audit log of a community: who did what, when, why")
    audit.add_argument("--community", required=True, help="community name")
    audit.add_argument("--format", choices=["text", "csv"], default="text")
    audit.add_argument("--since", help="only rows from this day on (YYYY-MM-DD)")
    audit.add_argument("--output", help="write to this file instead of printing")
    audit.set_defaults(func=cmd_audit)

    deadletters = sub.add_parser("deadletters", parents=[common],
                                 help="list the events the core set aside after failing on them, or replay them")
    deadletters.add_argument("action", choices=["list", "replay"])
    deadletters.set_defaults(func=cmd_deadletters)

    from core.rosters.cli import configure as configure_import

    roster = sub.add_parser("import", parents=[common], help="import a roster (volunteers, households, teams, "
                            "party) from an .xlsx or .csv file: a dry run unless --apply")
    configure_import(roster)
    roster.set_defaults(func=cmd_import)

    plugin = sub.add_parser("plugin", parents=[common], help="plugin development tools")
    plugin_sub = plugin.add_subparsers(dest="plugin_command", required=True)
    new = plugin_sub.add_parser("new", parents=[common], help="scaffold a working plugin with a test")
    new.add_argument("name", help="plugin name: lower case letters, digits and _")
    new.add_argument("--dir", default="plugins", help="where the plugin package goes (default: plugins)")
    new.add_argument("--tests", default="tests/plugins", help="where its test goes (default: tests/plugins)")
    new.set_defaults(func=cmd_plugin_new)
    add_plugin_commands(sub, common)
    return parser


# -- subcommands of plugins (hook ``linli_cli_commands``) ---------------------------------------------------
@dataclass(frozen=True)
class CliCommand:
    """A subcommand a plugin adds to ``linli``: ``words=("export", "hours")`` is ``linli export hours``.

    ``configure`` declares its options on its argparse parser; ``run`` does the work once the database is
    open and returns the exit code. A plugin cannot replace a core subcommand.
    """

    words: tuple[str, ...]
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, CliContext], Awaitable[int]]


@dataclass
class CliContext:
    """What a plugin's subcommand gets: the settings, the open database, and a few lookups by name."""

    settings: Settings
    _plugin_settings: Callable[..., Any] = field(repr=False)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    async def community_id(self, name: str) -> int:
        """The community called ``name``; a ConfigError naming the known ones otherwise."""
        from core.cli_plugins import _community

        return int((await _community(name)).id)

    def plugin_settings(self, plugin: str, model: type[Any], community_id: int | None = None) -> Any:
        return self._plugin_settings(plugin, model, community_id)


def plugin_cli_commands() -> list[CliCommand]:
    """The subcommands of the installed plugins (built-in and by entry point)."""
    from core.config import PluginSettings
    from core.plugin_manager import PluginManager

    manager = PluginManager(PluginSettings())
    manager.load_builtins()
    try:
        manager.load_entry_points()
    except RuntimeError as error:  # a broken third-party plugin must not break `linli migrate`
        logging.getLogger(__name__).warning("%s", error)
    return [c for _plugin, commands in manager.collect("linli_cli_commands") for c in commands]


def add_plugin_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    groups: dict[tuple[str, ...], Any] = {}
    for cli in plugin_cli_commands():
        parent, taken = sub, set(sub.choices)
        for depth, word in enumerate(cli.words[:-1]):
            key = cli.words[:depth + 1]
            if key not in groups:
                if word in taken:
                    break
                group = parent.add_parser(word, parents=[common], help=f"{word} …")
                groups[key] = group.add_subparsers(dest=f"plugin_{depth}", required=True)
            parent = groups[key]
            taken = set(parent.choices)
        else:
            if cli.words[-1] in taken:
                continue
            parser = parent.add_parser(cli.words[-1], parents=[common], help=cli.help)
            cli.configure(parser)
            parser.set_defaults(func=lambda args, cli=cli: asyncio.run(_run_plugin_command(cli, args)))


async def _run_plugin_command(cli: CliCommand, args: argparse.Namespace) -> int:
    from core.app import Application
    from core.storage import close_database, open_database

    settings = _settings(args)
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        await app.plugins.load_state()
        return await cli.run(args, CliContext(settings, app.plugin_settings))
    finally:
        await close_database()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    secrets.install()  # every record, whichever logger or handler: no registered secret is ever logged
    secrets.protect_handlers()
    try:
        return int(args.func(args))
    except ConfigError as error:
        print(f"linli: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as error:  # a file or folder that cannot be written or read
        print(f"linli: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except Exception as error:
        if not _is_database_error(error):
            raise
        # e.g. PostgreSQL refusing the role or the password: the server's own words, on one line
        reason = " ".join(str(error).split()) or type(error).__name__
        print(f"linli: the database at {mask_url(_DATABASE[0])} refused: {reason}. "
              "Check [database] url (or LINLI_DATABASE_URL)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
