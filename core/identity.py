"""People, their platform accounts, communities, the chats bound to them, and memberships.

A person (:class:`User`) may reach the bot from several platforms (:class:`Identity`); a community
(:class:`Community`) may live in several chats (:class:`Channel`); what a person may do in a community is
their :class:`Membership`. Everything a plugin stores refers to ``User`` and ``Community`` ids, never to
platform accounts, so a person keeps their points when they move from Telegram to Matrix.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.events import ChannelRef, IdentityRef
from core.permissions import Role


class User(Model):
    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=128)
    language = fields.CharField(max_length=8, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "linli_user"


class Identity(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    platform_user_id = fields.CharField(max_length=128)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="identities", on_delete=fields.CASCADE
    )
    display_name = fields.CharField(max_length=128)
    username = fields.CharField(max_length=128, null=True, db_index=True)

    class Meta:
        table = "linli_identity"
        unique_together = (("platform", "platform_user_id"),)


class Community(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    language = fields.CharField(max_length=8, default="zh_CN")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "linli_community"


class Channel(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    chat_id = fields.CharField(max_length=128)
    title = fields.CharField(max_length=256, default="")
    is_direct = fields.BooleanField(default=False)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "core.Community", related_name="channels", on_delete=fields.CASCADE
    )

    class Meta:
        table = "linli_channel"
        unique_together = (("platform", "chat_id"),)

    def ref(self) -> ChannelRef:
        return ChannelRef(self.platform, self.chat_id, self.title, self.is_direct)


class Membership(Model):
    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "core.Community", related_name="memberships", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="memberships", on_delete=fields.CASCADE
    )
    roles: fields.Field[list[str]] = fields.JSONField(default=list)
    verified_resident = fields.BooleanField(default=False)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "linli_membership"
        unique_together = (("community", "user"),)

    def role_set(self) -> set[str]:
        return {Role.RESIDENT.value, *self.roles}


async def user_for(ref: IdentityRef) -> User:
    """The person behind a platform account, created on first sight; names follow the platform."""
    identity = await Identity.get_or_none(platform=ref.platform, platform_user_id=ref.user_id).select_related(
        "user"
    )
    if identity is not None:
        if identity.display_name != ref.display_name or identity.username != ref.username:
            identity.display_name, identity.username = ref.display_name, ref.username
            await identity.save(update_fields=["display_name", "username"])
            identity.user.display_name = ref.display_name
            await identity.user.save(update_fields=["display_name"])
        return identity.user
    try:
        async with in_transaction():
            user = await User.create(display_name=ref.display_name, language=ref.language)
            await Identity.create(
                platform=ref.platform,
                platform_user_id=ref.user_id,
                user=user,
                display_name=ref.display_name,
                username=ref.username,
            )
            return user
    except IntegrityError:  # the same account arrived twice at once: the other insert won
        identity = await Identity.get(platform=ref.platform, platform_user_id=ref.user_id).select_related("user")
        return identity.user


async def membership_for(community_id: int, user_id: int) -> Membership:
    """A person's membership, created as a plain resident the first time they speak in the community."""
    membership = await Membership.get_or_none(community_id=community_id, user_id=user_id)
    if membership is not None:
        return membership
    try:
        async with in_transaction():
            return await Membership.create(community_id=community_id, user_id=user_id, roles=[])
    except IntegrityError:
        return await Membership.get(community_id=community_id, user_id=user_id)


async def community_for_channel(channel: ChannelRef) -> Community | None:
    row = await Channel.get_or_none(platform=channel.platform, chat_id=channel.chat_id).select_related("community")
    return row.community if row else None


async def find_members_by_name(community_id: int, platform: str, name: str) -> list[User]:
    """Who ``@name`` typed in a chat can mean in this community, most specific match first.

    A platform username is unique, so it wins; display names are not, so several people may match and
    the caller must ask which one is meant rather than pick one.
    """
    name = name.lstrip("@")
    searches = (
        {"platform": platform, "username": name},
        {"platform": platform, "display_name": name},
        {"username": name},
        {"display_name": name},
    )
    for filters in searches:
        identities = await Identity.filter(user__memberships__community_id=community_id, **filters).select_related(
            "user"
        )
        users = {i.user.id: i.user for i in identities}
        if users:
            return list(users.values())
    return []


async def erase_user(user_id: int, pseudonym: str) -> None:
    """Forget who a person is (``/forgetme``), keeping the user id their community records point to.

    The name becomes ``pseudonym`` and the language setting goes; every platform account is deleted, so the
    next message from one of them meets a new, unknown person. Memberships stay, so the community's totals
    and rankings still add up, but without roles or the verified-resident mark: those say something about
    the person, and a pseudonym cannot hold a role anyway.
    """
    await User.filter(id=user_id).update(display_name=pseudonym, language=None)
    await Identity.filter(user_id=user_id).delete()
    await Membership.filter(user_id=user_id).update(roles=[], verified_resident=False)
