"""The hook behind ``linli export hours``: plugins add subcommands to ``linli``, never replace the core's."""

from __future__ import annotations

import argparse

import pytest

import core.cli
from core.cli import CliCommand, CliContext, build_parser


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    return 0


def test_plugin_subcommands_join_the_parser_and_cannot_replace_core_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--community", required=True)

    extra = [CliCommand(("export", "things"), "export things", configure, _run),
             CliCommand(("migrate",), "a plugin's migrate", configure, _run),
             CliCommand(("run", "fast"), "under a core command", configure, _run)]
    real = core.cli.plugin_cli_commands
    monkeypatch.setattr(core.cli, "plugin_cli_commands", lambda: [*real(), *extra])
    parser = build_parser()
    args = parser.parse_args(["export", "things", "--community", "观梅社区"])
    assert args.community == "观梅社区" and callable(args.func)
    assert parser.parse_args(["export", "hours", "--community", "X", "--from", "2026-01-01",
                              "--to", "2026-01-31"]).format == "xlsx"
    assert parser.parse_args(["migrate"]).func is core.cli.cmd_migrate
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "fast", "--community", "X"])
