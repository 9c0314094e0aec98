"""The stand-in's state: users, guilds, roles, channels, messages, and their JSON shapes."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.standin import permissions as P

DISCORD_EPOCH_MS = 1420070400000
TEXT, DM, CATEGORY, ANNOUNCEMENT = 0, 1, 4, 5
ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 10, 11, 12
FORUM = 15
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)


class Snowflakes:
    """Monotonic snowflakes with real timestamps, so discord.py's created_at is sane."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (next(self._counter) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name or self.username,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow),
                "deny": str(self.deny)}


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Channel:
    id: int
    type: int
    name: str
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    message_count: int = 0
    applied_tags: list[int] = field(default_factory=list)
    # forums
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    require_tag: bool = False
    # DMs
    recipient_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> dict[str, Any]:
        if self.type == DM:
            return {"id": str(self.id), "type": DM, "last_message_id": None, "flags": 0,
                    "recipients": []}
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "guild_id": str(self.guild_id),
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "flags": 16 if self.require_tag else 0,
            "nsfw": False,
            "rate_limit_per_user": 0,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                member_count=1,
                total_message_sent=self.message_count,
                applied_tags=[str(t) for t in self.applied_tags],
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso_now(),
                    "locked": self.locked,
                    "create_timestamp": iso_now(),
                },
            )
        else:
            data["permission_overwrites"] = [ow.payload() for ow in self.overwrites]
            data["topic"] = self.topic
            data["last_message_id"] = None
        if self.type == FORUM:
            data.update(available_tags=self.available_tags, default_reaction_emoji=None,
                        default_sort_order=None, default_forum_layout=0,
                        default_thread_rate_limit_per_user=0)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    bot_present: bool = True

    def payload(self) -> dict[str, Any]:
        """GET /guilds/{id} shape (no channels or members)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": ["COMMUNITY", "NEWS"],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    def create_payload(self) -> dict[str, Any]:
        """GUILD_CREATE shape: the guild with channels, threads and members."""
        data = self.payload()
        data.update(
            unavailable=False,
            large=False,
            member_count=len(self.members),
            joined_at=iso_now(),
            channels=[c.payload() for c in self.channels.values() if not c.is_thread],
            threads=[c.payload() for c in self.channels.values() if c.is_thread and not c.archived],
            members=[m.payload() for m in self.members.values()],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def role(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(name)

    def channel(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(name)


@dataclass
class Pings:
    """Who a message would actually notify."""

    everyone: bool = False
    roles: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)

    @property
    def anyone(self) -> bool:
        return self.everyone or bool(self.roles) or bool(self.users)


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    allowed_mentions: dict[str, Any] | None = None
    pings: Pings = field(default_factory=Pings)
    message_reference: dict[str, Any] | None = None
    interaction_id: int | None = None
    webhook_id: int | None = None
    type: int = 0
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    thread_id: int | None = None
    reactions: set[str] = field(default_factory=set)
    pinned: bool = False
    created_monotonic: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def payload(self, member: Member | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content,
            "author": self.author.payload(),
            "embeds": self.embeds,
            "components": self.components,
            "attachments": self.attachments,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
            "mentions": [],
            "mention_roles": [str(r) for r in sorted(self.pings.roles)],
            "mention_everyone": self.pings.everyone,
            "pinned": self.pinned,
            "tts": False,
            "reactions": [],
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if member is not None:
            data["member"] = member.payload(with_user=False)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.message_reference:
            data["message_reference"] = self.message_reference
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.interaction_id is not None:
            data["interaction_metadata"] = {"id": str(self.interaction_id), "type": 2,
                                            "user": self.author.payload()}
        if self.thread_id is not None:
            data["position"] = 0
        return data


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def compute_pings(guild: Guild | None, content: str, allowed: dict[str, Any] | None,
                  author_perms: int, reply_to: Message | None = None) -> Pings:
    """Who Discord would notify for this content under these allowed_mentions."""
    pings = Pings()
    if allowed is None:
        parse = {"everyone", "users", "roles"}
        allow_users: set[int] = set()
        allow_roles: set[int] = set()
        replied = True
    else:
        parse = set(allowed.get("parse") or [])
        allow_users = {int(u) for u in allowed.get("users") or []}
        allow_roles = {int(r) for r in allowed.get("roles") or []}
        replied = bool(allowed.get("replied_user", False))
    can_everyone = P.has(author_perms, P.MENTION_EVERYONE)
    if ("@everyone" in content or "@here" in content) and "everyone" in parse and can_everyone:
        pings.everyone = True
    for raw in _USER_MENTION.findall(content):
        uid = int(raw)
        if "users" in parse or uid in allow_users:
            pings.users.add(uid)
    if guild is not None:
        for raw in _ROLE_MENTION.findall(content):
            rid = int(raw)
            role = guild.roles.get(rid)
            if role is None:
                continue
            if ("roles" in parse or rid in allow_roles) and (role.mentionable or can_everyone):
                pings.roles.add(rid)
    if reply_to is not None and replied:
        pings.users.add(reply_to.author.id)
    return pings


@dataclass
class World:
    """Everything the stand-in knows. Tests reach in by name: world.guild, world.member("mod")."""

    snowflakes: Snowflakes
    bot: User
    application_id: int
    token: str
    guilds: dict[int, Guild] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)

    @property
    def guild(self) -> Guild:
        """The main guild (the first one)."""
        return next(iter(self.guilds.values()))

    def member(self, key: str, guild: Guild | None = None) -> Member:
        guild = guild or self.guild
        return guild.members[self.people[key].id]

    def channel(self, name: str, guild: Guild | None = None) -> Channel:
        return (guild or self.guild).channel(name)

    def find_channel(self, channel_id: int) -> tuple[Guild | None, Channel] | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild, guild.channels[channel_id]
        if channel_id in self.dm_channels:
            return None, self.dm_channels[channel_id]
        return None

    def channel_messages(self, channel_id: int) -> list[Message]:
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]


def build_default_world(token: str = "standin-bot-token") -> World:
    """One main guild with every kind of member and channel, plus a second guild."""
    ids = Snowflakes()
    bot = User(ids.next(), "Lantern", bot=True)
    world = World(snowflakes=ids, bot=bot, application_id=bot.id, token=token)
    world.users[bot.id] = bot

    def person(key: str, name: str) -> User:
        user = User(ids.next(), name)
        world.users[user.id] = user
        world.people[key] = user
        return user

    owner = person("owner", "olivia_owner")
    manager = person("manager", "manny_manager")
    mod = person("mod", "morgan_mod")
    member = person("member", "pat_member")
    other_owner = person("other_owner", "sam_second")

    gid = ids.next()
    guild = Guild(gid, "Lantern Test Community", owner.id)
    guild.roles[gid] = Role(gid, "@everyone", P.EVERYONE_DEFAULT, position=0)
    managers = Role(ids.next(), "Managers", P.MANAGE_GUILD | P.MANAGE_MESSAGES, position=3)
    moderators = Role(ids.next(), "Moderators", P.MANAGE_MESSAGES | P.MANAGE_THREADS, position=2,
                      mentionable=True)
    bot_role = Role(
        ids.next(), "Lantern",
        P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.READ_MESSAGE_HISTORY
        | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS | P.MANAGE_THREADS
        | P.ADD_REACTIONS | P.ATTACH_FILES | P.USE_EXTERNAL_EMOJIS,
        position=1, managed=True, bot_id=bot.id,
    )
    for role in (managers, moderators, bot_role):
        guild.roles[role.id] = role
    guild.members[owner.id] = Member(owner)
    guild.members[manager.id] = Member(manager, [managers.id])
    guild.members[mod.id] = Member(mod, [moderators.id])
    guild.members[member.id] = Member(member)
    guild.members[bot.id] = Member(bot, [bot_role.id])

    def channel(name: str, ctype: int, parent: int | None = None,
                overwrites: list[Overwrite] | None = None, g: Guild = guild) -> Channel:
        ch = Channel(ids.next(), ctype, name, g.id, position=len(g.channels), parent_id=parent,
                     overwrites=overwrites or [])
        g.channels[ch.id] = ch
        return ch

    category = channel("Lantern", CATEGORY)
    channel("general", TEXT, category.id)
    channel("announcements", ANNOUNCEMENT, category.id)
    forum = channel("recovery-writing", FORUM, category.id)
    forum.available_tags = [
        {"id": str(ids.next()), "name": "article", "moderated": False, "emoji_id": None,
         "emoji_name": None},
    ]
    channel("mod-only", TEXT, category.id, [
        Overwrite(gid, 0, deny=P.VIEW_CHANNEL),
        Overwrite(moderators.id, 0, allow=P.VIEW_CHANNEL),
    ])
    channel("read-only", TEXT, category.id, [Overwrite(gid, 0, deny=P.SEND_MESSAGES),
                                             Overwrite(bot_role.id, 0, deny=P.SEND_MESSAGES)])
    channel("no-embeds", TEXT, category.id, [Overwrite(bot_role.id, 0, deny=P.EMBED_LINKS)])
    world.guilds[gid] = guild

    gid2 = ids.next()
    second = Guild(gid2, "Second Community", other_owner.id)
    second.roles[gid2] = Role(gid2, "@everyone", P.EVERYONE_DEFAULT)
    second.members[other_owner.id] = Member(other_owner)
    second.members[member.id] = Member(member)
    second.members[bot.id] = Member(bot)
    channel("lobby", TEXT, g=second)
    world.guilds[gid2] = second
    return world
