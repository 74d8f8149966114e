"""The community's web board in chat: ``/board`` (the link and a QR code to print), and for organizers
``/board private``, ``/board public`` and ``/board slug <address>``.

The link is built from ``web.public_url`` (where residents reach the web server from outside, behind a
proxy); without it the bot says how an operator sets it instead of sending an address nobody can open.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.arguments import Arg, Text
from core.commands import Command, command
from core.context import CommandContext
from core.events import OutgoingFile
from core.i18n import N_
from core.identity import Community
from core.permissions import Role
from core.refusal import Refusal
from core.web import slugs

if TYPE_CHECKING:
    from core.app import Application

NO_ADDRESS = N_("The board of {community} is at /c/{slug}/ on linli's web server, but its public address is not "
                "set, so there is no link to send yet. The operator sets it in settings.toml: [web] public_url = "
                "\"https://…\" (or the environment variable LINLI_WEB__PUBLIC_URL).")
PRIVATE = N_("The board of {community} is private: it shows nothing to anyone. An organizer can open it with "
             "/board public.")


def qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a PNG big enough to print on an A4 notice (medium error correction)."""
    import segno  # only when a QR code is made

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def _name(ctx: CommandContext) -> str:
    return ctx.community.name if ctx.community is not None else ""


def commands(app: Application) -> list[Command]:
    def address(slug: str) -> str | None:
        base = app.settings.web.public_url
        return f"{base}/c/{slug}/" if base else None

    @command("private", aliases=("不公开", "私密"), role=Role.ORGANIZER,
             help=N_("Make the web board private: every page answers 404"))
    async def make_private(ctx: CommandContext) -> None:
        await Community.filter(id=ctx.community_id).update(board_private=True)
        ctx.reply(ctx.t("The board of {community} is now private: nobody can see it. /board public opens it again.",
                        community=_name(ctx)))

    @command("public", aliases=("公开",), role=Role.ORGANIZER,
             help=N_("Make the web board public again"))
    async def make_public(ctx: CommandContext) -> None:
        await Community.filter(id=ctx.community_id).update(board_private=False)
        community = await Community.get(id=ctx.community_id)
        slug = await slugs.slug_of(community)
        link = address(slug)
        ctx.reply(ctx.t("The board of {community} is public again: {link}", community=community.name,
                        link=link or f"/c/{slug}/"))

    @command("slug", aliases=("地址",), role=Role.ORGANIZER,
             args=(Arg("slug", Text(64), label=N_("address")),),
             help=N_("Change the web board's address, /c/<address>/ (lowercase letters, digits, dashes)"))
    async def change_slug(ctx: CommandContext, slug: str) -> None:
        wanted = slug.strip().lower()
        problem = slugs.problem(wanted)
        if problem is not None:
            raise Refusal(problem, usage=True)
        await slugs.ensure_slugs()  # a community whose board nobody opened yet still owns the address it would get
        owner = await slugs.owner_of_old(wanted)
        if await Community.filter(slug=wanted).exclude(id=ctx.community_id).exists() or \
                (owner is not None and owner != ctx.community_id):
            raise Refusal(N_("Another community's board is at /c/{slug}/ already; choose another address."),
                          slug=wanted)
        before = await Community.get(id=ctx.community_id)
        try:
            async with in_transaction():  # a savepoint: a community taking it at the same moment is a refusal
                await Community.filter(id=ctx.community_id).update(slug=wanted)
                await slugs.move(ctx.community_id, before.slug, wanted)  # the old address keeps leading here
        except IntegrityError:
            raise Refusal(N_("Another community's board is at /c/{slug}/ already; choose another address."),
                          slug=wanted) from None
        link = address(wanted)
        ctx.reply(ctx.t("The board of {community} is now at {link}; the old address leads there too.",
                        community=_name(ctx), link=link or f"/c/{wanted}/"))

    @command("board", aliases=("看板", "公示栏"), needs_person=False,
             subcommands=(make_private, make_public, change_slug),
             help=N_("The link to this community's web board, with a QR code to print; organizers can make it "
                     "private or public, or change its address"))
    async def board(ctx: CommandContext) -> None:
        community = await Community.get(id=ctx.community_id)
        slug = await slugs.slug_of(community)
        if community.board_private:
            ctx.reply(ctx.t(PRIVATE, community=community.name))
            return
        link = address(slug)
        if link is None:
            ctx.reply(ctx.t(NO_ADDRESS, community=community.name, slug=slug))
            return
        ctx.reply(ctx.t("The board of {community}: {link}\nThe QR code leads there too; print it for the notice "
                        "board.", community=community.name, link=link),
                  files=[OutgoingFile(f"board-{slug}.png", qr_png(link), kind="photo", mime_type="image/png")])

    return [board]
