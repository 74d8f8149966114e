"""A member's own data (PIPL): /mydata and /forgetme. (Being written; see the PIPL part of issue 7.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.commands import Command

if TYPE_CHECKING:
    from core.app import Application


def commands(app: Application) -> list[Command]:
    return []


async def core_data(user_id: int) -> dict[str, object] | None:
    return None


async def forget_core(user_id: int, pseudonym: str) -> None:
    return None
