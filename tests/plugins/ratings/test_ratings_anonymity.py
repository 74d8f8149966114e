"""Nothing in the database, the logs or the job rows ties a rating to a person or a household without the
secret; with it, a household's rating is found (that is how a later rating replaces the earlier one).

The rating row is keyed by HMAC(secret, community, household, target, period) and holds the stars and the
comment only. The test lives a quarter (inline and step-by-step ratings, a household of two, the reminder
to those who have not rated) and then reads every row of every table of every app, and every log record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.exceptions import OperationalError

from core.storage import is_sqlite
from core.testing import Harness
from plugins.ratings import secret, storage
from plugins.ratings.models import Period, Rating, Target
from tests.plugins.ratings.conftest import SECRET, rate, residents

COMMENTS = ("电梯修得快", "垃圾清运准时", "保安很负责")
HOUSEHOLDS = ("1-1-101", "1-1-102", "1-1-103")
DATABASE_LOGGERS = ("tortoise", "aiosqlite", "asyncpg")


async def every_row() -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            tables[model._meta.db_table] = await model.all().order_by(model._meta.pk_attr).values()
    return tables


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


async def test_no_table_log_or_job_links_a_rating_to_anyone_without_the_key(
        hood: Harness, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    h = hood
    sqlite = is_sqlite(db_url)
    if sqlite:  # as `linli migrate` builds it (the harness creates tables without migrations)
        assert await storage.without_rowid(Tortoise.get_connection("default"))
    people = await residents(h, 5)
    await h.send("家人", "/whoami")
    await h.send("王书记", "/认证居民 @家人 1-1-101")
    await h.send("王书记", "/开启评价 季度 12-31")
    await rate(h, people[0], f"/评价 物业公司 5 5 4 5 4 {COMMENTS[0]}")
    await rate(h, "家人", f"/评价 物业公司 5 4 4 5 4 {COMMENTS[1]}")  # replaces 1-1-101's rating
    await h.send(people[1], "/评价", direct=True)  # step by step
    await h.send(people[1], "物业公司", direct=True)
    await rate(h, people[1], f"3 3 3 3 3 {COMMENTS[2]}")
    await rate(h, people[3], "/评价 物业公司 4 4 4 4 4")
    await rate(h, people[4], "/评价 物业公司 2 2 2 2 2")
    # 居民3 has not rated: the reminder, three days before the close, goes to them alone.
    before = await every_row()
    sent = len(h.adapter.sent)
    await h.run_jobs(after=timedelta(days=36))
    reminders = h.adapter.sent[sent:]
    assert [(m.private_to.display_name if m.private_to else None) for m in reminders] == ["居民3"]
    assert reminders[0].private_only and reminders[0].sensitive, "never in the group, not even as a prompt"
    assert reminders[0].text.startswith("⏰ 2026年第4季度考评将于 12月31日 结束。您家还没有评价 物业公司")
    after = await every_row()
    changed = {table for table in after if after[table] != before.get(table)}
    assert changed <= {"ratings_period", "linli_scheduled_job"}, changed
    [period_before], [period_after] = before["ratings_period"], after["ratings_period"]
    assert {k for k in period_after if period_after[k] != period_before[k]} == {"reminded"}, \
        "the reminder leaves one mark: that it went out, not to whom"
    assert await h.run_jobs(after=timedelta(hours=1)) >= 1, "the tick ran again (with the other jobs)"
    assert len(h.adapter.sent) == sent + 1, "and reminded nobody: at most once per period"

    rows = after["ratings_rating"]
    assert len(rows) == 4
    # Nor does the way the rows lie on disk tell the order in which the households rated.
    connection = Tortoise.get_connection("default")
    if sqlite:
        with pytest.raises(OperationalError):  # no hidden row number in insertion order
            await connection.execute_query_dict("SELECT rowid FROM ratings_rating")
        natural = await connection.execute_query_dict("SELECT slot FROM ratings_rating")
    else:  # the tick wrote them again in one transaction, in key order
        natural = await connection.execute_query_dict(
            "SELECT slot, xmin::text AS x FROM ratings_rating ORDER BY ctid")
        assert len({row["x"] for row in natural}) == 1, natural
    assert [row["slot"] for row in natural] == sorted(row["slot"] for row in rows)
    assert {frozenset(row) for row in rows} == {frozenset({"slot", "period_id", "target_id", "scores", "comment"})}
    for table in ("ratings_period", "ratings_target", "ratings_result", "ratings_external_score"):
        for row in after[table]:
            assert not {c for c in row if "user" in c or "household" in c or "member" in c} - {"households"}, row
    # No other table mentions a rating: its key, its comment or its stars as typed.
    slots = {row["slot"] for row in rows}
    for table, table_rows in after.items():
        if table == "ratings_rating":
            continue
        for row in table_rows:
            for column, value in row.items():
                text = text_of(value)
                leaks = [s for s in (*slots, *COMMENTS, "5 5 4 5 4", "3 3 3 3 3") if s in text]
                assert not leaks, f"{table}.{column} holds {leaks}: {text!r}"
    assert after["linli_pending_dialog"] == [], "the step-by-step dialog is gone once the rating is in"
    for job in after["linli_scheduled_job"]:
        if job["spec"].startswith("ratings."):
            assert job["payload"] == {}, job
    # The logs carry neither the keys nor what was rated.
    # (Except the database drivers' own DEBUG output, which prints every SQL parameter of every query, names
    # and accounts included; docs/privacy.md says to keep it off in production.)
    # A canary proves the scan reads what the application's loggers write (and that the secret, registered
    # at start-up, is redacted there); without it an empty capture would pass.
    logging.getLogger("plugins.ratings").warning("canary: the key is %s", SECRET)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records
                       if not r.name.startswith(DATABASE_LOGGERS))
    assert "canary: the key is <ratings secret>" in logged, logged[-500:]
    for trace in (*slots, *COMMENTS, "5 5 4 5 4", "3 3 3 3 3", SECRET):
        assert trace not in logged, trace

    # With the key, a household's rating is found; without it, or with unkeyed hashes, nothing is.
    period = await Period.get()
    target = await Target.get()
    community_id = period.community_id
    mine = await Rating.get(slot=secret.slot(SECRET.encode(), community_id, "1-1-101", target.id, period.id))
    assert (mine.scores, mine.comment) == ([5, 4, 4, 5, 4], COMMENTS[1])
    message = f"linli-ratings\x1f{community_id}\x1f{{h}}\x1f{target.id}\x1f{period.id}"
    for household in HOUSEHOLDS:
        guesses = {
            secret.slot(b"wrong-key-wrong-key", community_id, household, target.id, period.id),
            hashlib.sha256(message.format(h=household).encode()).hexdigest(),
            hashlib.sha256(household.encode()).hexdigest(),
            hmac.new(b"", message.format(h=household).encode(), hashlib.sha256).hexdigest(),
        }
        assert not guesses & slots, household
    # Results published at the close show comments without names, in no particular order.
    await rate(h, people[2], "/评价 物业公司 5 5 5 5 5")  # reminded, 居民3 rates: five households
    await h.run_jobs(after=timedelta(days=5))
    published = h.said()[-1]
    assert "5 份评价，认证住户 5 户" in published and "居民" not in published.split("\n", 1)[1]
    assert all(comment in published for comment in COMMENTS[1:]), published
