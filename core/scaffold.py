"""``linli plugin new NAME``: a working plugin with a test, in the shape the built-in plugins use."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import ConfigError

INIT = '''"""Plugin ``{name}``: what it is for, in one sentence (edit me)."""

from __future__ import annotations

from pathlib import Path

from core.plugin import Command, PluginManifest, hookimpl
from {package}.commands import hello


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name="{name}",
        title_zh="{name}",
        title_en="{name}",
        version="0.1.0",
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    return [hello]
'''

COMMANDS = '''"""Chat commands of the {name} plugin."""

from __future__ import annotations

from core.plugin import N_, Arg, CommandContext, Rest, command


@command(
    "{name}_hello",
    args=(Arg("who", Rest(100), optional=True, label=N_("who")),),
    help=N_("Say hello"),
)
async def hello(ctx: CommandContext, who: str | None) -> None:
    ctx.reply(ctx.t("Hello, {{who}}!", who=who or await ctx.name(ctx.user.id)))
'''

PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: zh_CN\\n"

msgid "who"
msgstr "谁"

msgid "Say hello"
msgstr "打个招呼"

#, python-brace-format
msgid "Hello, {{who}}!"
msgstr "你好，{{who}}！"
'''

TEST = '''"""Tests of the {name} plugin, through the linli harness (runs on SQLite; pass a postgres:// URL too)."""

import pytest

import {package} as plugin
from core.testing import Harness

pytestmark = pytest.mark.asyncio


async def test_hello_answers_in_chinese_by_default() -> None:
    async with Harness.create(plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 测试社区")
        assert await h.say("张三", "/{name}_hello 邻居们") == "你好，邻居们！"


async def test_hello_is_inert_when_disabled() -> None:
    async with Harness.create(plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 测试社区")
        await h.send("王书记", "/disable {name}")
        assert "你好" not in await h.say("张三", "/{name}_hello")
'''


def scaffold_plugin(name: str, plugins_dir: Path, tests_dir: Path) -> list[Path]:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,30}", name):
        raise ConfigError(f"plugin name {name!r}: use 2–31 lower-case letters, digits or _, starting with a letter")
    package_dir = plugins_dir / name
    if package_dir.exists():
        raise ConfigError(f"{package_dir} already exists")
    importable = Path(plugins_dir.name) if plugins_dir.is_absolute() else plugins_dir
    package = ".".join([*importable.parts, name])
    files = {
        package_dir / "__init__.py": INIT.format(name=name, package=package),
        package_dir / "commands.py": COMMANDS.format(name=name),
        package_dir / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po": PO.format(),
        tests_dir / name / f"test_{name}.py": TEST.format(name=name, package=package),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
