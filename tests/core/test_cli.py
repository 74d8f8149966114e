"""The `linli` command line, run as an operator runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import PluginSettings
from core.plugin_manager import ENTRY_POINT_GROUP, PluginManager

ROOT = Path(__file__).resolve().parents[2]


def linli(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_WEB__ENABLED": "false", **env}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=environment, check=False, timeout=120)


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = linli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("run", "init", "migrate", "plugins", "plugin"):
        assert name in result.stdout


def test_init_writes_a_valid_commented_settings_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    assert linli("init", cwd=tmp_path).returncode == 0
    text = (tmp_path / "settings.toml").read_text()
    assert "# Language the bot speaks" in text
    again = linli("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_a_bad_setting_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('[web]\nport = "eighty"\n')
    result = linli("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "web.port = 'eighty'" in result.stderr and "settings.toml:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugins_can_be_listed_and_switched_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'linli.db'}"
    assert linli("migrate", cwd=tmp_path, LINLI_DATABASE_URL=db).returncode == 0
    assert linli("run", cwd=tmp_path, stdin="王书记: /setup 观梅社区\n", LINLI_DATABASE_URL=db).returncode == 0
    listing = linli("plugins", "list", "--community", "观梅社区", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert "thanks" in listing.stdout and "感谢 / Thanks  on" in listing.stdout
    off = linli("plugins", "disable", "thanks", "--community", "观梅社区", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert off.stdout.splitlines()[0] == "thanks disabled in 观梅社区"
    chat = linli("run", cwd=tmp_path, stdin="张三: /thanks @王书记\n", LINLI_DATABASE_URL=db)
    assert "本社区未启用“感谢”功能" in chat.stdout
    unknown = linli("plugins", "enable", "thanks", "--community", "没有", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert unknown.returncode == 2 and "no community called '没有' (known: 观梅社区)" in unknown.stderr


def test_third_party_plugins_are_loaded_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.core import test_plugins

    class EntryPoint:
        name, value = "bell", "tests.core.test_plugins:Bell"

        def load(self) -> object:
            return test_plugins.Bell()

    def entry_points(group: str) -> list[EntryPoint]:
        return [EntryPoint()] if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    manager = PluginManager(PluginSettings())
    manager.load_entry_points()
    assert manager.manifests["bell"].title_en == "Bell"


def test_a_blocked_plugin_is_not_loaded() -> None:
    manager = PluginManager(PluginSettings(blocked=["thanks"]))
    manager.load_builtins()
    assert "thanks" not in manager.manifests


def test_an_unreachable_database_is_reported_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgres://linli:S3cretPw@127.0.0.1:{port}/linli"
    for command in ("migrate", "run"):
        result = linli(command, cwd=tmp_path, LINLI_DATABASE_URL=url)
        assert result.returncode == 2
        assert "cannot use the database at postgres://linli:***@127.0.0.1" in result.stderr
        assert "S3cretPw" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
