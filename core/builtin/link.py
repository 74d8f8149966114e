"""Account linking: /link and /unlink, so one person on Telegram and Matrix is one person in linli.

``/link`` gives the asker a one-time code, privately (whoever holds it could join their account to the
asker's); a new code replaces the asker's earlier one. Sending ``/link CODE`` from the other account,
within :data:`CODE_LIFETIME`, shows whose person it would join (a code passed on by someone else is
seen for what it is); ``/link CODE confirm`` then merges that account's person into the asker's
through the user-merge hook (:func:`core.builtin.mydata.merge`), in the command's transaction: every
plugin moves what it keeps (points, claims, badges, roles), the core last, so afterwards
the person has one balance, one role set and one badge set, whichever platform they write from.
``/unlink`` splits the account it is sent from off again as a new person; what was earned while
linked stays with the person the other accounts keep.

Codes live in the core's small key-value table (:mod:`core.adapter_state`) under ``core.link``, with an
expiry, and are deleted when used — by a conditional delete, so of two accounts using one code at the same
moment only one links. An account sending :data:`MAX_WRONG_CODES` wrong codes waits until they expire.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from core import adapter_state
from core.adapter_state import AdapterState
from core.arguments import Arg, Text
from core.builtin import mydata
from core.builtin.mydata import CONFIRM
from core.commands import Command, command
from core.context import CommandContext
from core.i18n import N_
from core.identity import Identity, User
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

NAMESPACE = "core.link"
CODE_LIFETIME = timedelta(minutes=10)
#: No 0/O, 1/I/L: the code is read on one screen and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


#: Wrong codes one account may send within :data:`CODE_LIFETIME` (8 letters of 31: guessing is hopeless).
MAX_WRONG_CODES = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def give_code(ctx: CommandContext) -> None:
    """A new code, privately; the asker's earlier code stops working (only the latest one is valid)."""
    fresh = new_code()
    mine = f"user:{ctx.user.id}"
    earlier = await adapter_state.state_get(NAMESPACE, mine, ctx.now())
    if isinstance(earlier, dict) and isinstance(earlier.get("code"), str):
        await AdapterState.filter(namespace=NAMESPACE, key="code:" + earlier["code"]).delete()
    expires = ctx.now() + CODE_LIFETIME
    await adapter_state.state_put(NAMESPACE, "code:" + fresh, {"user_id": ctx.user.id}, expires)
    await adapter_state.state_put(NAMESPACE, mine, {"code": fresh}, expires)
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    ctx.reply(ctx.t("Your linking code is {code}. Within {minutes} minutes, send /link {code} to me from "
                    "your account on the other platform; then both accounts are one person here, with "
                    "one balance, one set of roles and badges.", code=fresh, minutes=minutes),
              private=True)


def commands(app: Application) -> list[Command]:
    @command("link", aliases=("关联账号",), needs_community=False,
             args=(Arg("code", Text(max_length=32), optional=True, label=N_("code")),
                   Arg("confirm", CONFIRM, optional=True, label=N_("confirm"))),
             help=N_("Link your accounts on two platforms: /link gives a code to send from the other one"))
    async def link(ctx: CommandContext, code: str | None, confirm: bool | None) -> None:
        if code is None:
            await give_code(ctx)
            return
        key = "code:" + code.strip().upper()
        tries_key = f"tries:{ctx.user.id}"
        tries = await adapter_state.state_get(NAMESPACE, tries_key, ctx.now())
        tries = tries.get("wrong", 0) if isinstance(tries, dict) else 0
        if tries >= MAX_WRONG_CODES:
            raise Refusal(N_("Too many wrong linking codes from this account. Try again a little later."))
        stored = await adapter_state.state_get(NAMESPACE, key, ctx.now())
        into = stored.get("user_id") if isinstance(stored, dict) else None
        if not isinstance(into, int) or not await User.exists(id=into):
            # answered, not refused: a refusal would undo the count, and the codes could be guessed
            await adapter_state.state_put(NAMESPACE, tries_key, {"wrong": tries + 1}, ctx.now() + CODE_LIFETIME)
            ctx.reply(ctx.t("That linking code is unknown or has expired. Send /link from your other account "
                            "for a new one."))
            return
        if into == ctx.user.id:
            raise Refusal(N_("These accounts are already linked."))
        pending_key = f"pending:{ctx.user.id}"
        pending = await adapter_state.state_get(NAMESPACE, pending_key, ctx.now())
        if not confirm or not isinstance(pending, dict) or pending.get("code") != key:
            # whoever sent the code may not be who asked for it: show whose person this account joins
            await adapter_state.state_put(NAMESPACE, pending_key, {"code": key}, ctx.now() + CODE_LIFETIME)
            ctx.reply(ctx.t("This code joins this account to {user}: from then on both are one person, with one "
                            "balance, one set of roles and badges. If {user} is not you, stop here. To go ahead, "
                            "send {command}", user=await ctx.name(into),
                            command=await ctx.hint("link", code.strip().upper(), ctx.t("confirm"))))
            return
        # the code goes once: of two accounts sending it at the same moment, one deletes it, the other nothing
        if not await AdapterState.filter(namespace=NAMESPACE, key=key).delete():
            raise Refusal(N_("That linking code is unknown or has expired. Send /link from your other account "
                             "for a new one."))
        await AdapterState.filter(namespace=NAMESPACE, key__in=[pending_key, tries_key, f"user:{into}"]).delete()
        await mydata.merge(app, ctx.user.id, into)
        ctx.reply(ctx.t("Linked: your accounts are now one person, {user}, with one balance, one set of roles and "
                        "badges.", user=await ctx.name(into)))

    @command("unlink", aliases=("取消关联",), needs_community=False,
             help=N_("Split this account off again from the accounts it was linked with"))
    async def unlink(ctx: CommandContext) -> None:
        sender = ctx.event.sender
        accounts = await Identity.filter(user_id=ctx.user.id)
        mine = next((a for a in accounts if (a.platform, a.platform_user_id) == (sender.platform, sender.user_id)),
                    None)
        if mine is None or len(accounts) < 2:
            raise Refusal(N_("This account is not linked with another one."))
        kept = await ctx.name(ctx.user.id)
        alone = await User.create(display_name=mine.display_name, language=ctx.user.language)
        await Identity.filter(id=mine.id).update(user_id=alone.id)
        ctx.reply(ctx.t("This account is on its own again. What was earned while linked stays with {user} on your "
                        "other accounts.", user=kept))

    return [link, unlink]
