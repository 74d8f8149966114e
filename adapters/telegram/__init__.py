"""Telegram for linli: python-telegram-bot 22 embedded in linli's event loop (``pip install 'linli[telegram]'``).

``core.runner`` imports :class:`TelegramAdapter` from here. The package is small modules with one job
each: ``adapter`` (receiving, acknowledging, sending), ``mapping`` (Telegram objects ↔ core events),
``limiter`` (flood control), ``roles`` (group admins), ``menu`` (``setMyCommands``), ``resilience``
(retries and back-off). Operator documentation: ``adapters/telegram/README.md``.
"""

from adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
