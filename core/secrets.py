"""One registry of secret values, and a logging filter that takes them out of every log record.

Whoever holds a secret registers it as soon as it is read: the Telegram adapter its bot token and
webhook secret, :mod:`core.storage` the database password, a plugin its own keys (through
:func:`core.plugin.register_secret`). From then on no log line shows it, whichever library writes the
line and at whichever level: python-telegram-bot logs the ``setWebhook`` parameters (``secret_token``
included) at DEBUG, httpx puts the bot token in every request URL it logs, Tortoise logs the
connection parameters (the password included) when it opens a pool, and tracebacks repeat all of that.

Why a record factory and not only a filter on a logger: a logger's filters see only the records logged
on that very logger, never those propagated from its children, and a filter on a handler misses the
handlers added later (pytest's ``caplog``, an operator's own). :func:`install` wraps the
:class:`logging.LogRecord` factory instead, so every record is redacted where it is made, before any
handler sees it; :class:`SecretsFilter` does the same job for a handler of your own (``linli`` puts one
on its console handler, too, for records built by hand with :func:`logging.makeLogRecord`).
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

#: Shorter values are not secrets worth the name (and redacting "pw" everywhere would wreck every log).
MIN_SECRET_CHARS = 6

_lock = threading.Lock()
_labels: dict[str, str] = {}
#: The compiled alternation of every registered value (longest first) with each value's marker: replaced
#: as a whole under the lock, read without it (reading one global is atomic), so logging from threads and
#: tasks never sees half a registration.
_snapshot: tuple[re.Pattern[str], dict[str, str]] | None = None
_installed = False
_factory_lock = threading.Lock()


def register_secret(value: str, label: str = "") -> None:
    """Never show ``value`` in a log again: it appears as ``<label>`` (``<secret>`` without one).

    Empty and very short values (under :data:`MIN_SECRET_CHARS`, after stripping blanks) are ignored.
    The URL-encoded spellings of the value are registered too, as it may appear in a logged URL.
    Registering the same value again only updates its label. Installs the log redaction on first use.
    """
    value = value.strip() if isinstance(value, str) else ""
    if len(value) < MIN_SECRET_CHARS:
        return
    marker = f"<{label.strip() or 'secret'}>"
    global _snapshot
    with _lock:
        for spelling in {value, quote(value, safe=""), quote(value), quote_plus(value)}:
            _labels[spelling] = marker
        ordered = sorted(_labels, key=len, reverse=True)
        _snapshot = (re.compile("|".join(re.escape(v) for v in ordered)), dict(_labels))
    install()


def register_url_password(url: str, label: str = "database password") -> None:
    """Register the password in a URL such as ``postgres://user:password@host/db`` (as typed, percent-encoded,
    and as the server gets it, decoded)."""
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL we can read; the database layer will say so
        return
    if password:
        register_secret(password, label)
        register_secret(unquote(password), label)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by its marker."""
    snapshot = _snapshot
    if snapshot is None or not text:
        return text
    pattern, markers = snapshot
    return pattern.sub(lambda match: markers[match.group(0)], text)


def contains_secret(text: str) -> bool:
    snapshot = _snapshot
    return snapshot is not None and bool(text) and snapshot[0].search(text) is not None


def redact_record(record: logging.LogRecord) -> None:
    """Take the secrets out of ``record`` in place: its message (with its arguments), the traceback and
    the stack. Records without a secret are left exactly as they were (lazy formatting, ``args``)."""
    if _snapshot is None:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is logging's to report (it will, when it formats it)
        message = None
    if message is not None and contains_secret(message):
        record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = record.exc_text or "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if contains_secret(text):
            # The formatter appends exc_text and re-formats exc_info only when exc_text is empty; dropping
            # exc_info keeps any handler from formatting the raw exception (and its secrets) again.
            record.exc_text, record.exc_info = redact(text), None
    elif record.exc_text and contains_secret(record.exc_text):
        record.exc_text = redact(record.exc_text)
    if record.stack_info and contains_secret(record.stack_info):
        record.stack_info = redact(record.stack_info)


class SecretsFilter(logging.Filter):
    """Redacts every registered secret from each record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install() -> None:
    """Redact every log record as it is made, whatever logger makes it (idempotent)."""
    global _installed
    with _factory_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def protect_handlers(logger: logging.Logger | None = None) -> None:
    """Put a :class:`SecretsFilter` on each handler of ``logger`` (default: the root logger) that has none."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, SecretsFilter) for f in handler.filters):
            handler.addFilter(SecretsFilter())


__all__ = ["MIN_SECRET_CHARS", "SecretsFilter", "contains_secret", "install", "protect_handlers", "redact",
           "redact_record", "register_secret", "register_url_password"]
