"""The console, run the way a person runs it (`linli migrate`, then `linli run` reading a script): the README's
tour exactly as the README shows it, and a longer tour of the core's own commands."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise

from core.storage import close_database, is_sqlite, tortoise_config

ROOT = Path(__file__).resolve().parents[1]

TOUR = """\
# 王书记 is a console admin (settings.toml), so he may set the room up as a community.
王书记: /setup 观梅社区
张三: /whoami
王书记: /grant @张三 volunteer
王书记: /disable thanks
张三: /thanks @王书记
王书记: /enable thanks
李四: /感谢 @张三 帮忙搬共享单车
张三: /whoami
张三: /points
张三: /top
张三: /help
张三: /enable thanks
张三: /grant @张三 organizer
张三: /top decade
张三: /thnks @王书记
"""


@pytest.fixture
def database(db_url: str) -> Iterator[str]:
    if is_sqlite(db_url):
        yield db_url
        return

    async def create(drop: bool) -> None:
        await Tortoise.init(config=tortoise_config(db_url, {}), _create_db=not drop)
        await close_database(drop=drop)

    import asyncio

    asyncio.run(create(False))
    yield db_url
    asyncio.run(create(True))


def linli(args: list[str], database: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": database,
           "LINLI_WEB__ENABLED": "false", "LINLI_ADAPTERS": '["console"]'}
    return subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(ROOT / "settings.toml"), *args],
                          input=stdin, capture_output=True, text=True, env=env, check=False, timeout=120)


def test_the_console_tour(database: str) -> None:
    migrated = linli(["migrate"], database)
    assert migrated.returncode == 0, migrated.stderr
    result = linli(["run"], database, TOUR)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    help_start = lines.index("[main] bot: 您在这里可以使用的命令：")
    help_lines = [line for line in lines[help_start:] if line.startswith("[main] bot: /")]
    assert any(line.startswith("[main] bot: /whoami (/我是谁)") for line in help_lines)
    assert any(line.startswith("[main] bot: /thanks (/感谢) <@用户> [原因…] — ") for line in help_lines)
    assert not any("/grant" in line or "/enable" in line for line in help_lines), "organizer commands are hidden"
    rest = [line for line in lines if not line.startswith("[main] bot: /") and line != lines[help_start]]
    assert rest == [
        "[main] bot: 观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。",
        "[main] bot: 您是观梅社区的 张三。角色：居民。积分：0。",
        "[main] bot: 张三 现在是志愿者了。",
        "[main] bot: 本社区已停用“感谢”。数据都保留着，发送 /enable thanks 即可恢复。",
        "[main] bot: 本社区未启用“感谢”功能；组织者可以发送 /enable thanks 启用。",
        "[main] bot: 本社区已启用“感谢”。",
        "[main] bot: 李四 感谢 张三！",
        "[main] bot: 您是观梅社区的 张三。角色：居民、志愿者。积分：1。",
        "[main] bot: 张三 有 1 积分。",
        "[main] bot: 积分排行榜（总榜）：",
        "[main] bot: 1. 张三 1",
        "[main] bot: 抱歉，/enable 只有组织者可以使用。",
        "[main] bot: 抱歉，/grant 只有组织者可以使用。",
        "[main] bot: decade 不是可选项之一：本周、本月、本季度、今年、全部",
        "[main] bot: 用法：/top [本周|本月|本季度|今年|全部]",
        "[main] bot: 没有 /thnks 这个命令。您是想用 /thanks 吗？",
    ]
    assert "Traceback" not in result.stderr


def readme_tour(after: str = "## 五分钟上手") -> tuple[str, list[str]]:
    """A tour in the README (the first ```text block after ``after``): what a person types, and what the bot
    answers, line by line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(after, 1)[1]
    match = re.search(r"```text\n(.*?)```", section, re.S)
    assert match is not None, "the README's tour is a ```text block"
    lines = match.group(1).splitlines()
    typed = [line for line in lines if not line.startswith("[main] bot")]
    answered = [line for line in lines if line.startswith("[main] bot")]
    return "\n".join(typed) + "\n", answered


@pytest.mark.parametrize("after", ["## 五分钟上手", "**In English.**"])
def test_the_readme_tour_prints_what_the_readme_shows(database: str, after: str) -> None:
    """Both tours, from a fresh start; the English one grants a role to someone who only chatted."""
    typed, answered = readme_tour(after)
    assert len(answered) > 10 and typed.count("\n") > 5
    migrated = linli(["migrate"], database)
    assert migrated.returncode == 0, migrated.stderr
    result = linli(["run"], database, typed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == answered
    assert "Traceback" not in result.stderr
