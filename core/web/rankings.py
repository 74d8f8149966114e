"""The board's volunteer rankings (``/c/<slug>/rankings/?period=week|month|year``): the points ledger's
leaderboard, the same one ``/top`` shows in chat, with names as linli shows them everywhere.

Names come from :meth:`WebScope.names`, so a badge appears only where its holder chose to show it (🚩 for a
party member who did, nothing for one who keeps it hidden). The ranking itself is
:func:`core.points.leaderboard`: one query, not a second one written for the web.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import N_
from core.points import leaderboard, period_start
from core.web.pages import WebPage, WebScope

PERIODS = ("week", "month", "year")
DEFAULT_PERIOD = "month"
PERIOD_TITLES = {"week": N_("This week"), "month": N_("This month"), "year": N_("This year")}
#: How many people a ranking lists; the front page's card shows the first few of them.
LIMIT = 20
CARD = 3


def _zone(scope: WebScope) -> str:
    """The community's time zone by name, as the ledger's calendar wants it (``scope.now`` carries it)."""
    return str(getattr(scope.now.tzinfo, "key", None) or "UTC")


async def load(scope: WebScope) -> Mapping[str, Any]:
    wanted = scope.query.get("period", DEFAULT_PERIOD)
    period = wanted if wanted in PERIODS else DEFAULT_PERIOD
    since = period_start(period, scope.now, _zone(scope))
    rows = await leaderboard(scope.community_id, since, limit=LIMIT, period=period)
    names = await scope.names([user_id for user_id, _ in rows])
    ranking = [{"rank": rank, "name": names.get(user_id, "?"), "points": points}
               for rank, (user_id, points) in enumerate(rows, start=1)]
    tabs = [{"period": p, "title": scope._(PERIOD_TITLES[p]), "url": scope.page_url("rankings", period=p),
             "current": p == period} for p in PERIODS]
    return {"period": period, "period_title": scope._(PERIOD_TITLES[period]), "ranking": ranking,
            "leaders": ranking[:CARD], "tabs": tabs}


RANKINGS_PAGE = WebPage(name="rankings", title=N_("Volunteer rankings"), template="rankings.html", load=load,
                        order=20, summary_template="rankings_summary.html")
