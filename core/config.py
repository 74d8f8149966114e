"""Settings: settings.toml, overridden by ``LINLI_…`` environment variables, validated at start-up.

Operators edit a file and set a few variables; when either is wrong they must learn *which* key, *where*,
and *what was expected* — never a traceback. So validation errors are turned into
:class:`ConfigError` messages naming the key, its line in the file (or the variable), the value and the
expectation. Secrets (bot tokens, passwords) are accepted only from the environment or from a file the
setting points to, so they never end up in a committed settings.toml or in a log.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "LINLI_"
#: Short names operators expect, mapped to the canonical nested key path.
ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "LINLI_DATABASE_URL": ("database", "url"),
    "LINLI_TELEGRAM_TOKEN": ("telegram", "token"),
}
SECRET_KEYS: frozenset[tuple[str, ...]] = frozenset({("telegram", "token"), ("telegram", "webhook_secret")})


AdapterName = Literal["console", "telegram", "matrix"]


class ConfigError(Exception):
    """A settings problem an operator can fix; the message says what and where."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite://data/linli.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres|asyncpg|psycopg)://", value):
            raise ValueError("a database URL starting with sqlite:// or postgres://")
        return value


class BusSettings(_Section):
    max_pending: int = Field(1000, ge=1, description="events accepted but not yet handled, before publish waits")
    dedupe_days: int = Field(7, ge=1, description="how long processed platform event ids are remembered")


class ConsoleSettings(_Section):
    admins: list[str] = Field(default_factory=lambda: ["王书记"])


class WebSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class SchedulerSettings(_Section):
    tick_seconds: float = Field(1.0, gt=0)
    lease_seconds: int = Field(300, ge=1)


class PluginSettings(_Section):
    #: Plugins switched on in a community that has not chosen; organizers change it with /enable, /disable.
    enabled_by_default: list[str] = Field(default_factory=lambda: ["*"])
    #: Plugins not loaded at all on this installation.
    blocked: list[str] = Field(default_factory=list)
    #: How often a running process re-reads plugin states changed elsewhere (CLI, other workers).
    refresh_seconds: float = Field(30.0, gt=0)


class TelegramLimits(_Section):
    """Telegram's flood limits for messages the bot sends; the defaults are Telegram's own values."""

    global_messages: int = Field(30, ge=1, description="messages per global_window over all chats")
    global_window: float = Field(1.0, gt=0, description="seconds")
    group_messages: int = Field(20, ge=1, description="messages per group_window to one group")
    group_window: float = Field(60.0, gt=0, description="seconds")
    chat_interval: float = Field(1.0, ge=0, description="seconds between two messages to one chat")


class TelegramSettings(_Section):
    token: SecretStr | None = None
    token_file: Path | None = None
    mode: Literal["polling", "webhook"] = "polling"
    #: The public https URL Telegram posts to; its path (``/telegram/…``) is served by linli's web server.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    limits: TelegramLimits = Field(default_factory=TelegramLimits)
    poll_timeout: int = Field(30, ge=1, le=60, description="seconds a getUpdates long poll waits")
    retry_base: float = Field(1.0, gt=0, description="first back-off delay after a network error, seconds")
    retry_cap: float = Field(60.0, gt=0, description="longest back-off delay, seconds")
    send_attempts: int = Field(6, ge=1, description="tries per message or API call, and per failing update")
    admin_cache_seconds: float = Field(600.0, ge=0, description="how long a group's admin list is trusted")


def _default_adapters() -> list[AdapterName]:
    return ["console"]


class Settings(_Section):
    language: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = "Asia/Shanghai"
    adapters: list[AdapterName] = Field(default_factory=_default_adapters)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    #: Per-plugin settings tables, validated by each plugin's own settings model.
    plugin: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("a time zone name such as Asia/Shanghai") from None
        return value


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (if it exists), apply environment overrides, validate; raise ConfigError on problems."""
    environ = os.environ if environ is None else environ
    file_text = ""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if path.exists():
            file_text = path.read_text(encoding="utf-8")
            try:
                data = tomllib.loads(file_text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        elif environ.get("LINLI_SETTINGS"):
            raise ConfigError(f"settings file {path} (from LINLI_SETTINGS) does not exist")
    for keys in SECRET_KEYS:
        if _dig(data, keys) is not None:
            var = ENV_PREFIX + "__".join(k.upper() for k in keys)
            raise ConfigError(
                f"{path}:{_line_of(file_text, keys)}: {'.'.join(keys)} is a secret; "
                f"set it in the environment variable {var} instead of the file"
            )
    origins: dict[tuple[str, ...], str] = {}
    for var, value in environ.items():
        env_keys = _env_keys(var)
        if env_keys is None:
            continue
        _put(data, env_keys, _parse_env_value(value))
        origins[env_keys] = var
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, file_text, origins)) from None


def _env_keys(var: str) -> tuple[str, ...] | None:
    if var in ENV_ALIASES:
        return ENV_ALIASES[var]
    if not var.startswith(ENV_PREFIX) or var == "LINLI_SETTINGS" or var.startswith("LINLI_REQUIRE_"):
        return None
    if var.startswith("LINLI_TEST"):
        return None
    return tuple(part.lower() for part in var[len(ENV_PREFIX) :].split("__"))


def _parse_env_value(value: str) -> Any:
    """Environment values are strings; accept TOML literals so lists and numbers can be given too."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _dig(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _put(data: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    node = data
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value


def _line_of(text: str, keys: tuple[str, ...]) -> int | str:
    """The line where a key is set, so an operator can jump to it; '?' when it cannot be found."""
    section: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]$", line)
        if header:
            section = tuple(part.strip().strip('"') for part in header.group(1).split("."))
            continue
        match = re.match(r'^"?([\w.\-]+)"?\s*=', line)
        if match:
            full = section + tuple(match.group(1).split("."))
            if full == tuple(keys[: len(full)]) and len(full) >= 1:
                return number
    return "?"


def _describe(
    exc: ValidationError, path: Path | str | None, text: str, origins: Mapping[tuple[str, ...], str]
) -> str:
    lines = ["invalid settings:"]
    for error in exc.errors():
        keys = tuple(str(part) for part in error["loc"])
        key = ".".join(keys)
        value = error.get("input")
        if error["type"] == "extra_forbidden":
            expectation = "no such setting (check the spelling)"
        else:
            expectation = error["msg"].removeprefix("Value error, ")
        where = next((var for k, var in origins.items() if keys[: len(k)] == k), None)
        location = f"environment variable {where}" if where else f"{path}:{_line_of(text, keys)}"
        shown = "***" if keys[:2] in SECRET_KEYS else repr(value)
        lines.append(f"  {key} = {shown} ({location}): expected {expectation}")
    return "\n".join(lines)
