"""People, their platform accounts, communities, the chats bound to them, and memberships.

A person (:class:`User`) may reach the bot from several platforms (:class:`Identity`); a community
(:class:`Community`) may live in several chats (:class:`Channel`); what a person may do in a community is
their :class:`Membership`. Everything a plugin stores refers to ``User`` and ``Community`` ids, never to
platform accounts, so a person keeps their points when they move from Telegram to Matrix.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.queryset import BulkUpdateQuery, DeleteQuery, UpdateQuery
from tortoise.signals import post_delete, post_save
from tortoise.transactions import in_transaction

from core.events import ChannelRef, IdentityRef
from core.permissions import Role
from core.storage import fetch
from core.unit_of_work import after_this_commit


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
        #: ``@name`` looks for a username or a display name: with both indexed, neither scans every account
        indexes = (("display_name",),)


class Community(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    language = fields.CharField(max_length=8, default="zh_CN")
    created_at = fields.DatetimeField(auto_now_add=True)
    slug = fields.CharField(max_length=64, null=True, unique=True,
                            description="The board's address /c/<slug>/: pinyin of the name, changed by /board slug.")
    board_private = fields.BooleanField(default=False, db_default=False,  # existing rows: public
                                        description="True: the web board answers 404 (/board private).")

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


_MEMBERS_NAMED = (
    "SELECT u.id, u.display_name, u.language, u.created_at, i.platform, i.username, i.display_name AS identity_name "
    "FROM linli_identity i JOIN linli_user u ON u.id = i.user_id "
    "JOIN linli_membership m ON m.user_id = u.id AND m.community_id = ? "
    "WHERE i.username = ? OR i.display_name = ? ORDER BY i.id")


async def find_members_by_name(community_id: int, platform: str, name: str) -> list[User]:
    """Who ``@name`` typed in a chat can mean in this community, most specific match first.

    A platform username is unique, so it wins; display names are not, so several people may match and
    the caller must ask which one is meant rather than pick one.
    """
    name = name.lstrip("@")
    rows = await fetch(_MEMBERS_NAMED, community_id, name, name)  # one query for the four searches
    searches: tuple[Callable[[Any], bool], ...] = (
        lambda r: r["platform"] == platform and r["username"] == name,
        lambda r: r["platform"] == platform and r["identity_name"] == name,
        lambda r: r["username"] == name,
        lambda r: r["identity_name"] == name,
    )
    for matches in searches:
        users: dict[int, User] = {}
        for row in rows:
            if matches(row) and row["id"] not in users:
                users[int(row["id"])] = User._init_from_db(
                    id=row["id"], display_name=row["display_name"], language=row["language"],
                    created_at=row["created_at"])
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


# -- the identity cache -------------------------------------------------------------------------------
ModelT = TypeVar("ModelT", bound=Model)
CACHE_SIZE = 20_000


def _copied(value: Any) -> Any:
    """JSON values (a list of roles) are copied, so a handler changing its object changes no entry."""
    return copy.deepcopy(value) if isinstance(value, list | dict) else value


def snapshot(row: Model) -> dict[str, Any]:
    """A row's stored fields, copied: what the cache keeps (never the object a handler may change)."""
    return {name: _copied(row.__dict__[name]) for name in row._meta.fields_db_projection if name in row.__dict__}


def rebuild(model: type[ModelT], fields_: dict[str, Any]) -> ModelT:
    """A fresh model object from a snapshot, as if just read from the database (the values are Python
    values already, so none is converted again: this is what makes a hit cheap). The snapshot's names are
    instance attributes (they were read from a row's ``__dict__``), so they are put there in one step, and
    only the JSON values are copied."""
    row = model.__new__(model)
    state = row.__dict__
    state.update(fields_)
    for name in _json_fields(model):
        if name in state:
            state[name] = _copied(state[name])
    state["_partial"] = False
    state["_saved_in_db"] = True
    state["_custom_generated_pk"] = model._meta.db_pk_column not in model._meta.generated_db_fields
    state["_await_when_save"] = {}
    return row


