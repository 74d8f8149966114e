"""The one way to say no: raise :class:`Refusal` anywhere in a handler, a service or an argument type.

The router catches it, rolls back what the handler had changed (the event stays marked processed, so a
redelivery does not try again), translates the message in the plugin's domain and answers the person:
with the usage line when it is about the command's arguments, as a pop-up when a button was pressed.
Values are rendered as people read them: a :class:`Person` becomes their decorated name, a ``datetime``
a local date, a :class:`Plural` the right plural form, a :class:`Hint` a command spelled so that it reaches
the bot where the answer is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Refusal(Exception):
    """``Refusal(N_("{value} is not a date"), value=raw)``: a translatable msgid and its values.

    ``usage=True`` adds the command's usage line (the router does so for every argument error).
    """

    def __init__(self, message: str, /, *, usage: bool = False, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values
        self.usage = usage

    def __repr__(self) -> str:
        return f"Refusal({self.message!r}, {self.values!r})"


@dataclass(frozen=True)
class Person:
    """A person named in a message by user id; rendered through the one name function (badges included)."""

    user_id: int


@dataclass(frozen=True)
class Plural:
    """A count with its singular and plural msgids, rendered with the reader's plural rules."""

    singular: str
    plural: str
    count: int


@dataclass(frozen=True)
class Hint:
    """A command the bot suggests (``Hint("claim", 3)``): ``/认领 3``, or ``/claim 3`` where only Latin
    commands reach the bot. Lets code without a scope (a plugin's service) suggest commands."""

    command: str
    args: tuple[object, ...] = ()

    def __init__(self, command: str, *args: object) -> None:
        object.__setattr__(self, "command", command)
        object.__setattr__(self, "args", args)
