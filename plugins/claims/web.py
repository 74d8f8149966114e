"""The claims page of the board (``/c/<slug>/projects/``): what neighbours can still claim, and what got done.

Open projects are the ones ``/projects`` lists in chat (:meth:`ClaimsService.open_projects`: open, deadline
not passed), with places left, the waitlist of a full one, the deadline, points and hours. Done projects are
the completed ones, newest first, with the volunteers whose work was verified: their display names, with
only the badges they chose to show, are the praise the board is for. Nothing else about anyone is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.plugin import N_, UnitOfWork, WebPage, WebScope, board_date
from plugins.claims.models import Claim, ClaimStatus, Project, ProjectStatus
from plugins.claims.service import ClaimsService

OPEN_LIMIT = 50
DONE_LIMIT = 20
CARD = 3


def _hours(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def _facts(scope: WebScope, project: Project) -> dict[str, Any]:
    return {"id": project.id, "title": project.title, "description": project.description,
            "places": project.places, "left": project.places_left, "points": project.points,
            "hours": _hours(project.hours_tenths) if project.hours_tenths else None,
            "deadline": board_date(scope, project.deadline) if project.deadline else None}


async def _done(scope: WebScope) -> list[dict[str, Any]]:
    projects = await Project.filter(community_id=scope.community_id, status=ProjectStatus.COMPLETED).order_by(
        "-ended_at", "-id").limit(DONE_LIMIT)
    verified = await Claim.filter(project_id__in=[p.id for p in projects], status=ClaimStatus.VERIFIED,
                                  corrected_at__isnull=True).order_by(  # a reversed verification: not thanked
        "id").values_list("project_id", "user_id")
    by_project: dict[int, list[int]] = {}
    for project_id, user_id in verified:
        people = by_project.setdefault(int(project_id), [])
        if int(user_id) not in people:
            people.append(int(user_id))
    names = await scope.names({u for people in by_project.values() for u in people})
    return [{**_facts(scope, p), "ended": board_date(scope, p.ended_at) if p.ended_at else None,
             "volunteers": [names.get(u, "?") for u in by_project.get(p.id, [])]} for p in projects]


async def load(scope: WebScope) -> Mapping[str, Any]:
    service = ClaimsService(scope.community_id, scope.settings(), scope.now, UnitOfWork(now=scope.now))
    projects, waiting, total = await service.open_projects(limit=OPEN_LIMIT)
    open_projects = [{**_facts(scope, p), "waiting": waiting.get(p.id, 0)} for p in projects]
    done = await _done(scope)
    done_total = await Project.filter(community_id=scope.community_id, status=ProjectStatus.COMPLETED).count()
    return {"open_projects": open_projects, "open_total": total, "done_projects": done, "done_total": done_total,
            "open_card": open_projects[:CARD]}


def totals(scope: WebScope, values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The front page's figure: projects done (from what ``load`` read, no second query)."""
    return [(N_("projects done"), values["done_total"])]


PROJECTS_PAGE = WebPage(name="projects", title=N_("Projects"), template="claims_projects.html", load=load, order=10,
                        summary_template="claims_summary.html", totals=totals)
