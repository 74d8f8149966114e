"""Core commands about communities and people: /setup, /grant, /revoke, /whoami, /language."""

from __future__ import annotations

from core.arguments import Arg, Choice, Mention, Rest
from core.commands import command
from core.context import CommandContext
from core.events import CommunityCreated, RoleChanged
from core.i18n import LANGUAGES, N_
from core.identity import Channel, Community, Membership, User, membership_for
from core.permissions import ROLE_ALIASES, ROLE_LABELS, Role, allows
from core.points import balance_of

JOIN_WORDS = ("join", "加入")
ROLE_CHOICE = Choice(ROLE_ALIASES, shown=("volunteer", "organizer", "property_manager", "admin"))


@command(
    "setup",
    aliases=("设置社区",),
    args=(Arg("name", Rest(max_length=128), label=N_("community name")),),
    needs_community=False,
    help=N_("Set this chat up as a community (chat admins), or `/setup join <community>` to add it to one"),
)
async def setup(ctx: CommandContext, name: str) -> None:
    t = ctx.t
    if ctx.event.channel.is_direct:
        ctx.reply(t("Please run /setup in the group chat of your community, not in a private chat."))
        return
    if ctx.community is not None:
        ctx.reply(t("This chat already belongs to {community}.", community=ctx.community.name))
        return
    words = name.split(None, 1)
    if words[0].lower() in JOIN_WORDS:
        await _join(ctx, words[1].strip() if len(words) > 1 else "")
        return
    if not ctx.event.sender.is_chat_admin:
        ctx.reply(t("Only an admin of this chat can set it up as a community."))
        return
    if await Community.exists(name=name):
        ctx.reply(t("A community called {name} already exists. An organizer of it can add this chat with "
                    "/setup join {name}.", name=name))
        return
    community = await Community.create(name=name, language=ctx.app.settings.language)
    await Channel.create(
        platform=ctx.event.channel.platform, chat_id=ctx.event.channel.chat_id,
        title=ctx.event.channel.title[:256], community=community,
    )
    await Membership.create(community=community, user=ctx.user, roles=[Role.ORGANIZER.value])
    ctx.uow.on_commit(lambda: ctx.app.bind_channel(ctx.event.channel.key, community))
    ctx.community = community
    t = ctx.t = ctx.app.translator(community.language)
    ctx.publish(CommunityCreated(community_id=community.id, name=name, organizer_user_id=ctx.user.id))
    ctx.reply(t("Community {name} is set up. {user} is its organizer. Send /help to see what I can do.",
                name=name, user=await ctx.name(ctx.user.id)))


async def _join(ctx: CommandContext, name: str) -> None:
    t = ctx.t
    community = await Community.get_or_none(name=name) if name else None
    if community is None:
        ctx.reply(t("There is no community called {name}.", name=name or "?") + "\n"
                  + t("Usage: {usage}", usage="/setup join <community>"))
        return
    membership = await Membership.get_or_none(community=community, user=ctx.user)
    if membership is None or not allows(membership.roles, Role.ORGANIZER):
        ctx.reply(t("Only an organizer of {community} can add a chat to it.", community=name))
        return
    await Channel.create(
        platform=ctx.event.channel.platform, chat_id=ctx.event.channel.chat_id,
        title=ctx.event.channel.title[:256], community=community,
    )
    ctx.uow.on_commit(lambda: ctx.app.bind_channel(ctx.event.channel.key, community))
    ctx.community = community
    ctx.t = ctx.app.translator(community.language)
    ctx.reply(ctx.t("This chat now belongs to {community}.", community=name))


@command(
    "grant",
    aliases=("授予",),
    args=(Arg("user", Mention(), label=N_("user")), Arg("role", ROLE_CHOICE, label=N_("role"))),
    role=Role.ORGANIZER,
    help=N_("Give someone a role"),
)
async def grant(ctx: CommandContext, user: User, role: Role) -> None:
    await _change_role(ctx, user, role, granted=True)


@command(
    "revoke",
    aliases=("撤销",),
    args=(Arg("user", Mention(), label=N_("user")), Arg("role", ROLE_CHOICE, label=N_("role"))),
    role=Role.ORGANIZER,
    help=N_("Take a role away from someone"),
)
async def revoke(ctx: CommandContext, user: User, role: Role) -> None:
    await _change_role(ctx, user, role, granted=False)


async def _change_role(ctx: CommandContext, user: User, role: Role, *, granted: bool) -> None:
    t = ctx.t
    if role is Role.RESIDENT:
        ctx.reply(t("Everyone in the community is a resident; there is nothing to change."))
        return
    if role is Role.ADMIN and not ctx.has_role(Role.ADMIN):
        ctx.reply(t("Only an admin can change the admin role."))
        return
    membership = await membership_for(ctx.community_id, user.id)
    roles = set(membership.roles)
    name = await ctx.name(user.id)
    label = t(ROLE_LABELS[role])
    if granted == (role.value in roles):
        if granted:
            ctx.reply(t("{user} is already a {role}.", user=name, role=label))
        else:
            ctx.reply(t("{user} is not a {role}.", user=name, role=label))
        return
    if not granted and role is Role.ORGANIZER:
        organizers = [m for m in await Membership.filter(community_id=ctx.community_id) if "organizer" in m.roles]
        if len(organizers) <= 1:
            ctx.reply(t("{user} is the last organizer; grant the role to someone else first.", user=name))
            return
    roles.symmetric_difference_update({role.value})
    membership.roles = sorted(roles)
    await membership.save(update_fields=["roles"])
    ctx.publish(RoleChanged(community_id=ctx.community_id, user_id=user.id, role=role.value, granted=granted,
                            by_user_id=ctx.user.id))
    if granted:
        ctx.reply(t("{user} is now a {role}.", user=name, role=label))
    else:
        ctx.reply(t("{user} is no longer a {role}.", user=name, role=label))


@command("whoami", aliases=("我是谁",), needs_community=False, help=N_("Show your name, roles and points"))
async def whoami(ctx: CommandContext) -> None:
    t = ctx.t
    if ctx.community is None or ctx.membership is None:
        ctx.reply(t("You are {user}. This chat is not set up as a community yet.", user=ctx.user.display_name))
        return
    held = [Role(r) for r in ctx.membership.role_set() if r in Role._value2member_map_]
    roles = [t(ROLE_LABELS[role]) for role in sorted(held, key=list(Role).index)]
    ctx.reply(t("You are {user} in {community}. Roles: {roles}. Points: {points}.",
                user=await ctx.name(ctx.user.id), community=ctx.community.name, roles=", ".join(roles),
                points=await balance_of(ctx.community_id, ctx.user.id)))


@command(
    "language",
    aliases=("语言",),
    args=(Arg("language", Choice({"zh_cn": "zh_CN", "zh": "zh_CN", "中文": "zh_CN", "en": "en", "english": "en",
                                   "英文": "en"}, shown=LANGUAGES), label=N_("language")),),
    role=Role.ORGANIZER,
    help=N_("Choose the language the bot speaks in this community"),
)
async def language(ctx: CommandContext, language: str) -> None:
    community = ctx.community
    assert community is not None
    community.language = language
    await community.save(update_fields=["language"])
    ctx.app.remember_language(community)
    ctx.t = ctx.app.translator(language)
    ctx.reply(ctx.t("From now on I speak English in this community."))


COMMANDS = [setup, grant, revoke, whoami, language]
