"""A real Synapse homeserver on loopback for the Matrix adapter's end-to-end tests.

Synapse is not a dependency of linli: it lives in its own virtualenv (``make synapse`` creates
``.venv-synapse``; ``LINLI_SYNAPSE_VENV`` points elsewhere), which ``.ci/run`` installs before the suite.
One homeserver runs per test run (see the ``synapse`` fixture in ``tests/adapters/matrix/conftest.py``):
SQLite, no federation, no presence, relaxed rate limits, registration only by shared secret (HMAC-SHA1,
Synapse's admin API). Tests register their own users with fresh names, so they do not see each other.

:meth:`Synapse.stop` and :meth:`Synapse.start` stop and start the same server on the same port and data,
for the outage test.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVER_NAME = "linli.test"
#: Fast password hashing: the tests log in a lot, and these passwords protect nothing.
BCRYPT_ROUNDS = 4


def synapse_python() -> Path:
    """The interpreter of Synapse's own virtualenv."""
    venv = Path(os.environ.get("LINLI_SYNAPSE_VENV", ROOT / ".venv-synapse"))
    return venv / "bin" / "python"


def synapse_missing() -> str | None:
    """Why Synapse cannot run here, or None when it can."""
    python = synapse_python()
    if not python.exists():
        return f"Synapse is not installed ({python} does not exist); run `make synapse`"
    check = subprocess.run([str(python), "-c", "import synapse"], capture_output=True, text=True)
    if check.returncode != 0:
        return f"Synapse does not import in {python.parent.parent}: {check.stderr.strip()[-200:]}"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(base: Path, port: int, shared_secret: str) -> dict[str, Any]:
    log_config = base / "log.yaml"
    log_config.write_text(json.dumps({
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(base / "homeserver.log"),
                              "formatter": "plain"}},
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }))
    unlimited = {"per_second": 10_000, "burst_count": 10_000}
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(base / "homeserver.pid"),
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(base / "homeserver.db")}},
        "log_config": str(log_config),
        "media_store_path": str(base / "media"),
        "signing_key_path": str(base / "signing.key"),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "bcrypt_rounds": BCRYPT_ROUNDS,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "rc_message": unlimited,
        "rc_registration": unlimited,
        "rc_login": {"address": unlimited, "account": unlimited, "failed_attempts": unlimited},
        "rc_joins": {"local": unlimited, "remote": unlimited},
        "rc_invites": {"per_room": unlimited, "per_user": unlimited, "per_issuer": unlimited},
        "rc_admin_redaction": unlimited,
        "rc_3pid_validation": unlimited,
        "rc_key_requests": unlimited,
    }


class Synapse:
    """One homeserver process; its data lives in ``base`` until the test run ends."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = _free_port()
        self.shared_secret = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = base / "homeserver.yaml"
        self.process: subprocess.Popen[bytes] | None = None
        self._admin_token: str | None = None
        base.mkdir(parents=True, exist_ok=True)
        # JSON is YAML, and the test virtualenv need not have PyYAML.
        self.config_path.write_text(json.dumps(_config(base, self.port, self.shared_secret), indent=1))
        python = str(synapse_python())
        subprocess.run([python, "-m", "synapse.app.homeserver", "-c", str(self.config_path), "--generate-keys"],
                       check=True, capture_output=True, cwd=base)

    # -- process -----------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        assert self.process is None, "already running"
        log = (self.base / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [str(synapse_python()), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.base, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.process.returncode}; see {self.base}/stdout.log")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {timeout:.0f} s; see {self.base}")

    def stop(self) -> None:
        """SIGTERM, and wait: the port is free again when this returns."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    # -- HTTP --------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                token: str | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                result: dict[str, Any] = json.loads(answer.read() or b"{}")
                return result
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()[:300]}") from None

    def register(self, localpart: str, password: str, *, admin: bool = False,
                 displayname: str | None = None) -> dict[str, Any]:
        """A new account through the shared-secret admin API; returns ``user_id`` and ``access_token``."""
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        body: dict[str, Any] = {"nonce": nonce, "username": localpart, "password": password, "admin": admin,
                                "mac": mac.hexdigest()}
        if displayname is not None:
            body["displayname"] = displayname
        return self.request("POST", "/_synapse/admin/v1/register", body)

    def admin_token(self) -> str:
        if self._admin_token is None:
            self._admin_token = self.register(f"admin{secrets.token_hex(4)}", "admin-pass", admin=True)[
                "access_token"]
        return self._admin_token

    def override_ratelimit(self, user_id: str, messages_per_second: float, burst_count: int) -> None:
        """Synapse's per-user message rate limit (the admin API), to provoke ``M_LIMIT_EXCEEDED``."""
        self.request("POST", f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
                     {"messages_per_second": messages_per_second, "burst_count": burst_count},
                     token=self.admin_token())
