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

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from core.adapter import AdapterSpec, installed_adapters

ENV_PREFIX = "LINLI_"
#: Short names operators expect, mapped to the canonical nested key path.
ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "LINLI_DATABASE_URL": ("database", "url"),
    "LINLI_TELEGRAM_TOKEN": ("telegram", "token"),
}
#: ``LINLI_SECRET_<PLUGIN>``: a plugin's own secret (the ratings plugin's HMAC key), read by the plugin with
#: :func:`env_secret`; never a setting, and refused as ``secret`` in a ``[plugin.<name>]`` table.
SECRET_PREFIX = "LINLI_SECRET_"


def env_secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret of plugin ``name`` from ``LINLI_SECRET_<NAME>``; None when it is not set (or blank)."""
    value = (os.environ if environ is None else environ).get(SECRET_PREFIX + name.upper(), "").strip()
    return value or None


class ConfigError(Exception):
    """A settings problem an operator can fix; the message says what and where."""


class _Section(BaseModel):
    # inf and nan are no durations or counts anyone means (tick_seconds = inf would never tick)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DatabaseSettings(_Section):
    url: str = "sqlite://data/linli.db"
    cache_entries: int = Field(20_000, ge=100, le=10_000_000,
                               description="people, chats and memberships this process keeps in memory (every "
                                           "command needs three); past it, the least recently used are read again")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres|asyncpg|psycopg)://", value):
            raise ValueError("a database URL starting with sqlite:// or postgres://")
        return value


class BusSettings(_Section):
    max_pending: int = Field(1000, ge=1, le=1_000_000,
                             description="events accepted but not yet handled, before publish waits")
    dedupe_days: int = Field(7, ge=1, description="how long processed platform event ids are remembered")
    max_message_chars: int = Field(4096, ge=64, le=100_000,
                                   description="longer messages are refused unread (core.inputs)")


class DeliverySettings(_Section):
    """How long the bot keeps trying to say something (the outbox, :mod:`core.delivery`)."""

    ttl_seconds: float = Field(21600.0, gt=0, le=30 * 86400, description="give a message up after this long")
    retry_base: float = Field(1.0, gt=0, le=3600, description="first wait after a failed send, seconds")
    retry_cap: float = Field(300.0, gt=0, le=86400, description="longest wait between two tries, seconds")
    drain_seconds: float = Field(10.0, ge=0, le=3600, description="at a graceful stop, how long to keep sending")


class WebSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    #: Where residents reach the board from outside (behind a proxy): what /board links to and puts in its QR.
    public_url: str | None = Field(None, description="the board's public address, e.g. https://linli.example.org")

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value.strip()):
            raise ValueError("an address starting with https:// (or http://), without query or fragment")
        return value.strip().rstrip("/")


class SchedulerSettings(_Section):
    tick_seconds: float = Field(1.0, gt=0, le=3600)
    lease_seconds: int = Field(300, ge=1)


class BackupSettings(_Section):
    """The daily backup (core/backup.py): off unless settings say so (the template switches it on)."""

    enabled: bool = False
    directory: str = Field("data/backups", min_length=1, description="where backups are written and rotated")
    hour: int = Field(3, ge=0, le=23, description="the local hour after which the day's backup is taken")
    keep: int = Field(14, ge=1, le=3650, description="how many dated backups are kept; older ones are deleted")


class PluginSettings(_Section):
    #: Plugins switched on in a community that has not chosen; organizers change it with /enable, /disable.
    enabled_by_default: list[str] = Field(default_factory=lambda: ["*"])
    #: Plugins not loaded at all on this installation.
    blocked: list[str] = Field(default_factory=list)
    #: How often a running process re-reads plugin states changed elsewhere (CLI, other workers).
    refresh_seconds: float = Field(30.0, ge=0.5, le=86400)


def _default_adapters() -> list[str]:
    return ["console"]


class Settings(BaseModel):
    """The core's settings. Tables not named here belong to adapters (``[telegram]``, ``[console]``), each
    validated by its adapter's own model (:func:`load_settings`, :meth:`adapter_section`)."""

    model_config = ConfigDict(extra="allow")

    language: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = "Asia/Shanghai"
    adapters: list[str] = Field(default_factory=_default_adapters, min_length=1)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
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

    #: Where the settings came from (file, its text, the variables that set keys), for :meth:`where`.
    _source: tuple[str, str, dict[tuple[str, ...], str]] = PrivateAttr(default=("settings.toml", "", {}))

    def where(self, *keys: str) -> str:
        """Where a key was set, for an error message: ``settings.toml:12`` or ``environment variable LINLI_…``."""
        path, text, origins = self._source
        variable = next((var for k, var in origins.items() if keys[: len(k)] == k or k[: len(keys)] == keys), None)
        return f"environment variable {variable}" if variable else f"{path}:{_line_of(text, keys)}"

    def adapter_section(self, section: str) -> dict[str, Any]:
        """The table of an adapter's section (validated at load time by the adapter's model)."""
        value = (self.model_extra or {}).get(section, {})
        if isinstance(value, BaseModel):
            return value.model_dump(exclude_unset=True)
        return dict(value) if isinstance(value, Mapping) else {}


