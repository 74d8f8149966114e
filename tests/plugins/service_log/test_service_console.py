"""The story as a console script: registration, a team and its leader, entered hours (one refused for an
overlap), the leader approving from the pending list, the hours and points that follow."""

from __future__ import annotations

import io

from adapters.console import ConsoleAdapter
from core.testing import Harness

SCRIPT = """\
王书记: /setup 观梅社区
王书记: /config service_log publicity_days 0
张三: /注册志愿者
李四: /注册志愿者
王书记: /服务队 新建 敲门组
王书记: /服务队 队长 敲门组 @张三
王书记: /服务队 调入 敲门组 @李四
李四: /记录时长 2 敲门探访独居老人 8:00-10:00
李四: /记录时长 1 巡逻 9:00-10:00
张三: /审核
张三: !press 1
李四: /时长
李四: /积分
"""

TRANSCRIPT = """\
[main] bot: 观梅社区设置好了，王书记 是组织者。发送 /help 查看可用命令。
[main] bot: “志愿服务时长”：publicity_days 已改为 0。
[main] bot: 🦺 欢迎 张三！你的志愿者编号是 00001。证明上的姓名为 张三，如需修改请发送 /登记姓名 <姓名>。
[main] bot: 🦺 欢迎 李四！你的志愿者编号是 00002。证明上的姓名为 李四，如需修改请发送 /登记姓名 <姓名>。
[main] bot: 服务队 敲门组 已建立。任命队长：/任命队长 敲门组 @…
[main] bot: 张三 现在是 敲门组 的队长，可以审核本队时长。
[main] bot: 李四 现在在 敲门组。
[main] bot: 📝 已记录 #1 2026-11-23 2.0 小时 敲门探访独居老人（待审核）。请组织者或队长审核：/批准 1
[main] bot: 9:00-10:00 与你 2026-11-23 的记录 #1（8:00-10:00）时间重叠。
[main] bot: 待审核：
[main] bot: 李四：#1 2026-11-23 2.0 小时 敲门探访独居老人（待审核）
[main] bot:   [1] 通过 #1
[main] bot:   [2] 驳回 #1
[main] bot: ✅ 已通过 #1 2026-11-23 2.0 小时 敲门探访独居老人（已生效）。
[main] bot → 李四: ✅ 你的记录 #1 2026-11-23 2.0 小时 敲门探访独居老人（已生效）已生效，获得 20 积分。
[main] bot: 李四：累计 2.0 小时，今年 2.0 小时。
[main] bot: 2026年11月：2.0
[main] bot: 尚无星级；距下一星还差 98.0 小时。
[main] bot: 李四 有 20 积分。
"""


async def test_the_story_as_a_console_script(harness: Harness) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(harness.app.adapter_services, stdin=io.StringIO(), stdout=out)
    harness.app.adapters["console"] = console
    for line in SCRIPT.splitlines():
        await console.feed(line)
    assert out.getvalue() == TRANSCRIPT
