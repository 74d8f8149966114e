"""One refusal: a handler says no by raising ``Refusal``; the router undoes its changes and answers once.

What a person notices: the refusal is the only reply (nothing the handler had said or changed before it
survives), names, counts and dates in it read naturally, an argument problem comes with the usage line,
and a refused button press is answered privately, as a pop-up, not in the group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from core.identity import User
from core.plugin import (
    N_,
    NP_,
    Arg,
    AwardingEvent,
    Button,
    CommandContext,
    Int,
    Person,
    PluginManifest,
    Plural,
    PointsAward,
    PointsBooked,
    Refusal,
    Subscription,
    UnitOfWork,
    command,
    hookimpl,
)
from core.points import balance_of
from core.processed import ProcessedEvent
from core.testing import Harness

COINS = NP_("{n} coin", "{n} coins")


@dataclass(frozen=True)
class Gift(AwardingEvent):
    user_id: int = 0

    def awards(self) -> list[PointsAward]:
        return [PointsAward(self.user_id, 5, "gift", f"gift:{self.user_id}")]


class Vault:
    """Writes, replies and publishes, then refuses: none of it may survive the refusal."""

    def __init__(self) -> None:
        self.calls = 0
        self.booked: list[int] = []

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="vault", title_zh="金库", title_en="Vault", version="1")

    @hookimpl
    def linli_commands(self) -> list[Any]:
        @command("deposit", args=(Arg("amount", Int(minimum=1), label=N_("amount")),), help="deposit")
        async def deposit(ctx: CommandContext, amount: int) -> None:
            self.calls += 1
            ctx.user.display_name = "改过的名字"
            await ctx.user.save(update_fields=["display_name"])
            ctx.reply("deposited")
            if amount > 3:
                raise Refusal(N_("{user} cannot deposit {coins} before {due}."), user=Person(ctx.user.id),
                              coins=Plural(*COINS, amount), due=ctx.now() + timedelta(days=38))
            ctx.reply("kept")

        @command("picky", args=(Arg("amount", Int(), label=N_("amount")),), help="picky")
        async def picky(ctx: CommandContext, amount: int) -> None:
            raise Refusal(N_("Odd amounts only."), usage=amount % 2 == 0)

        @command("offer", help="offer")
        async def offer(ctx: CommandContext) -> None:
            ctx.reply("要存吗？", buttons=[[Button("存 5", "/deposit 5"), Button("存 1", "/deposit 1")]])

        return [deposit, picky, offer]

    @hookimpl
    def linli_subscriptions(self) -> list[Subscription]:
        async def booked(event: PointsBooked, uow: UnitOfWork) -> None:
            self.booked.append(event.user_id)

        return [Subscription(PointsBooked, booked)]


@pytest.fixture
async def vault(db_url: str) -> AsyncIterator[tuple[Harness, Vault]]:
    plugin = Vault()
    async with Harness.create(db_url, plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/whoami")
        yield h, plugin


async def test_a_refusal_undoes_the_handlers_changes_and_is_the_only_reply(vault: tuple[Harness, Vault]) -> None:
    h, _ = vault
    assert await h.send("张三", "/deposit 5") == ["张三 cannot deposit 5 coins before 12月31日 10:00."], (
        "the earlier reply is dropped; the person, the plural and the date read naturally")
    assert (await User.get(display_name="张三")).display_name == "张三", "the write was rolled back"
    assert await h.send("张三", "/deposit 1") == ["deposited", "kept"]
    assert await User.filter(display_name="改过的名字").count() == 1


async def test_a_refused_event_stays_processed_so_a_redelivery_changes_nothing(vault: tuple[Harness, Vault]) -> None:
    h, plugin = vault
    event = h.event("张三", "/deposit 4", event_id="console:refused-1")
    assert [m.text for m in await h.deliver(event)] == ["张三 cannot deposit 4 coins before 12月31日 10:00."]
    assert await ProcessedEvent.filter(event_key="console:refused-1").exists()
    assert await h.deliver(event) == [], "the redelivered command is not answered again"
    assert plugin.calls == 1, "nor run again"
    assert await User.filter(display_name="改过的名字").count() == 0
    await h.restart()
    assert await h.deliver(event) == [] and plugin.calls == 1, "also after a restart"


async def test_a_refusal_about_arguments_adds_the_usage_line(vault: tuple[Harness, Vault]) -> None:
    h, _ = vault
    assert await h.say("张三", "/picky 3") == "Odd amounts only."
    assert await h.say("张三", "/picky 4") == "Odd amounts only.\n用法：/picky <amount>"
    assert await h.say("张三", "/deposit 0") == "0 太小了（至少 1）\n用法：/deposit <amount>", (
        "an argument type's refusal always comes with the usage line")


async def test_a_refused_button_press_is_a_private_pop_up_for_the_presser(vault: tuple[Harness, Vault]) -> None:
    h, _ = vault
    await h.send("王书记", "/offer")
    press = h.button_event("李四", "存 5")
    [answer] = await h.deliver(press)
    assert answer.text == "李四 cannot deposit 5 coins before 12月31日 10:00."
    assert answer.popup_for == press.button_token, "answered on the button"
    assert answer.private_to is not None and answer.private_to.user_id == "李四", "to the presser alone"
    assert answer.reply_to_message_id is None
    [accepted] = [m for m in await h.deliver(h.button_event("李四", "存 1")) if m.text == "deposited"]
    assert accepted.popup_for is None and accepted.private_to is None, "what is not a refusal goes to the group"


async def test_points_published_before_a_refusal_are_not_booked(db_url: str) -> None:
    """A domain event published before the refusal is dropped with it: no points, no PointsBooked."""

    class Giver(Vault):
        @hookimpl
        def linli_manifest(self) -> PluginManifest:
            return PluginManifest(name="giver", title_zh="礼物", title_en="Giver", version="1")

        @hookimpl
        def linli_commands(self) -> list[Any]:
            @command("gift", args=(Arg("refuse", Int(), label=N_("refuse")),), help="gift")
            async def gift(ctx: CommandContext, refuse: int) -> None:
                ctx.publish(Gift(community_id=ctx.community_id, user_id=ctx.user.id))
                if refuse:
                    raise Refusal(N_("No gifts today."))
                ctx.reply("given")

            return [gift]

    plugin = Giver()
    async with Harness.create(db_url, plugins=[plugin], load_builtins=False) as h:
        await h.send("王书记", "/setup 观梅社区")
        assert await h.send("张三", "/gift 1") == ["No gifts today."]
        user = await User.get(display_name="张三")
        assert await balance_of(1, user.id) == 0 and plugin.booked == []
        assert await h.send("张三", "/gift 0") == ["given"]
        assert await balance_of(1, user.id) == 5 and plugin.booked == [user.id]
