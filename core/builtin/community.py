"""Communities and people: /setup, /grant, /revoke, /whoami, /language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.arguments import Arg, Choice, Mention, Rest
from core.builtin.topics import topic_command
from core.commands import Command, command
from core.context import CommandContext
from core.events import CommunityCreated, LanguageChanged, RoleChanged
from core.i18n import N_
from core.identity import Channel, Community, Membership, User, membership_for
from core.permissions import ROLE_ALIASES, ROLE_LABELS, ROLE_WITH_ARTICLE, Role, allows
from core.points import balance_of
from core.refusal import Refusal
from core.router import NEEDS_PERSON
from core.web.slugs import slug_of

if TYPE_CHECKING:
    from core.app import Application

JOIN_WORDS = ("join", "加入")
ADMINS_LOADING = N_("I cannot tell yet whether you are an admin of this chat. Please try again in a moment.")
ROLE_CHOICE = Choice(ROLE_ALIASES, shown=(N_("volunteer"), N_("organizer"), N_("property_manager"), N_("admin")))
#: Shown as msgids, so a Chinese community reads <中文|英文> and an English one <zh_CN|en>.
LANGUAGE_CHOICE = Choice({"zh_cn": "zh_CN", "zh": "zh_CN", "中文": "zh_CN", "en": "en", "english": "en", "英文": "en"},
                         shown=(N_("zh_CN"), N_("en")))


def commands(app: Application) -> list[Command]:
    def bind(ctx: CommandContext, community: Community) -> None:
        key = ctx.event.channel.key
        ctx.uow.on_commit(lambda: app.bind_channel(key, community))

    @command(
        "setup",
        aliases=("设置社区",),
        args=(Arg("name", Rest(max_length=128), label=N_("community name")),),
        needs_community=False,
        needs_person=False,
        subcommands=(topic_command(),),
        help=N_("Set this chat up as a community (chat admins), or `/setup join <community>` to add it to one"),
    )
    async def setup(ctx: CommandContext, name: str) -> None:
        t = ctx.t
        if ctx.event.channel.is_direct:
            raise Refusal(N_("Please run /setup in the group chat of your community, not in a private chat."))
        if ctx.community is not None:
            if await recover_organizer(ctx, ctx.community):
                return
            raise Refusal(N_("This chat already belongs to {community}."), community=ctx.community.name)
        words = name.split(None, 1)
        if words[0].lower() in JOIN_WORDS:
            if ctx.event.sender.as_group:  # joining needs an organizer of that community: a person
                raise Refusal(NEEDS_PERSON, name="setup join")
            await join(ctx, words[1].strip() if len(words) > 1 else "")
            return
        if not ctx.event.sender.is_chat_admin:
            if ctx.event.sender.admin_unknown:  # the platform is still asking who the admins are
                raise Refusal(ADMINS_LOADING)
            raise Refusal(N_("Only an admin of this chat can set it up as a community."))
        if await Community.exists(name=name):
            raise Refusal(N_("A community called {name} already exists. An organizer of it can add this chat with "
                             "/setup join {name}."), name=name)
        community = await Community.create(name=name, language=app.settings.language)
        await slug_of(community)  # its board's address /c/<slug>/ exists from the start
        await Channel.create(
            platform=ctx.event.channel.platform, chat_id=ctx.event.channel.chat_id,
            title=ctx.event.channel.title[:256], community=community,
        )
        if ctx.event.sender.as_group:  # the chat's admins, anonymously: nobody is made organizer by it
            bind(ctx, community)
            ctx.enter(community)
            ctx.reply(ctx.t("Community {name} is set up by the group's admins. Nobody is its organizer yet: an admin "
                            "who writes as themselves becomes one with /setup.", name=name))
            return
        await Membership.create(community=community, user=ctx.user, roles=[Role.ORGANIZER.value])
        bind(ctx, community)
        ctx.enter(community)
        t = ctx.t
        ctx.publish(CommunityCreated(community_id=community.id, name=name, organizer_user_id=ctx.user.id))
        ctx.reply(t("Community {name} is set up. {user} is its organizer. Send /help to see what I can do.",
                    name=name, user=await ctx.name(ctx.user.id)))

    async def recover_organizer(ctx: CommandContext, community: Community) -> bool:
        """An admin of a chat bound to the community is always its organizer again by sending /setup there:
        otherwise a second organizer could /revoke the group's own admin, who would have no way back."""
        membership = ctx.membership
        if ctx.event.sender.admin_unknown and membership is not None and Role.ORGANIZER.value not in membership.roles:
            raise Refusal(ADMINS_LOADING)
        if not ctx.event.sender.is_chat_admin or ctx.event.sender.as_group or membership is None \
                or Role.ORGANIZER.value in membership.roles:
            return False
        membership.roles = sorted({*membership.roles, Role.ORGANIZER.value})
        await membership.save(update_fields=["roles"])
        ctx.publish(RoleChanged(community_id=community.id, user_id=ctx.user.id, role=Role.ORGANIZER.value,
                                granted=True, by_user_id=ctx.user.id))
        ctx.reply(ctx.t("You are an admin of this chat, so you are an organizer of {community} again.",
                        community=community.name))
        return True

    async def join(ctx: CommandContext, name: str) -> None:
        if not name:
            raise Refusal(N_("Which community should this chat join? Send /setup join <community name>."))
        community = await Community.get_or_none(name=name)
        if community is None:
            raise Refusal(N_("There is no community called {name}."), name=name)
        membership = await Membership.get_or_none(community=community, user=ctx.user)
        if membership is None or not allows(membership.roles, Role.ORGANIZER):
            raise Refusal(N_("Only an organizer of {community} can add a chat to it."), community=name)
        await Channel.create(
            platform=ctx.event.channel.platform, chat_id=ctx.event.channel.chat_id,
            title=ctx.event.channel.title[:256], community=community,
        )
        bind(ctx, community)
        ctx.enter(community)
        ctx.reply(ctx.t("This chat now belongs to {community}.", community=name))

    role_args = (Arg("user", Mention(), label=N_("user")), Arg("role", ROLE_CHOICE, label=N_("role")))

    @command("grant", aliases=("授予",), args=role_args, role=Role.ORGANIZER, help=N_("Give someone a role"))
    async def grant(ctx: CommandContext, user: User, role: Role) -> None:
        await change_role(ctx, user, role, granted=True)

    @command("revoke", aliases=("撤销",), args=role_args, role=Role.ORGANIZER, help=N_("Take a role away from someone"))
    async def revoke(ctx: CommandContext, user: User, role: Role) -> None:
        await change_role(ctx, user, role, granted=False)

    async def change_role(ctx: CommandContext, user: User, role: Role, *, granted: bool) -> None:
        t = ctx.t
        if role is Role.RESIDENT:
            raise Refusal(N_("Everyone in the community is a resident; there is nothing to change."))
        if role is Role.ADMIN and not ctx.has_role(Role.ADMIN):
            raise Refusal(N_("Only an admin can change the admin role."))
        membership = await membership_for(ctx.community_id, user.id)
        roles = set(membership.roles)
        name = await ctx.name(user.id)
        label = t(ROLE_WITH_ARTICLE[role])
        if granted == (role.value in roles):
            if granted:
                raise Refusal(N_("{user} is already {role}."), user=name, role=label)
            raise Refusal(N_("{user} is not {role}."), user=name, role=label)
        if not granted and role is Role.ORGANIZER:
            organizers = [m for m in await Membership.filter(community_id=ctx.community_id) if "organizer" in m.roles]
            if len(organizers) <= 1:
                raise Refusal(N_("{user} is the last organizer; grant the role to someone else first."), user=name)
        roles.symmetric_difference_update({role.value})
        membership.roles = sorted(roles)
        await membership.save(update_fields=["roles"])
        ctx.publish(RoleChanged(community_id=ctx.community_id, user_id=user.id, role=role.value, granted=granted,
                                by_user_id=ctx.user.id))
        if granted:
            ctx.reply(t("{user} is now {role}.", user=name, role=label))
        else:
            ctx.reply(t("{user} is no longer {role}.", user=name, role=label))

    @command("whoami", aliases=("我是谁",), needs_community=False, help=N_("Show your name, roles and points"))
    async def whoami(ctx: CommandContext) -> None:
        t = ctx.t
        if ctx.community is None or ctx.membership is None:
            ctx.reply(t("You are {user}. This chat is not set up as a community yet.", user=ctx.user.display_name))
            return
        held = [Role(r) for r in ctx.membership.role_set() if r in Role._value2member_map_]
        roles = [t(ROLE_LABELS[role]) for role in sorted(held, key=list(Role).index)]
        balance = await balance_of(ctx.community_id, ctx.user.id)
        text = t("You are {user} in {community}. Roles: {roles}. Points: {points}.",
                 user=await ctx.name(ctx.user.id), community=ctx.community.name, roles=t(", ").join(roles),
                 points=balance)
        # What plugins tell the person about themselves may be private (a badge not shown): in a group it goes
        # to them alone, after the public line.
        own = await app.whoami_lines(ctx.community_id, ctx.user.id, t.language, hint=ctx.hint)
        if own and ctx.event.channel.is_direct:
            text = "\n".join([text, *own])
        ctx.reply(text)
        if own and not ctx.event.channel.is_direct:
            ctx.reply("\n".join(own), private=True)

    @command("language", aliases=("语言",), args=(Arg("language", LANGUAGE_CHOICE, label=N_("language")),),
             role=Role.ORGANIZER, help=N_("Choose the language the bot speaks in this community"))
    async def language(ctx: CommandContext, language: str) -> None:
        community = ctx.community
        assert community is not None
        community.language = language
        await community.save(update_fields=["language"])
        ctx.uow.on_commit(lambda: app.remember_language(community))
        ctx.publish(LanguageChanged(community_id=community.id, language=language, by_user_id=ctx.user.id))
        ctx.enter(community)
        ctx.reply(ctx.t("From now on I speak English in this community."))

    return [setup, grant, revoke, whoami, language]
