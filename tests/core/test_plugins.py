"""Plugins: manifests, per-community enablement gating everything, requirements, settings, scaffolding."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from core.plugin import (
    CommandContext,
    DomainEvent,
    JobContext,
    JobSpec,
    PluginManifest,
    PluginToggled,
    Subscription,
    UnitOfWork,
    command,
    hookimpl,
)
from core.plugin_manager import PluginState
from core.testing import Harness


@dataclass(frozen=True)
class Rang(DomainEvent):
    pass


class BadgeSettings(BaseModel):
    mark: str = Field("🚩", max_length=4)


class Bell:
    """Contributes a command, a subscription, a name decoration, a badge answer and a periodic job."""

    def __init__(self) -> None:
        self.heard: list[int] = []
        self.job_runs: list[list[int]] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="bell", title_zh="铃铛", title_en="Bell", version="1",
                              settings_model=BadgeSettings)

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("ring", help="ring")
        async def ring(ctx: CommandContext) -> None:
            ctx.publish(Rang(community_id=ctx.community_id))
            ctx.reply("ding " + ctx.settings(BadgeSettings).mark)

        return [ring]

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        async def heard(event: Rang, uow: UnitOfWork) -> None:
            self.heard.append(event.community_id)

        return [Subscription(Rang, heard)]

    @hookimpl
    async def linli_decorate_names(self, community_id: int, user_ids: list[int]) -> dict[int, str]:
        return {uid: "🔔" for uid in user_ids}

    @hookimpl
    async def linli_user_has_badge(self, community_id: int, user_id: int, badge: str) -> bool | None:
        return badge == "bell"

    @hookimpl
    def linli_jobs(self) -> list[JobSpec]:
        async def tick(ctx: JobContext) -> None:
            self.job_runs.append(sorted(ctx.communities))

        return [JobSpec("bell.tick", tick, every=timedelta(hours=1))]


class Chime:
    """Requires bell."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="chime", title_zh="风铃", title_en="Chime", version="1", requires=("bell",))