def load_settings(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None,
    adapters: Mapping[str, AdapterSpec] | None = None,
) -> Settings:
    """Read ``path`` (if it exists), apply environment overrides, validate; raise ConfigError on problems.

    ``adapters`` (default: the installed ones) own the tables the core does not know; their models
    validate them here, so a typo in ``[telegram]`` stops start-up like one in ``[database]``.
    """
    environ = os.environ if environ is None else environ
    specs = installed_adapters() if adapters is None else adapters
    secret_keys: set[tuple[str, ...]] = {(spec.section, key) for spec in specs.values() for key in spec.secrets}
    file_text = ""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if path.exists():
            file_text = _read_settings_file(path)
            try:
                data = tomllib.loads(file_text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from None
            except RecursionError:
                raise ConfigError(f"{path}: not valid TOML: tables or lists nested too deeply") from None
        elif environ.get("LINLI_SETTINGS"):
            raise ConfigError(f"settings file {path} (from LINLI_SETTINGS) does not exist")
    for keys in sorted(secret_keys):
        if _dig(data, keys) is not None:
            var = ENV_PREFIX + "__".join(k.upper() for k in keys)
            raise ConfigError(
                f"{path}:{_line_of(file_text, keys)}: {'.'.join(keys)} is a secret; "
                f"set it in the environment variable {var} instead of the file"
            )
    for name, table in (data.get("plugin") or {}).items():
        if isinstance(table, dict) and "secret" in table:
            raise ConfigError(
                f"{path}:{_line_of(file_text, ('plugin', name, 'secret'))}: plugin.{name}.secret is a secret; "
                f"set it in the environment variable {SECRET_PREFIX}{name.upper()} instead of the file"
            )
    origins: dict[tuple[str, ...], str] = {}
    for var, value in environ.items():
        env_keys = _env_keys(var)
        if env_keys is None:
            continue
        _put(data, env_keys, _parse_env_value(value))
        origins[env_keys] = var
    for name, table in (data.get("plugin") or {}).items():  # LINLI_PLUGIN__<NAME>__SECRET: no setting either
        if isinstance(table, dict) and "secret" in table:
            raise ConfigError(
                f"environment variable {origins.get(('plugin', name, 'secret'), '?')}: plugin.{name}.secret is a "
                f"secret; set it in the environment variable {SECRET_PREFIX}{name.upper()} instead")
    if data.get("adapters") == []:  # would start, connect nothing and exit 0 without a word
        variable = origins.get(("adapters",))
        where = f"environment variable {variable}" if variable else f"{path}:{_line_of(file_text, ('adapters',))}"
        raise ConfigError(f"invalid settings:\n  adapters = [] ({where}): expected at least one adapter to run "
                          f"(installed: {', '.join(sorted(specs)) or 'none'})")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, file_text, origins, secret_keys)) from None
    settings._source = (str(path), file_text, origins)
    unknown = [name for name in settings.adapters if name not in specs]
    if unknown:
        line = next((var for k, var in origins.items() if k == ("adapters",)), None)
        where = f"environment variable {line}" if line else f"{path}:{_line_of(file_text, ('adapters',))}"
        raise ConfigError(f"invalid settings:\n  adapters = {settings.adapters!r} ({where}): expected adapters "
                          f"that are installed ({', '.join(sorted(specs)) or 'none'}); unknown: {', '.join(unknown)}")
    for section, value in list((settings.model_extra or {}).items()):
        spec = next((s for s in specs.values() if s.section == section), None)
        if spec is None:
            variable = next((var for k, var in origins.items() if k[:1] == (section,)), None)
            where = f"environment variable {variable}" if variable else f"{path}:{_line_of(file_text, (section,))}"
            raise ConfigError(
                f"invalid settings:\n  {section} ({where}): there is no such setting (check the spelling; "
                f"adapters installed: {', '.join(sorted(specs)) or 'none'})")
        if spec.settings_model is not None:
            try:
                validated = spec.settings_model.model_validate(value)
            except ValidationError as exc:
                raise ConfigError(_describe(exc, path, file_text, origins, secret_keys, prefix=(section,))) from None
            # Keep the validated model, not the raw table: its secrets are SecretStr, hidden in repr and logs.
            assert settings.model_extra is not None
            settings.model_extra[section] = validated
    return settings


