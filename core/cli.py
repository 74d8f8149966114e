"""The ``linli`` command: run, init, migrate, plugins list|enable|disable, plugin new.

Every failure an operator can cause (a bad setting, an unmigrated database, an unknown plugin) ends in
one clear line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.config import ConfigError, Settings, load_settings

TEMPLATE = Path(__file__).parent / "settings_template.toml"


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.settings)


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
    if target.exists() and not args.force:
        print(f"linli: {target} already exists; use --force to overwrite it", file=sys.stderr)
        return 1
    target.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {target}; next: linli migrate && linli run")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.migrations import migrate_database

    settings = _settings(args)
    applied = asyncio.run(migrate_database(settings))
    print(f"applied {len(applied)} migrations" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


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
    return 0


def cmd_plugin_new(args: argparse.Namespace) -> int:
    from core.scaffold import scaffold_plugin

    for path in scaffold_plugin(args.name, Path(args.dir), Path(args.tests)):
        print(f"created {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linli", description="邻里 linli: neighbourhood volunteering in chat")
    parser.add_argument("--settings", default=os.environ.get("LINLI_SETTINGS", "settings.toml"),
                        help="settings file (default: settings.toml, or $LINLI_SETTINGS)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the platform")
    run.add_argument("--adapter", action="append", choices=["console", "telegram"],
                     help="chat platform to connect (repeatable; default: from settings)")
    run.add_argument("--no-web", action="store_true", help="do not start the web server")
    run.set_defaults(func=cmd_run)

    init = sub.add_parser("init", help="write a commented settings.toml")
    init.add_argument("path", nargs="?", default="settings.toml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)

    migrate = sub.add_parser("migrate", help="create or upgrade the database tables")
    migrate.set_defaults(func=cmd_migrate)

    makemigrations = sub.add_parser("makemigrations", help="write migrations for changed models (developers)")
    makemigrations.add_argument("--name", help="a short name for the migration")
    makemigrations.set_defaults(func=cmd_makemigrations)

    plugins = sub.add_parser("plugins", help="list plugins or switch them for a community")
    plugins.add_argument("action", choices=["list", "enable", "disable"])
    plugins.add_argument("name", nargs="?", help="plugin name (for enable/disable)")
    plugins.add_argument("--community", help="community name")
    plugins.set_defaults(func=cmd_plugins)

    plugin = sub.add_parser("plugin", help="plugin development tools")
    plugin_sub = plugin.add_subparsers(dest="plugin_command", required=True)
    new = plugin_sub.add_parser("new", help="scaffold a working plugin with a test")
    new.add_argument("name", help="plugin name: lower case letters, digits and _")
    new.add_argument("--dir", default="plugins", help="where the plugin package goes (default: plugins)")
    new.add_argument("--tests", default="tests/plugins", help="where its test goes (default: tests/plugins)")
    new.set_defaults(func=cmd_plugin_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ConfigError as error:
        print(f"linli: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
