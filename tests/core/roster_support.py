"""Helpers for the roster tests: real-looking sheets written with openpyxl or csv, and an import run the
way the chat command and the CLI run it (the same importer, its own transaction)."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence

from openpyxl import Workbook

from core.identity import Community
from core.rosters.importer import Report, import_roster
from core.rosters.registry import roster_kinds, scopes
from core.testing import Harness
from core.unit_of_work import UnitOfWork

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "淑珍", "玉兰", "志强", "海燕", "文"]


def xlsx(rows: Sequence[Sequence[object]], title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def household_sheet(count: int = 2000, seed: int = 17) -> list[list[object]]:
    """A household sheet as a 居委会 keeps one: a 序号 column, numbers typed as numbers, a 备注 column."""
    rng = random.Random(seed)
    flats = [(b, e, floor * 100 + door) for b in range(1, 21) for e in range(1, 5) for floor in range(1, 26)
             for door in (1, 2)]
    rng.shuffle(flats)
    rows: list[list[object]] = [["序号", "姓名", "手机号", "楼栋", "单元", "户号", "备注"]]
    for index, (building, entrance, flat) in enumerate(flats[:count], 1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        rows.append([index, name, 13800000000 + index, f"{building}栋", entrance, flat, ""])
    return rows


async def community_id(h: Harness, name: str = "观梅社区") -> int:
    return int((await Community.get(name=name)).id)


async def run_import(h: Harness, kind: str, data: bytes, filename: str, *, apply: bool,
                     by_user_id: int | None = None, uow: UnitOfWork | None = None) -> Report:
    cid = await community_id(h)
    now = h.clock()
    scope = scopes(h.app, cid, "zh_CN", by_user_id, now, uow or UnitOfWork(now=now))
    return await import_roster(roster_kinds(h.app, cid), kind, data, filename, community_id=cid,
                               by_user_id=by_user_id, scope=scope, apply=apply)
