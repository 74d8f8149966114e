"""No user-facing text slips past translation: an AST check over ``core/``, ``adapters/`` and ``plugins/``.

``tests/core/test_i18n.py`` checks that every *marked* string has a Chinese translation; this checks the
other half, that what the bot says is marked at all. It fails on

- a string literal or f-string passed directly as the text of ``….reply(…)``, ``….announce(…)``,
  ``….notify(user_id, …)`` or ``Refusal(…)``: the text must come from ``t(…)``/``t.n(…)``, an ``N_(…)``
  msgid, a name holding one, or an expression built from those;
- a ``Field(description=…)`` in a plugin that is not ``N_("…")``: organizers read those descriptions in
  the community's language in ``/config <plugin>``.

It is pragmatic, not a proof: a literal is flagged only when it holds words (letters or CJK characters),
so ``"\\n".join(…)``, ``f"{rank}. {name} {total}"`` or ``f"/{command}"`` pass, and a literal is looked for
only where it is the text itself or a direct part of it (``+`` concatenation, ``a if c else b``).

Settings descriptions outside ``plugins/`` are exempt: ``adapters/*/settings.py`` (``[telegram]``,
``[console]``) and ``core/config.py`` describe ``settings.toml`` for the operator, who reads English
documentation and never sees them in a chat.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("core", "adapters", "plugins")
#: Methods whose text argument people read, and where that argument is: (position, keyword).
SAYING = {"reply": (0, "text"), "announce": (0, "text"), "notify": (1, "text")}
#: Functions whose result is translated text or a marked msgid.
TRANSLATING = {"t", "n", "N_", "NP_"}


def has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def literal_words(node: ast.expr) -> list[str]:
    """The literal pieces with words in them that make up ``node`` directly (not inside calls)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if has_words(node.value) else []
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        joined = "{…}".join(parts)
        return [joined] if any(has_words(p) for p in parts) else []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal_words(node.left) + literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return literal_words(node.body) + literal_words(node.orelse)
    return []


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _argument(node: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(node.args) > position and not any(isinstance(a, ast.Starred) for a in node.args[: position + 1]):
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


def _is_marked(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and _callee(node) == "N_" and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def violations_in(source: str, *, check_descriptions: bool) -> list[tuple[int, str]]:
    """``(line, what)`` for every unmarked text in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        if name in SAYING and isinstance(node.func, ast.Attribute):
            text = _argument(node, *SAYING[name])
            where = f".{name}()"
        elif name == "Refusal":
            text = _argument(node, 0, "message")
            where = "Refusal()"
        elif name == "Field" and check_descriptions:
            description = next((k.value for k in node.keywords if k.arg == "description"), None)
            if description is not None and not _is_marked(description):
                found.append((node.lineno, f"Field(description=…) not marked with N_(): {ast.unparse(description)}"))
            continue
        else:
            continue
        if text is None:
            continue
        for words in literal_words(text):
            found.append((node.lineno, f"{where} says an unmarked literal: {words!r}"))
    return found


def checks_descriptions(path: Path) -> bool:
    """Plugins' settings are shown to organizers in chat; the core's and adapters' are for operators."""
    return path.relative_to(ROOT).parts[0] == "plugins"


def scan() -> list[str]:
    problems = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "locales" in path.parts or "__pycache__" in path.parts:
                continue
            for line, what in violations_in(path.read_text(encoding="utf-8"),
                                            check_descriptions=checks_descriptions(path)):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    return problems


def test_everything_the_bot_says_is_marked_for_translation() -> None:
    problems = scan()
    assert not problems, "unmarked user-facing text:\n" + "\n".join(problems)


@pytest.mark.parametrize("code", [
    'ctx.reply("Done.")',
    'ctx.reply(f"{name} is done")',
    'ctx.reply(t("Heading") + "\\nand more words")',
    'await job.notify(user_id, "你好")',
    'await scope.notify(user_id, text="Your turn")',
    'await ctx.announce("📢 新项目")',
    'raise Refusal("No such project")',
    'raise Refusal(f"#{n} is closed" if closed else N_("fine"))',
    'points: int = Field(1, description="points per thanks")',
    'points: int = Field(1, description=t("points per thanks"))',
])
def test_the_check_catches_unmarked_text(code: str) -> None:
    assert len(violations_in(code, check_descriptions=True)) == 1, code


@pytest.mark.parametrize("code", [
    'ctx.reply(t("Done."))',
    'ctx.reply(ctx.t.n("{n} point", "{n} points", n))',
    'ctx.reply("\\n".join(lines))',
    'ctx.reply(heading + "\\n" + t("No points yet."))',
    'ctx.reply(f"{rank}. {name} {total}")',
    'await job.notify(user_id, text)',
    'await ctx.announce(await ctx.render(MESSAGE, values))',
    'raise Refusal(N_("No such project {id}"), id=n)',
    'raise Refusal(N_("on") if enabled else N_("off"))',
    'points: int = Field(1, description=N_("points per thanks"))',
])
def test_the_check_lets_marked_text_through(code: str) -> None:
    assert violations_in(code, check_descriptions=True) == [], code
