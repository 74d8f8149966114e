"""``linli import`` as an operator runs it (a subprocess on a migrated SQLite file): a dry run that says how
to apply, ``--apply`` writing the join codes next to the file, a second apply that changes nothing, and a
sheet that cannot be read ending in one line and exit code 2."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from pathlib import Path

from tortoise import Tortoise

from core.identity import Community
from tests.core.roster_support import csv_bytes, household_sheet
from tests.core.test_first_hour_cli import linli, migrated, one_line_failure


def _community(db: str, cwd: Path) -> None:
    """观梅社区, as /setup in a running linli would have created it: after the installation first ran its
    plugins (so they are on there), through the model (so new columns get their defaults)."""
    assert linli("plugins", "list", cwd=cwd, LINLI_DATABASE_URL=db).returncode == 0

    async def create() -> None:
        await Tortoise.init(db_url=db, modules={"core": ["core.identity"]})
        try:
            await Community.create(name="观梅社区", language="zh_CN")
        finally:
            await Tortoise.close_connections()

    asyncio.run(create())


def test_import_from_the_command_line_dry_run_apply_and_again(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    _community(db, tmp_path)
    sheet = tmp_path / "住户.csv"
    sheet.write_bytes(csv_bytes(household_sheet(300), "gbk"))
    dry = linli("import", "households", str(sheet), "--community", "观梅社区", cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "住户名单试运行（尚未做任何更改）：",
        "300 行：新增 300，更新 0，未变 0，移除 0，无法导入 0。",
        "（按 GBK 编码读取，Excel 在中国保存 CSV 时用的就是它）",
        "已忽略的列（这种名单用不到）：序号、备注",
        "有 300 人还没有和机器人说过话：确认导入后，每人会得到一个加入码。",
        "尚未做任何更改。要执行这些更改，请加上 --apply 再运行同一命令。"]
    assert not (tmp_path / "住户.csv.codes.csv").exists()

    applied = linli("import", "households", str(sheet), "--community", "观梅社区", "--apply", cwd=tmp_path,
                    LINLI_DATABASE_URL=db)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[:2] == ["已导入住户名单：",
                                               "300 行：新增 300，更新 0，未变 0，移除 0，无法导入 0。"]
    codes = tmp_path / "住户.csv.codes.csv"
    assert f"加入码已写入 {codes}" in applied.stdout
    rows = list(csv.reader(codes.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["行号", "姓名", "详情", "加入码", "发送"] and len(rows) == 301
    assert "Traceback" not in applied.stderr

    again = linli("import", "households", str(sheet), "--community", "观梅社区", "--apply", "--language", "en",
                  cwd=tmp_path, LINLI_DATABASE_URL=db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1] == "300 rows: 0 new, 0 updated, 300 unchanged, 0 removed, 0 not taken."
    with sqlite3.connect(db.removeprefix("sqlite://")) as connection:
        assert connection.execute("SELECT count(*) FROM linli_roster_entry").fetchone() == (300,)


def test_a_sheet_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    db = migrated(tmp_path)
    _community(db, tmp_path)
    sheet = tmp_path / "v.csv"
    sheet.write_text("名字,楼栋\n张三,3\n", encoding="utf-8")
    assert one_line_failure(linli("import", "households", str(sheet), "--community", "观梅社区", cwd=tmp_path,
                                  LINLI_DATABASE_URL=db)) == (
        "linli: 表格没有“户号”列，这一列是必需的（在第 1 行找到了表头）。")
    assert one_line_failure(linli("import", "households", str(sheet), "--community", "别的社区", cwd=tmp_path,
                                  LINLI_DATABASE_URL=db)) == "linli: no community called '别的社区' (known: 观梅社区)"
    assert one_line_failure(linli("import", "rockets", str(sheet), "--community", "观梅社区", "--language", "en",
                                  cwd=tmp_path, LINLI_DATABASE_URL=db)) == (
        "linli: There is no roster kind rockets here; these can be imported: households, volunteers, party, teams.")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    assert one_line_failure(linli("import", "households", str(old), "--community", "观梅社区", cwd=tmp_path,
                                  LINLI_DATABASE_URL=db)) == (
        "linli: old.xls 是旧版 Excel 文件（.xls）；请另存为 .xlsx 或 CSV 再发送。")
