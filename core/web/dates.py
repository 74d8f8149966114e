"""Dates on the board, in the reader's language and the community's calendar: ``2026年12月31日`` or
``Dec 31, 2026``, with Babel's locale data rather than a format string per language."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from core.web.pages import WebScope


def board_date(scope: WebScope, moment: datetime | date) -> str:
    """The day of ``moment`` where the community lives (an aware datetime is moved to its time zone first)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(scope.now.tzinfo).date()
    return format_date(moment, format="medium", locale=scope.language)
