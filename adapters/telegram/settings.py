"""The ``[telegram]`` section of settings.toml: the adapter's own settings model.

The token and the webhook secret are accepted only from the environment (``LINLI_TELEGRAM__TOKEN``, or
``token_file``), never from the file, so they stay out of a committed settings.toml and out of logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    send_attempts: int = Field(6, ge=1, description="tries of an API call that is not a message (messages: [delivery])")
    admin_cache_seconds: float = Field(600.0, ge=0, description="how long a group's admin list is trusted")
    #: BotFather's group privacy (on unless turned off with /setprivacy): in groups the bot then receives
    #: only commands spelled in Latin letters, so its own hints must say ``/claim 1``, not ``/认领 1``.
    privacy_mode: bool = Field(True, description="whether the bot runs with Telegram's group privacy on")


