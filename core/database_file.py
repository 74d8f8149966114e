"""The SQLite file a settings.toml names, checked before the driver opens it.

The driver's own failure on a folder, a file that is something else or a path where no file can be made
leaves its worker thread behind, which prints a traceback after the clean message; and merely asking an
absent file whether it is migrated creates it, empty. So the CLI and the runner look first.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from core.config import ConfigError
from core.storage import is_sqlite

SQLITE_HEADER = b"SQLite format 3\x00"


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:// URL names (None: not SQLite, or in memory)."""
    if not is_sqlite(url):
        return None
    parts = urlsplit(url)
    path = (parts.netloc + parts.path) if parts.netloc else parts.path
    return None if not path or path == ":memory:" else Path(path).expanduser()


def check_sqlite_file(url: str) -> None:
    """Refuse, in one line, a SQLite path that cannot be a database, before the driver tries: a folder, a
    file that is something else, a place where no file can be made. (The driver's own failure leaves its
    thread behind, which then prints a traceback after the clean message.)"""
    path = sqlite_file(url)
    if path is None:
        return
    hint = "check [database] url (or LINLI_DATABASE_URL)"
    if path.is_dir():
        raise ConfigError(f"the SQLite database {path} is a folder, not a file; {hint}")
    if path.exists():
        try:
            with path.open("rb") as file:
                header = file.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise ConfigError(f"the SQLite database {path} cannot be read ({exc.strerror}); {hint}") from None
        if header and header != SQLITE_HEADER:
            raise ConfigError(f"{path} is not a SQLite database; {hint}")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"the SQLite database {path} cannot be created ({ancestor} is not a folder I may write "
                          f"to); {hint}")
