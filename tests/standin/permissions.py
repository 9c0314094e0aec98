"""Discord permission bits and the algorithm Discord uses to resolve them.

Base permissions come from @everyone plus the member's roles; Administrator
and guild ownership grant everything; then channel overwrites apply in the
order @everyone, roles (allow and deny pooled), member. Threads inherit their
parent's overwrites. See
https://discord.com/developers/docs/topics/permissions#permission-overwrites
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.standin.world import Channel, Guild

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
PIN_MESSAGES = 1 << 51
# Every permission Discord defines as of API v10 (bits 0-52; bit 47 is unassigned).
ALL = 0x1F7FFFFFFFFFFF
# The channel-scoped bits; without View Channel a member keeps only the others.
ALL_CHANNEL = 0x1E64FDB3F7FF51

# What a fresh community server gives @everyone (trimmed to text permissions).
EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# Permissions a member loses when they cannot send messages (Discord's implicit denies).
_NEEDS_SEND = MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions of a member: @everyone | roles, owner and admin shortcuts."""
    if user_id == guild.owner_id:
        return ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Effective permissions of a member in a channel (threads use their parent's overwrites)."""
    base = base_permissions(guild, user_id)
    if base & ADMINISTRATOR or base == ALL:
        return ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    source = channel
    if channel.is_thread and channel.parent_id in guild.channels:
        source = guild.channels[channel.parent_id]
    overwrites = {ow.id: ow for ow in source.overwrites}
    perms = base
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        ow = overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    if not perms & VIEW_CHANNEL:
        return perms & ~ALL_CHANNEL
    send_bit = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
    if not perms & send_bit:
        perms &= ~_NEEDS_SEND
    return perms


def has(perms: int, *bits: int) -> bool:
    """True when every bit is present."""
    return all(perms & bit == bit for bit in bits)
