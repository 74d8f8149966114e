"""A quarter of the red and black list on the console, run the way a person runs it (`linli migrate`, then
`linli run` reading a script): residents rate in their private chats (``@room dm``), step by step with a
numbered button or inline; the group sees only the count until the organizer closes the period."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.plugins.ratings.conftest import SECRET
from tests.test_console_tour import ROOT, database  # noqa: F401  (the fixture)

SCRIPT = """\
王书记: /setup 观梅社区
王书记: /评价对象 添加 物业公司
王书记: /config ratings min_ratings 5
张三: /whoami
李四: /whoami
王五: /whoami
赵六: /whoami
孙七: /whoami
路人: /whoami
王经理: /whoami
王书记: /认证居民 @张三 3-2-301
王书记: /认证居民 @李四 3-2-302
王书记: /认证居民 @王五 3-2-303
王书记: /认证居民 @赵六 3-2-304
王书记: /认证居民 @孙七 3-2-305
王书记: /认证居民 @王经理 9-9-909
王书记: /grant @王经理 物业
王书记: /评价对象 关联 物业公司 @王经理
王书记: /开启评价 季度 12-31
张三: /评价 物业公司 5 5 5 5 5
@room dm
张三: /评价
张三: !press 1
张三: 5 4 4 5 4 电梯修得快
李四: /评价 物业公司 4 4 4 4 4
王五: /评价 1 3 4 4 4 5
赵六: /评价 物业公司 4 5 4 4 5
孙七: /评价 物业公司 5 4 5 4 5
张三: /评价 物业公司 5 5 4 5 5 电梯修得快
路人: /评价 物业公司 5 5 5 5 5
王经理: /评价 物业公司 5 5 5 5 5
@room main
路人: /评价进度
路人: /红黑榜
王书记: /结束评价
张三: /评价 物业公司 1 1 1 1 1
"""


def linli(args: list[str], url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": url,
           "LINLI_WEB__ENABLED": "false", "LINLI_ADAPTERS": '["console"]', "LINLI_SECRET_RATINGS": SECRET}
    return subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(ROOT / "settings.toml"), *args],
                          input=stdin, capture_output=True, text=True, env=env, check=False, timeout=120)


def test_a_quarter_on_the_console(database: str) -> None:  # noqa: F811
    migrated = linli(["migrate"], database)
    assert migrated.returncode == 0, migrated.stderr
    if database.startswith("sqlite://"):  # no row number in insertion order (plugins/ratings/storage.py)
        with sqlite3.connect(database[len("sqlite://"):].split("?")[0]) as db:
            [(create,)] = db.execute("SELECT sql FROM sqlite_master WHERE name = 'ratings_rating'").fetchall()
        assert create.rstrip().endswith("WITHOUT ROWID"), create
    result = linli(["run"], database, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert "[main] bot: 请在与我的私聊中评价，这样群里的人看不到您的打分：打开与机器人的私聊，在那里发送 /rate。" in out
    asked = out.index("[dm:张三] bot: (1/2) 您要评价哪一个？请发送编号或名称。")
    assert out[asked + 1:asked + 4] == ["[dm:张三] bot: 1. 物业公司", "[dm:张三] bot: （发送 /cancel 取消）",
                                        "[dm:张三] bot:   [1] 物业公司"]
    assert "[dm:张三] bot: (2/2) 请给每一项打 1 到 5 星，后面可以附一句留言。" in out
    thanks = "bot: 谢谢！您家在2026年第4季度考评中的评价已匿名记录。"
    results = "结果将在评价期结束时（12月31日）公布。"
    assert out.count(f"[dm:张三] {thanks}{results}") == 1
    assert f"[dm:李四] {thanks}{results}" in out and f"[dm:王五] {thanks}{results}" in out
    assert f"[dm:张三] {thanks}它替换了之前的评价。{results}" in out
    assert ("[dm:路人] bot: 只有认证居民可以评价。请申请认证您家的门牌号："
            "/居民 申请 3-2-301（换成您自己的 楼栋-单元-户号）。") in out
    assert "[dm:王经理] bot: 您是 物业公司 的负责人，不能给它打分。" in out
    assert out[out.index("[main] bot: 2026年第4季度考评，截止 12月31日。结束前结果保密；目前：") + 1] == (
        "[main] bot: 物业公司：已有 5 份评价")
    closed = out.index("[main] bot: 📊 红黑榜：2026年第4季度考评已结束。结果：")
    assert out[closed + 1:closed + 4] == [
        "[main] bot: • 物业公司: 4.36 — 🔴 红榜 (5 份评价，认证住户 6 户)",
        "[main] bot:   服务态度 4.2 · 维修及时 4.4 · 环境卫生 4.2 · 安全秩序 4.2 · 收费透明 4.8",
        "[main] bot:   留言：“电梯修得快”"]
    assert out[-1].startswith("[main] bot: 请在与我的私聊中评价"), "after the close, in the group: still private"
    assert "Traceback" not in result.stderr
