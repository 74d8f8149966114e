"""``linli plugin new NAME``: a working plugin with a test, in the shape the built-in plugins use."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import ConfigError

INIT = '''"""Plugin ``{name}``: what it is for, in one sentence (edit me)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.plugin import Command, PluginManifest, hookimpl
from {package} import member_data
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


# What the plugin holds about a person (PIPL): /mydata shows it, /forgetme erases it. See member_data.py.
@hookimpl
async def linli_member_data(user_id: int) -> dict[str, Any] | None:
    return await member_data.member_data(user_id)


@hookimpl
async def linli_forget_member(user_id: int, pseudonym: str) -> None:
    await member_data.forget_member(user_id, pseudonym)


@hookimpl
async def linli_merge_users(from_user_id: int, into_user_id: int) -> None:
    await member_data.merge_users(from_user_id, into_user_id)
'''

MEMBER_DATA = '''"""What the {name} plugin holds about a person: shown by /mydata, erased by /forgetme (PIPL).

linli asks every installed plugin, switched on or off in a community (switched-off plugins keep their
data). This plugin stores nothing about people yet, so there is nothing to show or erase. When you add a
table with a ``user_id`` column (say ``Greeting``), fill these in::

    async def member_data(user_id: int) -> dict[str, Any] | None:
        rows = await Greeting.filter(user_id=user_id).order_by("id")
        return {{"greetings": [{{"text": g.text, "at": g.created_at.isoformat()}} for g in rows]}} if rows else None

    async def forget_member(user_id: int, pseudonym: str) -> None:
        await Greeting.filter(user_id=user_id).delete()

    async def merge_users(from_user_id: int, into_user_id: int) -> None:
        await Greeting.filter(user_id=from_user_id).update(user_id=into_user_id)

Erase what identifies the person (their words, photos, chat ids); keep, under the user id, what the
community's records need (verified work, certificates): the core renames that user to ``pseudonym`` in
the same transaction. Raise, and nothing at all is erased.
"""

from __future__ import annotations

from typing import Any


async def member_data(user_id: int) -> dict[str, Any] | None:
    """Everything held about the person, as plain JSON values under readable keys; None: nothing."""
    return None


async def forget_member(user_id: int, pseudonym: str) -> None:
    """Erase or anonymise what is held about the person who sent /forgetme."""


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """Two user ids are one person (linked accounts): move everything to ``into_user_id``."""
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

import json

import pytest

import {package} as plugin
from core.testing import Harness

pytestmark = pytest.mark.asyncio


async def test_hello_answers_in_chinese_by_default() -> None:
    async with Harness.create(plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 测试社区")
        assert await h.say("张三", "/{name}_hello 邻居们") == "你好，邻居们！"


async def test_hello_is_inert_when_disabled_but_its_data_is_still_covered() -> None:
    async with Harness.create(plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 测试社区")
        await h.send("王书记", "/disable {name}")
        assert "你好" not in await h.say("张三", "/{name}_hello")
        # Switched off, a plugin keeps its data, so /mydata and /forgetme still ask it (member_data.py).
        [notice] = await h.deliver(h.event("张三", "/mydata", direct=True))
        data = json.loads(notice.files[0].data)
        assert data["core"]["name"] == "张三"
        assert "{name}" not in data  # it stores nothing about people yet; when it does, check that here
        assert "已注销用户#" in await h.say("张三", "/forgetme 确认")
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
        package_dir / "member_data.py": MEMBER_DATA.format(name=name),
        package_dir / "locales" / "zh_CN" / "LC_MESSAGES" / "messages.po": PO.format(),
        tests_dir / name / f"test_{name}.py": TEST.format(name=name, package=package),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
