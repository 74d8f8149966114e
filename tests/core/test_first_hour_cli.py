"""The first hour at the terminal (issue 8, and issue 9's start-up failures): every mistake an operator makes
ends in one line naming what to change and a non-zero exit code, never a traceback; the console stops
cleanly on Ctrl-C. Run as an operator runs it: the `linli` command in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_HOST, POSTGRES_PORT, require_service

ROOT = Path(__file__).resolve().parents[2]


def linli(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_WEB__ENABLED": "false", **env}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=environment, check=False, timeout=120)


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    """The failure as the operator reads it: exit code 2 and exactly one line (or one block) on stderr."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Exception in thread" not in result.stderr, result.stderr
    assert result.stderr.startswith("linli: "), result.stderr
    return result.stderr.strip()


def migrated(tmp_path: Path) -> str:
    db = f"sqlite://{tmp_path / 'linli.db'}"
    assert linli("migrate", cwd=tmp_path, LINLI_DATABASE_URL=db).returncode == 0
    return db


# -- files and folders ----------------------------------------------------------------------------------
def test_init_into_a_missing_folder_creates_it(tmp_path: Path) -> None:
    result = linli("init", "sub/new.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sub" / "new.toml").read_text(encoding="utf-8").startswith("#")


def test_a_database_file_that_is_no_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "linli.db").write_text("my notes\n")
    db = f"sqlite://{tmp_path / 'linli.db'}"
    for command in ("migrate", "run"):
        message = one_line_failure(linli(command, cwd=tmp_path, LINLI_DATABASE_URL=db))
        assert message == f"linli: {tmp_path / 'linli.db'} is not a SQLite database; check [database] url (or " \
                          "LINLI_DATABASE_URL)"


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_an_unopenable_sqlite_path_is_one_line_without_a_thread_traceback(tmp_path: Path, where: str) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "afolder").mkdir()
    path = tmp_path / ("afolder" if where == "folder" else "afile/linli.db")
    message = one_line_failure(linli("migrate", cwd=tmp_path, LINLI_DATABASE_URL=f"sqlite://{path}"))
    assert str(path) in message and "[database] url" in message


def test_run_on_an_unmigrated_database_says_so_and_leaves_no_empty_file(tmp_path: Path) -> None:
    message = one_line_failure(linli("run", cwd=tmp_path, LINLI_DATABASE_URL=f"sqlite://{tmp_path / 'new.db'}"))
    assert "linli migrate" in message
    assert not (tmp_path / "new.db").exists()


def test_a_missing_settings_file_named_with_settings_is_refused(tmp_path: Path) -> None:
    message = one_line_failure(linli("--settings", str(tmp_path / "missing.toml"), "migrate", cwd=tmp_path))
    assert message.startswith(f"linli: settings file {tmp_path / 'missing.toml'} (from --settings) does not exist")


# -- settings ---------------------------------------------------------------------------------------------
def test_unknown_plugin_settings_name_the_key_and_the_line(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    (tmp_path / "settings.toml").write_text('language = "zh_CN"\n\n[plugin.thanks]\npointz = 3\n')
    message = one_line_failure(linli("run", cwd=tmp_path, LINLI_DATABASE_URL=db))
    assert "plugin.thanks.pointz (settings.toml:4): there is no such setting (settings of thanks: points)" in message
    (tmp_path / "settings.toml").write_text('[plugin.nosuch]\na = 1\n')
    message = one_line_failure(linli("plugins", "list", cwd=tmp_path, LINLI_DATABASE_URL=db))
    assert "plugin.nosuch (settings.toml:1): there is no such plugin" in message


def test_an_unknown_environment_variable_is_blamed_on_the_variable(tmp_path: Path) -> None:
    message = one_line_failure(linli("migrate", cwd=tmp_path, LINLI_WEBB__PORT="1"))
    assert "webb (environment variable LINLI_WEBB__PORT): there is no such setting" in message
    assert "settings.toml:?" not in message


def test_a_misspelt_secret_variable_is_named_but_its_value_never_printed(tmp_path: Path) -> None:
    result = linli("migrate", cwd=tmp_path, LINLI_TELEGRAM__TOKEM="123456:SECRET-TOKEN")
    message = one_line_failure(result)
    assert "telegram.tokem (environment variable LINLI_TELEGRAM__TOKEM): there is no such setting" in message
    assert "SECRET" not in result.stderr + result.stdout


def test_errors_are_one_plain_sentence_not_pydantic_wording(tmp_path: Path) -> None:
    message = one_line_failure(linli("migrate", cwd=tmp_path, LINLI_WEB__PORT="eighty"))
    assert message.endswith("web.port = 'eighty' (environment variable LINLI_WEB__PORT): expected a whole number")
    assert "Input should be" not in message


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("LINLI_SCHEDULER__TICK_SECONDS", "inf", "expected a finite number"),
    ("LINLI_PLUGINS__REFRESH_SECONDS", "1e-9", "expected a number of at least 0.5"),
    ("LINLI_BUS__MAX_PENDING", "1000000000000", "expected a number of at most 1000000"),
    ("LINLI_ADAPTERS", "[]", "expected at least one adapter to run (installed: "),
])
def test_numbers_out_of_range_and_no_adapters_are_refused(tmp_path: Path, variable: str, value: str,
                                                           expected: str) -> None:
    assert expected in one_line_failure(linli("migrate", cwd=tmp_path, **{variable: value}))


