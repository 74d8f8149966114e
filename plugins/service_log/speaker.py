"""How service_log talks: one record in one line, hours with their tenth, dates as people read them."""

from __future__ import annotations

from core.plugin import N_, Scope
from plugins.service_log.hours import shown
from plugins.service_log.models import Record, RecordStatus
from plugins.service_log.records import Records
from plugins.service_log.settings import ServiceLogSettings

STATUS = {
    RecordStatus.PENDING: N_("waiting for review"),
    RecordStatus.PUBLIC: N_("published"),
    RecordStatus.FINAL: N_("final"),
    RecordStatus.DENIED: N_("not approved"),
}
PLUGIN = "service_log"


def records_for(scope: Scope) -> Records:
    return Records(scope.community_id, scope.settings(ServiceLogSettings), scope.now(), scope.timezone, scope.uow)


def describe(scope: Scope, record: Record) -> str:
    """``#3 12-01 2.0 小时 敲门探访（已公示）``."""
    what = record.activity_title or record.what
    return scope.t("#{id} {day} {hours} h {what} ({status})", id=record.id, day=record.day.isoformat(),
                   hours=shown(record.hours), what=what, status=scope.t(STATUS[record.status]))
