"""``linli audit --community X [--format csv|text] [--since YYYY-MM-DD] [--output FILE]``: the audit log for
the operator, oldest first; names are rendered as it is read (a forgotten member under their pseudonym)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from core.audit import BY_OPERATOR, AuditEntry
from core.cli_plugins import _community
from core.config import ConfigError, Settings
from core.identity import User
from core.storage import close_database, open_database

OPERATOR = "the operator (CLI)"
COLUMNS = ("at", "by", "plugin", "action", "about", "details", "reason")


def cell(value: str) -> str:
    """A CSV cell that a spreadsheet shows as typed: text people wrote (a reason, a name) that starts like a
    formula (``=HYPERLINK(…)``) is kept as text (OWASP's CSV injection advice), never run when opened."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def parse_since(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"--since {raw!r} is not a date; write it as YYYY-MM-DD") from None


async def export_audit(settings: Settings, community_name: str, fmt: str, since: str | None,
                       output: str | None) -> str:
    from core.app import Application

    start = parse_since(since)
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        community = await _community(community_name)
        query = AuditEntry.filter(community_id=community.id)
        if start is not None:
            query = query.filter(at__gte=start)
        rows = await query.order_by("id")
        ids = {i for r in rows for i in (r.actor_user_id, r.target_user_id) if i is not None}
        names = dict(await User.filter(id__in=list(ids)).values_list("id", "display_name"))
        buffer = io.StringIO()
        writer = csv.writer(buffer) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(COLUMNS)
        for row in rows:
            by = names.get(row.actor_user_id, f"#{row.actor_user_id}") if row.actor_user_id is not None else (
                OPERATOR if row.actor_kind == BY_OPERATOR else "linli")
            about = " ".join(x for x in (names.get(row.target_user_id, "") if row.target_user_id else "",
                                         row.target) if x)
            details = "; ".join(f"{k}={v}" for k, v in row.details.items())
            values = (row.at.astimezone(UTC).isoformat(timespec="seconds"), by, row.plugin, row.action, about,
                      details, row.reason)
            if writer is not None:
                writer.writerow([cell(v) for v in values])
            else:
                buffer.write("  ".join(v for v in values if v) + "\n")
        text = buffer.getvalue()
        if output:
            Path(output).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")  # Excel reads BOM
            return f"wrote {len(rows)} audit rows to {output}"
        return text.rstrip("\n") or "no audit rows"
    finally:
        await close_database()