@pytest.mark.parametrize(("content", "expected"), [
    ('language = "中文"\n'.encode("gbk"), "not UTF-8 text"),
    (bytes(range(128, 256)) * 4, "not UTF-8 text"),
    (("a = " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested too deeply"),
])
def test_a_settings_file_that_is_not_toml_text_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "settings.toml").write_bytes(content)
    assert expected in one_line_failure(linli("migrate", cwd=tmp_path))


def test_a_settings_path_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    assert "is a folder, not a file" in one_line_failure(linli("--settings", "conf", "migrate", cwd=tmp_path))


def test_a_postgresql_role_that_is_refused_is_one_line(tmp_path: Path) -> None:
    require_service("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    url = f"postgres://no_such_role_linli:pw@{POSTGRES_HOST}:{POSTGRES_PORT}/postgres"
    for command in ("migrate", "run"):
        message = one_line_failure(linli(command, cwd=tmp_path, LINLI_DATABASE_URL=url))
        assert "no_such_role_linli" in message and "[database] url" in message
        assert ":pw@" not in message, "the password is masked"


# -- commands ---------------------------------------------------------------------------------------------
def test_the_usual_flags_work_after_the_subcommand_too(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path / 'linli.db'}"
    result = linli("migrate", "-v", "--settings", str(tmp_path / "settings.toml"), cwd=tmp_path,
                   LINLI_DATABASE_URL=db, LINLI_SETTINGS=str(tmp_path / "nope.toml"))
    assert "does not exist" in one_line_failure(result), "--settings after the subcommand is used"
    (tmp_path / "settings.toml").write_text("")
    result = linli("migrate", "-v", "--settings", str(tmp_path / "settings.toml"), cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert result.returncode == 0, result.stderr
    assert "DEBUG" in result.stderr, "-v after the subcommand turns on debug output"


def test_the_cli_names_its_own_command_for_the_list_of_plugins(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    assert linli("run", cwd=tmp_path, stdin="王书记: /setup 观梅社区\n", LINLI_DATABASE_URL=db).returncode == 0
    message = one_line_failure(linli("plugins", "enable", "nosuch", "--community", "观梅社区", cwd=tmp_path,
                                     LINLI_DATABASE_URL=db))
    assert "`linli plugins list` shows them" in message and "/plugins" not in message
    off = linli("plugins", "disable", "thanks", "--community", "观梅社区", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert off.stdout.splitlines()[1].startswith("a linli that is running now follows within 30 s")


def test_the_scaffold_says_how_to_run_its_test(tmp_path: Path) -> None:
    result = linli("plugin", "new", "hello_world", "--dir", str(tmp_path / "plugins"), "--tests",
                   str(tmp_path / "tests"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert "make test" in last and ".venv/bin/pip install -e '.[test]'" in last
    assert str(tmp_path / "tests" / "hello_world") in last


def test_the_package_licence_is_an_spdx_expression_setuptools_does_not_warn_about() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0", "a table here makes setuptools print ~60 warning lines"
    assert any(r.replace(" ", "").startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_a_web_port_in_use_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = linli("run", cwd=tmp_path, LINLI_DATABASE_URL=db, LINLI_WEB__ENABLED="true",
                       LINLI_WEB__PORT=str(port))
    message = one_line_failure(result)
    assert f"127.0.0.1:{port}" in message and "web.port" in message and "LINLI_WEB__PORT" in message


# -- the console ----------------------------------------------------------------------------------------
def test_ctrl_c_stops_the_interactive_console_cleanly(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_WEB__ENABLED": "false",
                   "LINLI_DATABASE_URL": db}
    process = subprocess.Popen([sys.executable, "-m", "core.cli", "run"], cwd=tmp_path, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("王书记: /setup 观梅社区\n")
        process.stdin.flush()  # stdin stays open: the console waits in readline, as at a terminal
        assert process.stdout.readline().startswith("[main] bot: 观梅社区设置好了")
        time.sleep(0.2)
        os.kill(process.pid, signal.SIGINT)
        # stdin is still open, as a terminal is: the process must end without its input ending
        process.wait(timeout=30)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err


class Terminal:
    """A stdin that says it is a terminal and has nothing more to read."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return ""


async def test_the_console_greets_a_person_at_a_terminal_and_explains_press(harness: object) -> None:
    import io

    from adapters.console import ConsoleAdapter
    from core.testing import Harness

    assert isinstance(harness, Harness)
    out = io.StringIO()
    console = ConsoleAdapter(harness.app.adapter_services, stdin=Terminal(), stdout=out)  # type: ignore[arg-type]
    await console.start()
    await console.run_until_done()
    banner = out.getvalue().splitlines()
    assert banner[0].startswith("linli console. Speak as anyone: NAME: MESSAGE")
    assert "@room NAME" in banner[1] and "!press N" in banner[1] and "Ctrl-C" in banner[1]
    out.truncate(0)
    await console.feed("张三: !press abc")
    assert out.getvalue().strip().endswith("!press needs a button number, e.g. 张三: !press 1")
