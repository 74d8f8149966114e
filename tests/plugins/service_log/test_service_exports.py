"""Exports of final hours: from chat as a document for organizers, and ``linli export hours`` on the command
line; both open with csv and openpyxl and hold the right totals."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.testing import Harness

ROOT = Path(__file__).resolve().parents[3]


async def _hours(h: Harness) -> None:
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/记录时长 2 敲门探访独居老人 昨天")
    await h.send("张三", "/记录时长 0.1 整理图书角")
    await h.send("李四", "/记录时长 1.5 楼道清理")
    await h.send("李四", "/记录时长 3 巡逻")  # stays pending: not exported
    for number in (1, 2, 3):
        await h.send("王书记", f"/approve {number}")


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_organizers_get_csv_and_xlsx_from_chat(red: Harness) -> None:
    h = red
    await _hours(h)
    assert await h.say("张三", "/导出时长 11-01 11-30 csv") == "抱歉，/exporthours 只有组织者可以使用。"
    (message,) = await h.deliver(h.event("王书记", "/导出时长 11-01 11-30 csv"))
    assert message.private_to is not None and message.text == "2026-11-01 至 2026-11-30 的服务时长：3 条记录。"
    rows = _csv_rows(message.files[0].data)
    assert rows[0][:6] == ["record", "volunteer_number", "name", "team", "day", "hours"]
    assert [(r[1], r[2], r[4], r[5], r[6]) for r in rows[1:-1]] == [
        ("00001", "张三", "2026-11-22", "2.0", "20"), ("00001", "张三", "2026-11-23", "0.1", "1"),
        ("00002", "李四", "2026-11-23", "1.5", "15")]
    assert rows[-1][0] == "total" and rows[-1][5] == "3.6" and rows[-1][6] == "36"
    (message,) = await h.deliver(h.event("王书记", "/导出时长 11-01 11-30 xlsx"))
    assert message.files[0].filename == "hours-2026-11-01-2026-11-30.xlsx"
    sheet = load_workbook(io.BytesIO(message.files[0].data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][5] == "hours" and len(values) == 5
    assert Decimal(str(values[-1][5])) == Decimal("3.6") and values[-1][6] == 36
    assert sum(Decimal(str(v[5])) for v in values[1:-1]) == Decimal("3.6")


async def test_linli_export_hours_writes_csv_and_xlsx(red: Harness, db_url: str, tmp_path: Path) -> None:
    await _hours(red)
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    env = {**os.environ, "LINLI_SETTINGS": str(settings)}
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"out.{fmt}"
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", "export", "hours", "--community", "观梅社区", "--from", "2026-11-01",
             "--to", "2026-11-30", "--format", fmt, "--output", str(target)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"wrote {target}: 3 final records"
    rows = _csv_rows((tmp_path / "out.csv").read_bytes())
    assert rows[-1][5] == "3.6" and len(rows) == 5
    sheet = load_workbook(tmp_path / "out.xlsx").active
    assert Decimal(str(list(sheet.iter_rows(values_only=True))[-1][5])) == Decimal("3.6")
    wrong = subprocess.run([sys.executable, "-m", "core.cli", "export", "hours", "--community", "无此社区",
                            "--from", "2026-11-01", "--to", "2026-11-30"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    assert wrong.returncode == 2 and "无此社区" in wrong.stderr


def test_a_large_export_shows_a_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    from plugins.service_log.cli import _progress
    from plugins.service_log.exports import to_csv

    rows = [(n, "00001", "张三", "", "2026-11-23", Decimal("0.1"), 1, "entered", "敲门", "", 1, "", "")
            for n in range(1, 501)]
    data = to_csv(rows, _progress)
    bar = capsys.readouterr().err
    assert bar.endswith("[" + "#" * 30 + "] 500/500\n") and bar.count("\r") == 100
    assert _csv_rows(data)[-1][5] == "50.0"
