"""Logging the bot in, once per device: the device id stays the same across restarts.

Every password ``login`` makes a new device, and in encrypted rooms each new device needs new keys
from everyone, so the device id and the token a password login returned are kept in
``<store_dir>/credentials.json`` (mode 0600, next to the encryption keys, not in the main database) and
reused with ``restore_login``. An access token from the operator is checked with ``whoami``, which
also names its device. Secrets never appear in log lines or error messages.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, ErrorResponse, LoginResponse, WhoamiResponse

from adapters.matrix.settings import MatrixSettings
from core.config import ConfigError

log = logging.getLogger("adapters.matrix")
CREDENTIALS = "credentials.json"
PICKLE_KEY = "pickle_key"


#: The homeserver's answers that mean "not with these credentials", for good; any other failure (a 5xx,
#: a proxy's error page, a rate limit) may pass, and the login is tried again.
REFUSALS = ("M_UNKNOWN_TOKEN", "M_FORBIDDEN")


class Unavailable(Exception):
    """The homeserver could not answer the login now; another try may work."""


def _refused(answer: object) -> bool:
    """True for a refusal for good; raises :class:`Unavailable` for any other failed answer."""
    if isinstance(answer, ErrorResponse) and answer.status_code in REFUSALS:
        return True
    raise Unavailable(str(getattr(answer, "message", None) or answer))


@dataclass(frozen=True)
class Secret:
    """A token or a password, and where it came from (error messages name the source, never the value)."""

    kind: str  # "token" or "password"
    value: str
    source: str


def _from(value: object, file: Path | None, variable: str, key: str) -> tuple[str, str] | None:
    if value is not None:
        text = value.get_secret_value().strip()  # type: ignore[attr-defined]
        if text:
            return text, variable
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"matrix.{key}: cannot read {file} ({error.strerror})") from None
        if not text:
            raise ConfigError(f"matrix.{key}: {file} is empty")
        return text, f"the file {file} (matrix.{key})"
    return None


def read_secret(settings: MatrixSettings) -> Secret:
    """The access token, or else the password, from the environment or a file."""
    if not settings.homeserver or not settings.user_id:
        raise ConfigError("matrix: set matrix.homeserver (e.g. https://matrix.example.org) and matrix.user_id "
                          "(the bot's account, e.g. @linli:example.org) in settings.toml")
    token = _from(settings.access_token, settings.access_token_file, "LINLI_MATRIX__ACCESS_TOKEN",
                  "access_token_file")
    if token is not None:
        return Secret("token", *token)
    password = _from(settings.password, settings.password_file, "LINLI_MATRIX__PASSWORD", "password_file")
    if password is not None:
        return Secret("password", *password)
    raise ConfigError("matrix: no credentials. Put the bot account's access token in LINLI_MATRIX__ACCESS_TOKEN "
                      "or its password in LINLI_MATRIX__PASSWORD (or point matrix.access_token_file or "
                      "matrix.password_file at a file holding it).")


def read_pickle_key(settings: MatrixSettings) -> str:
    """The key the encryption store is pickled with: nio's default is the same public string for every
    bot, so whoever can read the store could use the device's keys. From the environment or
    ``matrix.pickle_key_file``; else a random one made once in ``<store_dir>/pickle_key`` (mode 0600)."""
    given = _from(settings.pickle_key, settings.pickle_key_file, "LINLI_MATRIX__PICKLE_KEY", "pickle_key_file")
    if given is not None:
        return given[0]
    path = settings.store_dir / PICKLE_KEY
    try:
        return path.read_text(encoding="utf-8").strip() or _new_pickle_key(path)
    except FileNotFoundError:
        return _new_pickle_key(path)
    except OSError as error:
        raise ConfigError(f"matrix: cannot read {path} ({error.strerror})") from None


def _new_pickle_key(path: Path) -> str:
    key = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _save(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(temporary, path)


async def log_in(client: AsyncClient, settings: MatrixSettings, secret: Secret) -> None:
    """Log ``client`` in with a stable device id, or raise a :class:`ConfigError` saying what to fix
    (the homeserver refused the credentials: ``M_UNKNOWN_TOKEN``, ``M_FORBIDDEN``), or :class:`Unavailable`
    when it could not answer now."""
    path = settings.store_dir / CREDENTIALS
    stored = _load(path)
    if stored.get("user_id") != settings.user_id or stored.get("homeserver") != settings.homeserver:
        stored = {}
    if secret.kind == "token":
        client.access_token = secret.value
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse) and _refused(who):
            raise ConfigError(f"matrix: the access token in {secret.source} was not accepted by "
                              f"{settings.homeserver} ({getattr(who, 'status_code', who)})")
        if who.user_id != settings.user_id:
            raise ConfigError(f"matrix: the access token in {secret.source} belongs to {who.user_id}, "
                              f"not to matrix.user_id = {settings.user_id}")
        if not who.device_id:
            raise ConfigError(f"matrix: {settings.homeserver} did not say which device the access token in "
                              f"{secret.source} belongs to; log in with a password instead")
        client.restore_login(who.user_id, who.device_id, secret.value)
        _save(path, {"user_id": who.user_id, "homeserver": settings.homeserver, "device_id": who.device_id})
        return
    token, device = stored.get("access_token"), stored.get("device_id")
    if token and device:
        client.access_token = token
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            _refused(who)  # a stored token the server is away for is kept: a new login would be a new device
        elif who.user_id == settings.user_id:
            client.restore_login(settings.user_id, device, token)
            return
        log.info("matrix: the stored session of device %s is no longer valid; logging in again", device)
    client.user = settings.user_id
    client.user_id = settings.user_id
    client.device_id = device or None  # the same device again, so its encryption keys stay valid
    answer = await client.login(secret.value, device_name=settings.device_name)
    if not isinstance(answer, LoginResponse) and _refused(answer):
        raise ConfigError(f"matrix: {settings.homeserver} refused the password in {secret.source} for "
                          f"{settings.user_id} ({getattr(answer, 'message', answer)})")
    _save(path, {"user_id": answer.user_id, "homeserver": settings.homeserver, "device_id": answer.device_id,
                 "access_token": answer.access_token})
    log.info("matrix: logged in as %s, device %s", answer.user_id, answer.device_id)