@functools.cache
def _json_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(name for name, field in model._meta.fields_map.items() if isinstance(field, fields.JSONField))


class IdentityCache:
    """Who a platform account is, which community a chat belongs to, and memberships, served from memory.

    Every command needs all three before it can do anything (three indexed reads, each rebuilt by the
    query builder: half of a trivial command's time). Entries are put only once the transaction that read
    them has committed, and only if nothing changed that key meanwhile: every save or delete of these
    models (Tortoise's signals) and every bulk update (:func:`forget`) bumps a version, and a snapshot
    read before the bump is not put. Bounded (least recently used goes first). Another process's changes
    arrive with :meth:`clear` on every ``plugins.refresh_seconds`` (like plugin states and chat bindings),
    or at once through :meth:`forget`, which is the hook a cross-process invalidation (a broker message)
    calls.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._rows: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._versions: dict[tuple[Any, ...], int] = {}
        self._epoch = 0
        self.hits = 0
        self.misses = 0

    def version(self, key: tuple[Any, ...]) -> tuple[int, int]:
        return self._epoch, self._versions.get(key, 0)

    def get(self, key: tuple[Any, ...]) -> Any:
        value = self._rows.get(key)
        if value is None:
            self.misses += 1
            return None
        self._rows.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: tuple[Any, ...], value: Any, seen: tuple[int, int]) -> None:
        """Keep ``value`` unless the key changed since it was read (``seen``, from :meth:`version`)."""
        if self.version(key) != seen:
            return
        self._rows[key] = value
        self._rows.move_to_end(key)
        while len(self._rows) > self.size:
            old, _ = self._rows.popitem(last=False)
            self._versions.pop(old, None)

    def forget(self, *keys: tuple[Any, ...]) -> None:
        """Drop ``keys`` (no keys: everything); a read of them still in flight will not be kept either."""
        if not keys:
            self.clear()
            return
        for key in keys:
            self._rows.pop(key, None)
            self._versions[key] = self._versions.get(key, 0) + 1

    def clear(self) -> None:
        self._rows.clear()
        self._versions.clear()
        self._epoch += 1


#: The process's cache; the application clears it when it re-reads shared state.
identity_cache = IdentityCache()


def forget(*keys: tuple[Any, ...]) -> None:
    """Tell the cache that rows changed behind the models' backs (a bulk ``update``): call after one.

    Forgotten now and again after the commit: a concurrent transaction (PostgreSQL) may still read and
    keep the old row until this one commits."""
    identity_cache.forget(*keys)
    after_this_commit(lambda: identity_cache.forget(*keys))


def _user_key(platform: str, platform_user_id: str) -> tuple[Any, ...]:
    return ("identity", platform, platform_user_id)


def _name_key(user_id: int) -> tuple[Any, ...]:
    return ("name", user_id)


def _channel_key(platform: str, chat_id: str) -> tuple[Any, ...]:
    return ("channel", platform, chat_id)


def _membership_key(community_id: int, user_id: int) -> tuple[Any, ...]:
    return ("membership", community_id, user_id)


def _group_chats_key(community_id: int) -> tuple[Any, ...]:
    return ("group chats", community_id)


async def _saved(sender: type[Model], instance: Model, created: bool, *_rest: Any) -> None:
    if isinstance(instance, Channel) and not instance.is_direct:  # a community's list of group chats changed
        forget()  # (and maybe the list of another community it was moved from): rare, so everything goes
    elif not created:  # no other entry can hold a row that did not exist (nothing absent is cached)
        await _changed(sender, instance)


async def _changed(sender: type[Model], instance: Model, *_rest: Any) -> None:
    if isinstance(instance, Membership):
        forget(_membership_key(instance.community_id, instance.user_id))  # type: ignore[attr-defined]
    elif isinstance(instance, Identity):
        forget(_user_key(instance.platform, instance.platform_user_id))
    elif isinstance(instance, Channel):
        forget(_channel_key(instance.platform, instance.chat_id),
               _group_chats_key(instance.community_id))  # type: ignore[attr-defined]
    else:  # a User or a Community is inside other entries: rare, so everything goes
        forget()


_CACHED_MODELS: tuple[type[Model], ...] = (User, Identity, Community, Channel, Membership)
for _model in _CACHED_MODELS:
    post_save(_model)(_saved)
    post_delete(_model)(_changed)


def _watch_bulk_writes() -> None:
    """A queryset's ``update``/``delete``/``bulk_update`` sends no signal, and any module (a plugin's
    roster, ``/link``'s merge) may run one on these models: each forgets the whole cache, so none of them
    has to remember to (they are rare; a command's reads are not)."""
    for cls, name in ((UpdateQuery, "_execute"), (DeleteQuery, "_execute"), (BulkUpdateQuery, "_execute_many")):
        original = getattr(cls, name)

        async def watched(self: Any, *args: Any, _original: Any = original) -> Any:
            result = await _original(self, *args)
            if self.model in _CACHED_MODELS:
                forget()
            return result

        setattr(cls, name, watched)


_watch_bulk_writes()


async def cached_user_for(ref: IdentityRef, on_commit: Callable[[Callable[[], None]], None]) -> User:
    """:func:`user_for`, from memory when the account and its names are as last committed."""
    key = _user_key(ref.platform, ref.user_id)
    hit = identity_cache.get(key)
    if hit is not None and hit[0] == (ref.display_name, ref.username):
        return rebuild(User, hit[1])
    seen = identity_cache.version(key)
    user = await user_for(ref)
    name_key, name_seen = _name_key(user.id), identity_cache.version(_name_key(user.id))
    kept = ((ref.display_name, ref.username), snapshot(user))

    def keep() -> None:
        identity_cache.put(key, kept, seen)
        identity_cache.put(name_key, user.display_name, name_seen)

    on_commit(keep)
    return user


def cached_names(user_ids: list[int]) -> dict[int, str]:
    """The display names of those of ``user_ids`` the cache holds (as last committed)."""
    found = {uid: identity_cache.get(_name_key(uid)) for uid in user_ids}
    return {uid: name for uid, name in found.items() if name is not None}


async def cached_channel_community(channel: ChannelRef,
                                   on_commit: Callable[[Callable[[], None]], None]) -> Community | None:
    """The community a chat is bound to (None: not bound), from memory once seen."""
    key = _channel_key(channel.platform, channel.chat_id)
    hit = identity_cache.get(key)
    if hit is not None:
        return rebuild(Community, hit)
    seen = identity_cache.version(key)
    community = await community_for_channel(channel)
    if community is not None:
        kept = snapshot(community)
        on_commit(lambda: identity_cache.put(key, kept, seen))
    return community


async def cached_group_chats(community_id: int,
                             on_commit: Callable[[Callable[[], None]], None]) -> tuple[ChannelRef, ...]:
    """The community's group chats on every platform, from memory once committed: for spelling the
    commands a reply suggests (asked by every such reply), where a list up to ``plugins.refresh_seconds``
    behind another worker process does no harm; not for choosing where to send."""
    key = _group_chats_key(community_id)
    hit = identity_cache.get(key)
    if hit is not None:
        return cast(tuple[ChannelRef, ...], hit)
    seen = identity_cache.version(key)
    rows = await Channel.filter(community_id=community_id, is_direct=False).order_by("id")
    chats = tuple(row.ref() for row in rows)  # frozen: shared by every reader as it is
    on_commit(lambda: identity_cache.put(key, chats, seen))
    return chats


async def cached_membership_for(community_id: int, user_id: int,
                                on_commit: Callable[[Callable[[], None]], None]) -> Membership:
    """:func:`membership_for`, from memory once committed."""
    key = _membership_key(community_id, user_id)
    hit = identity_cache.get(key)
    if hit is not None:
        return rebuild(Membership, hit)
    seen = identity_cache.version(key)
    membership = await membership_for(community_id, user_id)
    kept = snapshot(membership)
    on_commit(lambda: identity_cache.put(key, kept, seen))
    return membership
