"""The whole flow, as people type it: a console script (in process, and through `linli run` after
`linli migrate`), and the same story in English with a photo."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import Tortoise

from adapters.console import ConsoleAdapter
from core.events import Attachment, IdentityRef
from core.storage import close_database, is_sqlite, tortoise_config
from core.testing import Harness

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """\
王书记: /setup 观梅社区
王书记: /发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走
张三: /项目
张三: /认领 1
# 李四 presses the claim button under the list
李四: !press 2
王五: /认领 1
赵六: /认领 1
张三: /取消认领 1
王五: /完成 1 单车都挪到停车线里了
# 王书记 presses the verify button, then tries again by typing
王书记: !press 5
王书记: /验收 1 @王五
王五: /积分
王五: /排行
王五: /我的认领
赵六: /项目 1
"""

TRANSCRIPT = """\
[main] bot: 观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。
[main] bot: 📢 新项目 #1「整治共享单车」
[main] bot: 把门口的单车挪走
[main] bot: 剩余名额 2/2 · 截止 12月31日 · 10 积分
[main] bot: 发送 /认领 1 或点下面的按钮参加。
[main] bot:   [1] 认领 #1
[main] bot: 可认领的项目：
[main] bot: #1「整治共享单车」 剩余名额 2/2 · 截止 12月31日 · 10 积分
[main] bot:   [2] 认领 #1
[main] bot: ✅ 张三 认领了 #1「整治共享单车」（剩余名额 1/2）。完成后发送 /完成 1，欢迎附上照片。
[main] bot: ✅ 李四 认领了 #1「整治共享单车」（剩余名额 0/2）。完成后发送 /完成 1，欢迎附上照片。
[main] bot: 📣 #1「整治共享单车」名额已满，感谢 张三、李四！还想参加的可以发送 /认领 1 排候补。
[main] bot: #1「整治共享单车」名额已满，你是候补第 1 位，有名额空出会通知你。
[main] bot:   [3] 退出候补
[main] bot: #1「整治共享单车」名额已满，你是候补第 2 位，有名额空出会通知你。
[main] bot:   [4] 退出候补
[main] bot: 张三 退还了 #1「整治共享单车」的名额。
[main] bot: 王五 由候补转为认领。
[main] bot → 王五: 🎉 王五：#1「整治共享单车」空出了名额，你已由候补转为认领。完成后发送 /完成 1。
[main] bot: 📝 王五 报告完成了 #1「整治共享单车」。
[main] bot: 单车都挪到停车线里了
[main] bot: 请组织者验收：/验收 1 @王五
[main] bot:   [5] 验收 王五
[main] bot: ✅ 验收通过：王五 完成了 #1「整治共享单车」，获得 10 积分。
[main] bot: 王五 的 #1「整治共享单车」已经验收过了。
[main] bot: 王五 有 10 积分。
[main] bot: 积分排行榜（总榜）：
[main] bot: 1. 王五 10
[main] bot: 我的认领：
[main] bot: ✅ #1「整治共享单车」 — 已验收
[main] bot: #1「整治共享单车」（开放认领）
[main] bot: 把门口的单车挪走
[main] bot: 已满，1 人候补 · 截止 12月31日 · 10 积分
[main] bot: 认领者：
[main] bot: ⏳ 李四 — 进行中
[main] bot: ✅ 王五 — 已验收
[main] bot: 你是候补第 1 位。
"""


async def test_the_whole_flow_as_a_console_script(harness: Harness) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(harness.app.adapter_services, stdin=io.StringIO(), stdout=out)
    harness.app.adapters["console"] = console
    for line in SCRIPT.splitlines():
        await console.feed(line)
    assert out.getvalue() == TRANSCRIPT


async def test_the_flow_in_english_with_a_photo_and_completion(hood: Harness) -> None:
    h = hood
    assert await h.say("王书记", "/language en") == "From now on I speak English in this community."
    created = await h.say("王书记", "/project new Bikes 1 +7 5pts Move them off the gate")
    assert created.startswith("📢 New project #1 “Bikes”\nMove them off the gate\n1 of 1 place left · until ")
    assert created.endswith(" · 5 points\nSend /claim 1 or press the button to take part.")
    claimed = await h.send("张三", "/claim 1")
    assert claimed[0] == ("✅ 张三 claimed #1 “Bikes” (0 of 1 place left). When it is done, send /done 1 "
                          "(a photo is welcome).")
    assert claimed[1] == ("📣 #1 “Bikes” is fully claimed, thanks to 张三! Want to help too? /claim 1 "
                          "puts you on the waitlist.")
    assert await h.say("李四", "/claim 1") == ("#1 “Bikes” is full, you are #1 on the waitlist. You will be "
                                              "told when a place frees up.")
    photo = h.event("张三", "/done 1 all moved", attachments=[Attachment("photo", "tg-file-1")])
    [report] = await h.deliver(photo)
    assert report.text == ("📝 张三 reports #1 “Bikes” done. 📷1\nall moved\n"
                           "An organizer can verify it: /verify 1 @张三")
    assert re.fullmatch(r"/verify 1 uid:\d+", report.buttons[0][0].data)
    verified = await h.press("王书记", "Verify 张三")
    assert verified == [
        "✅ Verified: 张三 completed #1 “Bikes” and earns 5 points.",
        "🎉 #1 “Bikes” is completed! Thank you, 张三!",
    ]
    assert await h.say("张三", "/points") == "张三 has 5 points."
    assert await h.say("李四", "/mine") == "You have no claims yet. Send /projects to see what needs doing."
    assert await h.say("李四", "/claim 1") == "Project #1 is already completed."
    assert (await h.say("张三", "/projects")).startswith("No open projects right now.")


CLI_SCRIPT = """\
王书记: /setup 观梅社区
王书记: /发布项目 整治共享单车 1 无 10分
张三: /认领 1
李四: /认领 1
张三: /取消认领 1
李四: /完成 1 挪好了
王书记: /验收 1 @李四
李四: /积分
"""


@pytest.fixture
async def migrated_url(db_url: str) -> AsyncIterator[str]:
    """An empty database (PostgreSQL: created here, dropped after) for `linli migrate` to fill."""
    if is_sqlite(db_url):
        yield db_url
        return
    await Tortoise.init(config=tortoise_config(db_url, {}), _create_db=True)
    await close_database()
    yield db_url
    await Tortoise.init(config=tortoise_config(db_url, {}))
    await close_database(drop=True)


def linli(args: list[str], url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_DATABASE_URL": url,
           "LINLI_WEB__ENABLED": "false", "LINLI_ADAPTERS": '["console"]'}
    return subprocess.run([sys.executable, "-m", "core.cli", "--settings", str(ROOT / "settings.toml"), *args],
                          input=stdin, capture_output=True, text=True, env=env, check=False, timeout=120)


async def test_the_flow_through_linli_migrate_and_linli_run(migrated_url: str) -> None:
    migrated = linli(["migrate"], migrated_url)
    assert migrated.returncode == 0, migrated.stderr
    result = linli(["run"], migrated_url, CLI_SCRIPT)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if not line.startswith("[main] bot:   [")]
    assert said[1:] == [
        "[main] bot: 📢 新项目 #1「整治共享单车」",
        "[main] bot: 剩余名额 1/1 · 10 积分",
        "[main] bot: 发送 /认领 1 或点下面的按钮参加。",
        "[main] bot: ✅ 张三 认领了 #1「整治共享单车」（剩余名额 0/1）。完成后发送 /完成 1，欢迎附上照片。",
        "[main] bot: 📣 #1「整治共享单车」名额已满，感谢 张三！还想参加的可以发送 /认领 1 排候补。",
        "[main] bot: #1「整治共享单车」名额已满，你是候补第 1 位，有名额空出会通知你。",
        "[main] bot: 张三 退还了 #1「整治共享单车」的名额。",
        "[main] bot: 李四 由候补转为认领。",
        "[main] bot → 李四: 🎉 李四：#1「整治共享单车」空出了名额，你已由候补转为认领。完成后发送 /完成 1。",
        "[main] bot: 📝 李四 报告完成了 #1「整治共享单车」。",
        "[main] bot: 挪好了",
        "[main] bot: 请组织者验收：/验收 1 @李四",
        "[main] bot: ✅ 验收通过：李四 完成了 #1「整治共享单车」，获得 10 积分。",
        "[main] bot: 🎉 #1「整治共享单车」圆满完成！感谢 李四！",
        "[main] bot: 李四 有 10 积分。",
    ]
    assert "Traceback" not in result.stderr


async def test_the_verify_hint_quotes_a_name_with_spaces_and_the_hint_works(hood: Harness) -> None:
    """Telegram display names often have spaces; the hint must survive being typed (or pasted) back."""
    h = hood
    await h.send("王书记", "/发布项目 整治共享单车 3 12-31 10分")
    for sender, quoted in ((IdentityRef("console", "anna", "Anna Li", username="anna_l"), '"@Anna Li"'),
                           (IdentityRef("console", "bo", "Bo O'Neil", username="bo_o"), '"@Bo O\'Neil"')):
        await h.deliver(replace(h.event(sender.display_name, "/认领 1"), sender=sender))
        [report] = await h.deliver(replace(h.event(sender.display_name, "/完成 1"), sender=sender))
        assert report.text.endswith(f"请组织者验收：/验收 1 {quoted}")
    assert (await h.say("王书记", '/验收 1 "@Anna Li"')).startswith("✅ 验收通过：Anna Li 完成了")
    assert (await h.say("刘主任", "/验收 1 \"@Bo O'Neil\"")).startswith("✅ 验收通过：Bo O'Neil 完成了")
    await h.send("王书记", "/发布项目 扫雪 2 12-31")
    await h.deliver(replace(h.event("Anna Li", "/认领 2"), sender=IdentityRef("console", "anna", "Anna Li")))
    assert (await h.say("王书记", "/验收 2 “@Anna Li”")).startswith("✅ 验收通过：Anna Li 完成了")


async def test_a_report_after_a_cancellation_says_so(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/发布项目 整治共享单车 2 12-31")
    await h.send("张三", "/认领 1")
    await h.send("王书记", "/取消项目 1")
    assert await h.say("张三", "/完成 1") == "项目 #1 已取消，你的认领已结束。"
    assert await h.say("张三", "/进展 1") == "项目 #1 已取消，你的认领已结束。"
    assert await h.say("李四", "/完成 1") == "项目 #1 已取消，你的认领已结束。"


async def test_where_only_latin_commands_reach_the_bot_every_suggested_command_is_latin(hood: Harness) -> None:
    """Telegram in privacy mode delivers only /latin commands to the bot: its own hints must be ones it gets.

    The Chinese text stays; only the commands in it are spelled the way they arrive.
    """
    h = hood
    h.adapter.latin_commands_only = True  # as the Telegram adapter declares it in privacy mode
    start = len(h.adapter.sent)
    assert (await h.say("王书记", "/projects")).endswith("发布项目：/newproject <标题> <名额> <截止日期>")
    announced = await h.say("王书记", "/newproject 整治共享单车 1 12-31 10分")
    assert announced.endswith("发送 /claim 1 或点下面的按钮参加。")
    assert (await h.say("张三", "/claim 1 A1")) == "项目 #1 的名额没有编号，直接发送 /claim 1 即可。"
    assert (await h.send("张三", "/claim 1"))[0].endswith("完成后发送 /done 1，欢迎附上照片。")
    await h.send("李四", "/claim 1")
    await h.send("张三", "/done 1")
    await h.send("王书记", "/sendback 1 @张三 照片看不清")
    await h.send("张三", "/unclaim 1")
    assert await h.say("王五", "/mine") == "你还没有认领项目。发送 /projects 看看哪里需要帮忙。"
    assert await h.say("王五", "/claim 9") == "这里没有项目 #9。发送 /projects 查看可认领的项目。"
    await h.send("李四", "/done 1")
    await h.send("王书记", "/closeproject 1")
    await h.run_jobs(after=timedelta(days=40))
    assert await h.say("王书记", "/reopenproject 1") == (
        "项目 #1 已过截止日期，请先设置新的截止日期：/editproject 1 截止 <日期>")
    await h.send("王书记", "/newproject 扫雪 1 无")
    await h.send("赵六", "/claim 2")
    await h.run_jobs(after=timedelta(days=6, hours=1))
    await h.send("王书记", "/config claims who_may_claim 志愿者")
    assert (await h.say("孙七", "/claim 2")).endswith("组织者可以发送 /grant @孙七 志愿者 让你成为志愿者。")
    said = [m.text for m in h.adapter.sent[start:]]
    assert any("发送 /done 2" in text for text in said), "the reminder was sent"
    commands = {name for text in said for name in re.findall(r"(?<![\w/])/(\w+)", text)}
    assert commands and all(word.isascii() for word in commands), commands
