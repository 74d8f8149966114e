"""A plugin that an upgrade or an install adds does not switch itself on in the communities that already
exist (issue 8): with ``enabled_by_default = ["*"]`` the default is for communities created after the
plugin appeared; an existing one gets it when an organizer enables it, or when settings name it, and
``/plugins`` says it is new and off."""

from __future__ import annotations

from typing import Any

from core.app import Application
from core.plugin import Command, CommandContext, PluginManifest, command, hookimpl
from core.testing import Harness


@command("greet", help="Say hello")
async def greet(ctx: CommandContext) -> None:
    ctx.reply("hello")


class Greeter:
    """The smallest plugin: what ``linli plugin new`` or an upgrade adds to an installation."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="greeter", title_zh="问候", title_en="Greeter", version="0.1.0")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        return [greet]


async def install_greeter(h: Harness, **settings: Any) -> None:
    """Restart the installation with the new plugin installed, as after `pip install` or an upgrade."""
    base = h.app.settings.model_copy(update={"plugins": h.app.settings.plugins.model_copy(update=settings)})
    h._build = lambda: Application(base, clock=h.clock, plugins=[Greeter()], load_entry_points=False)
    await h.restart()


async def test_a_new_plugin_stays_off_in_an_existing_community_until_an_organizer_enables_it(
    community: Harness,
) -> None:
    h = community
    await install_greeter(h)
    assert await h.say("张三", "/greet") == "本社区未启用“问候”功能；组织者可以发送 /enable greeter 启用。"
    listing = await h.say("王书记", "/plugins")
    assert "• greeter (问候): 新插件，组织者发送 /enable greeter 后启用" in listing.splitlines()
    assert "• thanks (感谢): 已启用" in listing.splitlines(), "the plugins that were there stay on"
    assert await h.say("张三", "/thanks @王书记") == "张三 感谢 王书记！"
    await h.send("王书记", "/enable greeter")
    assert await h.say("张三", "/greet") == "hello"
    assert "• greeter (问候): 已启用" in (await h.say("王书记", "/plugins")).splitlines()


async def test_a_community_created_after_the_plugin_appeared_gets_the_default(community: Harness) -> None:
    h = community
    await install_greeter(h)
    await h.send("王书记", "/setup 竹园社区", room="b")
    assert await h.say("张三", "/greet", room="b") == "hello"
    await h.restart()
    assert await h.say("张三", "/greet", room="b") == "hello", "also after a restart"
    assert (await h.say("张三", "/greet")).startswith("本社区未启用“问候”功能")


async def test_settings_that_name_the_plugin_switch_it_on_everywhere(community: Harness) -> None:
    h = community
    await install_greeter(h, enabled_by_default=["*", "greeter"])
    assert await h.say("张三", "/greet") == "hello"
