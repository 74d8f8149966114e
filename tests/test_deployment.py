"""The deployment in deploy/ and the README's "Deployment" section: the unit passes `systemd-analyze verify`,
and following the README (init, env file, migrate, the unit's command line, a backup while it runs, SIGTERM,
restore) gives a real process that answers /healthz and stops cleanly. The console adapter stands in for
Telegram (nothing reaches the internet); everything else is what the unit runs."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "linli.service"
VENV = Path(sys.executable).parent.parent
#: Where the README installs things, and where this test puts them instead.
INSTALLED_VENV, INSTALLED_CONF, INSTALLED_STATE = "/opt/linli/venv", "/etc/linli", "/var/lib/linli"


def unit() -> configparser.ConfigParser:
    """The unit file read by an INI parser (systemd's syntax is INI; repeated keys keep the last)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",),
                                       comment_prefixes=("#", ";"), empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser


def deployment_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Deployment\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def read_env_file(path: Path) -> dict[str, str]:
    """An EnvironmentFile= as systemd and `sh` (linli-admin) both read it: KEY=value lines, comments."""
    values = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        assert re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), raw
        assert not re.search(r"[\s'\"\\$`]", value), f"{raw!r}: no quotes or spaces, so systemd and sh agree"
        values[key] = value
    return values


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        reason = "systemd-analyze is not installed (Debian: apt-get install systemd)"
        if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and LINLI_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    # verify checks that ExecStart's program exists: point it at this test's installed linli, nothing else
    copy = tmp_path / "linli.service"
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED_VENV, str(VENV)), encoding="utf-8")
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == "", "no warnings either"


def test_the_unit_runs_what_the_readme_says() -> None:
    service = unit()["Service"]
    section = deployment_section()
    assert service["ExecStart"] == f"{INSTALLED_VENV}/bin/linli --settings {INSTALLED_CONF}/settings.toml run"
    assert service["ExecStart"] in section
    assert service["User"] == "linli" and "useradd --system" in section
    assert service["EnvironmentFile"] == f"{INSTALLED_CONF}/linli.env" and service["EnvironmentFile"] in section
    assert service["WorkingDirectory"] == INSTALLED_STATE
    assert service["Restart"] == "on-failure"
    assert service["StandardOutput"] == service["StandardError"] == "journal"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""
    assert service["SystemCallErrorNumber"] == "EPERM", "a filtered call fails, it does not kill the bot (SIGSYS)"
    assert "TOKEN" not in UNIT.read_text(encoding="utf-8").split("[Service]")[1], "no secret in the unit"
    assert "LINLI_TELEGRAM__TOKEN" in read_env_file(DEPLOY / "linli.env.example")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.loads(response.read()) if response.status == 200 else None
    except OSError:
        return None


def test_following_the_readme_deployment_runs_the_service(tmp_path: Path) -> None:
    conf, state = tmp_path / "etc" / "linli", tmp_path / "var" / "lib" / "linli"
    conf.mkdir(parents=True)
    state.mkdir(parents=True, mode=0o700)
    port = _free_port()
    linli = VENV / "bin" / "linli"
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LINLI_WEB__PORT": str(port)}
    me = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    admin_env = {**base, "DEPLOY_VENV": str(VENV), "DEPLOY_CONF": str(conf), "DEPLOY_STATE": str(state),
                 "DEPLOY_USER": me}  # the test's own user stands in for linli (runuser needs root and the user)

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DEPLOY / "linli-admin"), *args], env=admin_env, capture_output=True, text=True,
                              timeout=300, check=False)

    # 3. settings, 4. secrets, 5. migrate
    made = subprocess.run([str(linli), "init", str(conf / "settings.toml")], env=base, capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    shutil.copy(DEPLOY / "linli.env.example", conf / "linli.env")
    (conf / "linli.env").chmod(0o600)
    migrated = admin("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "applied" in migrated.stdout and (state / "data" / "linli.db").exists()
    assert admin("--version").stdout.startswith("linli ")

    # 6. the unit's command line, with its environment, in its working directory
    service = unit()["Service"]
    command = shlex.split(service["ExecStart"].replace(INSTALLED_VENV, str(VENV)).replace(INSTALLED_CONF, str(conf)))
    environment = dict(item.split("=", 1) for item in shlex.split(service.get("Environment", "")))
    env = {**base, **environment, **read_env_file(Path(service["EnvironmentFile"].replace(INSTALLED_CONF, str(conf))))}
    cwd = service["WorkingDirectory"].replace(INSTALLED_STATE, str(state))
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        health = None
        while health is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            health = _health(port)
        assert health is not None, f"no /healthz answer; exit {process.poll()}"
        assert health["status"] == "ok"

        # 7. a backup while it runs
        backup = admin("backup")
        assert backup.returncode == 0, backup.stderr
        taken = sorted((state / "data" / "backups").glob("linli-backup-*.tar.gz"))
        assert len(taken) == 1 and str(taken[0].name) in backup.stdout
        assert (_health(port) or {}).get("status") == "ok", "the bot kept running"
    finally:
        process.send_signal(signal.SIGTERM)
        stop_seconds = float(service["TimeoutStopSec"].removesuffix("s"))
        try:
            _out, err = process.communicate(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
            pytest.fail(f"linli did not stop within TimeoutStopSec ({stop_seconds:g} s) of SIGTERM")
    assert process.returncode == 0, err
    assert "Traceback" not in err, err

    # 9. restore into an empty database
    (state / "data" / "linli.db").rename(state / "data" / "linli.db.old")
    restored = admin("restore", str(taken[0]))
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout and (state / "data" / "linli.db").exists()
    refused = admin("restore", str(taken[0]))
    assert refused.returncode != 0 and "not empty" in refused.stderr
