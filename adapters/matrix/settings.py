"""The ``[matrix]`` section of settings.toml: the adapter's own settings model.

The access token, the password and the encryption store's pickle key are secrets: accepted only from
the environment (``LINLI_MATRIX__ACCESS_TOKEN``, ``LINLI_MATRIX__PASSWORD``, ``LINLI_MATRIX__PICKLE_KEY``)
or from a file the settings point to (``access_token_file``, ``password_file``, ``pickle_key_file``),
refused in settings.toml, and never logged.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class MatrixSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The client-server API base URL of the homeserver, e.g. https://matrix.example.org
    homeserver: str = ""
    #: The bot's full Matrix id, e.g. @linli:example.org
    user_id: str = ""
    access_token: SecretStr | None = None
    access_token_file: Path | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    #: The key the encryption store is encrypted with (from LINLI_MATRIX__PICKLE_KEY, or the file named
    #: here); without either, a random one is made once in ``<store_dir>/pickle_key`` (mode 0600).
    pickle_key: SecretStr | None = None
    pickle_key_file: Path | None = None
    device_name: str = Field("linli", description="the name of the bot's device, shown to people in encrypted rooms")
    #: The bot's device id and (after a password login) its access token, and the encryption keys: kept
    #: here, apart from the main database, and needed again after a restart to read encrypted rooms.
    store_dir: Path = Path("data/matrix")
    encryption: bool = Field(True, description="read and answer in encrypted rooms (needs matrix-nio[e2e])")
    #: Who may invite the bot into a room: full user ids (@alice:example.org) or servers (example.org).
    #: Empty: people on the bot's own homeserver.
    allow_invites_from: list[str] = Field(default_factory=list)
    admin_power_level: int = Field(50, description="room power level that makes someone a chat admin")
    sync_timeout: float = Field(30.0, gt=0, le=120, description="seconds a sync long poll waits")
    retry_base: float = Field(1.0, gt=0, description="first back-off delay after a failed sync or send, seconds")
    retry_cap: float = Field(60.0, gt=0, description="longest back-off delay, seconds")
    send_attempts: int = Field(6, ge=1, description="tries per message, and per event the core fails on")
    rate_limit_retries: int = Field(8, ge=0, description="M_LIMIT_EXCEEDED answers honoured per request")
    #: Events per room a sync returns; a longer gap (the bot was away) is fetched in pages of this size.
    timeline_limit: int = Field(100, ge=1, le=1000)

    @field_validator("homeserver")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL, e.g. https://matrix.example.org")
        return value.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _mxid(cls, value: str) -> str:
        if value and (not value.startswith("@") or ":" not in value):
            raise ValueError("a full Matrix user id such as @linli:example.org")
        return value

    @property
    def server_name(self) -> str:
        return self.user_id.partition(":")[2]