def _read_settings_file(path: Path) -> str:
    """The file's text, or one line saying why it cannot be read (a folder, no permission, not UTF-8)."""
    if path.is_dir():
        raise ConfigError(f"settings file {path} is a folder, not a file; `linli init {path / 'settings.toml'}` "
                          "writes one there")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 "
                          "(settings.toml is TOML, which is always UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"settings file {path} cannot be read: {exc.strerror or exc}") from None


def adapter_settings(settings: Settings, spec: AdapterSpec) -> Any:
    """An adapter's validated settings: its model over the section's table (defaults when absent)."""
    if spec.settings_model is None:
        return None
    value = (settings.model_extra or {}).get(spec.section)
    if isinstance(value, spec.settings_model):
        return value
    try:
        return spec.settings_model.model_validate(settings.adapter_section(spec.section))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, None, "", {}, set(), prefix=(spec.section,))) from None


def _env_keys(var: str) -> tuple[str, ...] | None:
    if var in ENV_ALIASES:
        return ENV_ALIASES[var]
    if not var.startswith(ENV_PREFIX) or var == "LINLI_SETTINGS" or var.startswith("LINLI_REQUIRE_"):
        return None
    if var.startswith(SECRET_PREFIX):  # a plugin reads its own (env_secret); not a setting
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
            if section == tuple(keys):  # the key is a table: its header is where it is set
                return number
            continue
        match = re.match(r'^"?([\w.\-]+)"?\s*=', line)
        if match:
            full = section + tuple(match.group(1).split("."))
            if full == tuple(keys[: len(full)]) and len(full) >= 1:
                return number
    return "?"


#: pydantic's error types as what an operator should write instead, in plain words.
EXPECTATIONS = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number", "finite_number": "a finite number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "string_type": "text in quotes", "list_type": 'a list, such as ["console"]',
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    "greater_than": "a number greater than {gt}", "greater_than_equal": "a number of at least {ge}",
    "less_than": "a number less than {lt}", "less_than_equal": "a number of at most {le}",
    "too_short": "at least {min_length} entries", "too_long": "at most {max_length} entries",
    "string_too_short": "at least {min_length} characters", "string_too_long": "at most {max_length} characters",
    "literal_error": "one of {expected}",
}


def _expectation(error: Any) -> str:
    """One plain phrase for what was expected: not pydantic's "Input should be …"."""
    template = EXPECTATIONS.get(error["type"])
    if template is not None:
        try:
            return template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    message = str(error["msg"]).removeprefix("Value error, ")
    for prefix in ("Input should be ", "Value should be "):
        message = message.removeprefix(prefix)
    return message


def _shown(value: Any) -> str:
    """The value as written, cut short: an error line is one line."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "…"


def _describe(
    exc: ValidationError, path: Path | str | None, text: str, origins: Mapping[tuple[str, ...], str],
    secret_keys: set[tuple[str, ...]], prefix: tuple[str, ...] = (),
) -> str:
    lines = ["invalid settings:"]
    for error in exc.errors():
        keys = prefix + tuple(str(part) for part in error["loc"])
        key = ".".join(keys)
        value = error.get("input")
        where = next((var for k, var in origins.items() if keys[: len(k)] == k), None)
        location = f"environment variable {where}" if where else f"{path}:{_line_of(text, keys)}"
        if error["type"] == "extra_forbidden":
            # Never the value: a misspelt secret (LINLI_TELEGRAM__TOKEM) holds the secret itself.
            lines.append(f"  {key} ({location}): there is no such setting (check the spelling)")
            continue
        shown = "***" if keys[:2] in secret_keys else _shown(value)
        lines.append(f"  {key} = {shown} ({location}): expected {_expectation(error)}")
    return "\n".join(lines)
