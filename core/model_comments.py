"""Tortoise's ``#:`` field comments, found without parsing a model's module once per class.

Why: Tortoise turns the ``#:`` comment above a model field into the field's description (the column's
comment, which the migration files record). It finds the comment in ``inspect.getsource(cls)``, which
parses the whole module again for each class: the core's and the plugins' 43 models cost ≈ 100 ms of
every start, a fifth of it. The comments found are the same (a test compares them with Tortoise's own for
every model); a class this cannot place (its name is in the file twice) is left to Tortoise.
"""

from __future__ import annotations

import inspect
import linecache
import os
import re
from functools import lru_cache
from typing import Any

from tortoise import models

_COMMENTS = re.compile(r"((?:(?!\n|^)[^\w\n]*#:.*?\n)+?)[^\w\n]*(\w+)\s*[:=]")
_MARKS = re.compile(r"(^\s*#:\s*|\s*$)", flags=re.MULTILINE)
_CLASS = re.compile(r"\s*class\s+(\w+)\b")
_tortoise_own = models._get_comments


def field_comments(cls: type[Any]) -> dict[str, str]:
    """``{field name: comment}`` as :func:`tortoise.models._get_comments` gives them."""
    source = _class_source(cls)
    if source is None:
        return dict(_tortoise_own(cls))
    return {name: _MARKS.sub("", comment).replace("{model}", cls.__name__)
            for comment, name in _COMMENTS.findall(source)}


def install() -> None:
    """Make Tortoise use :func:`field_comments` for every model class defined from now on."""
    models._get_comments = field_comments  # type: ignore[assignment]


def _class_source(cls: type[Any]) -> str | None:
    """The block of the one ``class <name>`` statement of that name in the class's file (what
    ``inspect.getsource`` gives, found without parsing the module); None when the name is not there once."""
    try:
        filename = inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None
    if filename is None:
        return None
    try:
        changed = os.stat(filename).st_mtime_ns
    except OSError:
        return None
    linecache.checkcache(filename)
    lines = linecache.getlines(filename)
    starts = _class_lines(filename, changed).get(cls.__name__, [])
    if len(starts) != 1:
        return None
    return "".join(inspect.getblock(lines[starts[0]:]))  # the block as inspect.getsource ends it


@lru_cache(maxsize=64)
def _class_lines(filename: str, _changed: int) -> dict[str, list[int]]:
    """Where each ``class <name>`` statement of the file starts (line indexes), by name."""
    found: dict[str, list[int]] = {}
    for number, line in enumerate(linecache.getlines(filename)):
        match = _CLASS.match(line)
        if match:
            found.setdefault(match[1], []).append(number)
    return found
