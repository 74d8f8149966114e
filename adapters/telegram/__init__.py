"""Telegram for linli: python-telegram-bot 22 embedded in linli's event loop (``pip install 'linli[telegram]'``).

The entry point ``linli.adapters: telegram`` is :data:`SPEC`; the adapter itself (and python-telegram-bot)
is imported only when a community runs it. The package is small modules with one job each: ``adapter``
(receiving, acknowledging, sending), ``mapping`` (Telegram objects ↔ core events), ``sending`` (captions,
photos, documents), ``buttons`` (inline keyboards, long button data kept in the host's state), ``popups``
(answers to button presses), ``limiter`` (flood control), ``roles`` (group admins), ``menu``
(``setMyCommands``), ``resilience`` (retries and back-off), ``settings`` (the ``[telegram]`` section).
Operator documentation: ``adapters/telegram/README.md``.
"""

from __future__ import annotations

from typing import Any

from adapters.telegram.settings import TelegramSettings
from core.adapter import Adapter, AdapterHost, AdapterSpec
from core.config import ConfigError


def _create(host: AdapterHost, settings: Any, **options: Any) -> Adapter:
    try:
        from adapters.telegram.adapter import TelegramAdapter
    except ImportError as exc:
        raise ConfigError(f"adapters includes 'telegram' but it is not installed ({exc}); "
                          "install it with: pip install 'linli[telegram]'") from None
    return TelegramAdapter(host, settings)


SPEC = AdapterSpec("telegram", _create, TelegramSettings, secrets=("token", "webhook_secret"))