@pytest.fixture
async def bells(db_url: str) -> AsyncIterator[tuple[Harness, Bell]]:
    bell = Bell()
    async with Harness.create(db_url, plugins=[bell, Chime()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("王书记", "/setup 其他社区", room="other")
        yield h, bell


async def test_an_enabled_plugin_contributes_everywhere(bells: tuple[Harness, Bell]) -> None:
    h, bell = bells
    assert await h.say("张三", "/ring") == "ding 🚩"
    assert bell.heard == [1]
    assert await h.say("张三", "/points") == "张三 🔔 有 0 积分。"
    assert await h.app.plugins.first_result("linli_user_has_badge", 1, community_id=1, user_id=1, badge="bell")


async def test_a_disabled_plugin_is_inert_in_that_community_only(bells: tuple[Harness, Bell]) -> None:
    h, bell = bells
    await h.send("王书记", "/disable chime")
    assert await h.say("王书记", "/disable bell") == (
        "本社区已停用“铃铛”。数据都保留着，发送 /enable bell 即可恢复。"
    )
    assert await h.say("张三", "/ring") == "本社区未启用“铃铛”功能；组织者可以发送 /enable bell 启用。"
    await h.app.bus.publish(Rang(community_id=1))
    await h.app.settle()
    assert bell.heard == [], "subscriptions are off"
    assert await h.say("张三", "/points") == "张三 有 0 积分。", "name decorations are off"
    assert await h.app.plugins.first_result("linli_user_has_badge", 1, community_id=1, user_id=1,
                                            badge="bell") is None
    assert await h.say("张三", "/ring", room="other") == "ding 🚩", "other communities are unaffected"
    await h.run_jobs(after=timedelta(hours=2))
    assert bell.job_runs == [[2]], "periodic jobs see only communities where the plugin is on"
    assert "/ring" not in await h.say("张三", "/help")
    assert await h.say("王书记", "/enable bell") == "本社区已启用“铃铛”。"
    assert await h.say("张三", "/ring") == "ding 🚩"


async def test_a_change_made_by_another_process_is_picked_up_on_refresh(bells: tuple[Harness, Bell]) -> None:
    h, _ = bells
    await PluginState.create(community_id=1, plugin="chime", enabled=False)  # as `linli plugins disable` would
    await PluginState.create(community_id=1, plugin="bell", enabled=False)
    assert await h.say("张三", "/ring") == "ding 🚩", "not yet seen"
    await h.app.refresh_state()
    assert "未启用" in await h.say("张三", "/ring")


async def test_enablement_survives_a_restart(bells: tuple[Harness, Bell]) -> None:
    h, _ = bells
    await h.send("王书记", "/disable chime")
    await h.send("王书记", "/disable bell")
    await h.restart()
    assert "未启用" in await h.say("张三", "/ring")


async def test_requirements_are_enforced_both_ways(bells: tuple[Harness, Bell]) -> None:
    h, _ = bells
    assert await h.say("王书记", "/disable bell") == "chime 依赖 bell，请先停用它们。"
    await h.send("王书记", "/disable chime")
    await h.send("王书记", "/disable bell")
    assert await h.say("王书记", "/enable chime") == "启用 chime 之前需要先启用 bell。"
    assert await h.say("王书记", "/enable nosuch") == "没有名为 nosuch 的插件。发送 /plugins 查看所有插件。"


async def test_plugin_commands_stay_available_and_list_states(bells: tuple[Harness, Bell]) -> None:
    h, _ = bells
    await h.send("王书记", "/disable chime")
    listing = await h.say("王书记", "/plugins")
    assert "• bell (铃铛): 已启用" in listing
    assert "• chime (风铃): 未启用" in listing


async def test_per_community_settings_are_validated_and_applied(bells: tuple[Harness, Bell]) -> None:
    h, _ = bells
    assert await h.say("王书记", "/config bell mark ⭐") == "“铃铛”：mark 已改为 ⭐。"
    assert await h.say("张三", "/ring") == "ding ⭐"
    assert await h.say("张三", "/ring", room="other") == "ding 🚩"
    assert await h.say("王书记", "/config bell mark toolongvalue") == "未修改：文字太长了（最多 4 个字）。"
    assert await h.say("王书记", "/config bell colour red") == "“铃铛”没有名为 colour 的设置。可用的设置：mark"
    await h.restart()
    assert await h.say("张三", "/ring") == "ding ⭐"


def test_scaffolded_plugin_passes_its_own_test(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "plugin", "new", "hello_world", "--dir", str(tmp_path / "pkg"),
         "--tests", str(tmp_path / "tests")],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    (tmp_path / "pkg" / "__init__.py").write_text("")
    test_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "tests")],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"},
    )
    assert "2 passed" in test_run.stdout, test_run.stdout + test_run.stderr


async def test_config_shows_translated_descriptions_and_plain_values(community: Harness) -> None:
    h = community
    listing = await h.say("王书记", "/config thanks")
    assert "• points = 1 — 每次感谢给被感谢者的积分" in listing
    assert listing.endswith("用法：/config thanks <设置项> <值>")
    assert await h.say("王书记", "/config thanks points") == (
        "points = 1 — 每次感谢给被感谢者的积分\n用法：/config thanks points <值>")


async def test_a_plugin_hears_that_it_was_switched_back_on(db_url: str) -> None:
    heard: list[bool] = []

    class Listener:
        @hookimpl
        def linli_manifest(self) -> PluginManifest:
            return PluginManifest(name="listener", title_zh="听", title_en="Listener", version="1")

        @hookimpl
        def linli_subscriptions(self) -> list[Subscription]:
            async def toggled(event: PluginToggled, uow: UnitOfWork) -> None:
                if event.plugin == "listener":
                    heard.append(event.enabled)

            return [Subscription(PluginToggled, toggled)]

    async with Harness.create(db_url, plugins=[Listener()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("王书记", "/disable listener")
        await h.send("王书记", "/disable thanks")
        await h.send("王书记", "/enable listener")
        assert heard == [False, True], "it hears its own switching, not other plugins' while it is off"
