"""The ratings secret: the key of the HMAC that stands in a rating's row instead of who rated.

It is read from the environment variable ``LINLI_SECRET_RATINGS`` only: ``secret`` in
``[plugin.ratings]`` of settings.toml is refused at start-up (by :mod:`core.config`), like the Telegram
token, and it is registered with the core's log redaction the moment it is read. Without it the plugin
refuses to open a period and says why, because ratings stored under no key, or a guessable one, could be
tied back to households by anyone holding the database.

Changing the secret while a period is open makes the households' earlier ratings unfindable (a new
rating then counts besides the old one), so an operator sets it once and keeps it with the backups.
"""

from __future__ import annotations

import hashlib
import hmac

from core.plugin import env_secret, register_secret

PLUGIN = "ratings"
VARIABLE = "LINLI_SECRET_RATINGS"
#: A shorter key is refused: it could be guessed, and then every rating be tied to its household.
MIN_LENGTH = 16
_registered: set[str] = set()


def key() -> bytes | None:
    """The HMAC key, or None when the operator has not set a usable one."""
    value = env_secret(PLUGIN)
    if value is None or len(value) < MIN_LENGTH:
        return None
    if value not in _registered:  # registering rebuilds the redaction pattern: once per value is enough
        register_secret(value, "ratings secret")
        _registered.add(value)
    return value.encode("utf-8")


def slot(secret: bytes, community_id: int, household: str, target_id: int, period_id: int) -> str:
    """The row key of a household's rating of a target in a period: an HMAC, so without ``secret`` it cannot
    be computed from the household (nor the household found from it)."""
    message = f"linli-ratings\x1f{community_id}\x1f{household}\x1f{target_id}\x1f{period_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
