"""What the moderator cogs share: who may run them, finding a subscription from
what a moderator typed or picked, and the channel checks done before posting."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from bot.discord_edge.errors import UserError
from bot.models import Feed, GuildSettings, Subscription
from bot.posting.formatting import safe_text
from bot.settings import Settings
from cogs.render import human_join

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

AUTOCOMPLETE_LIMIT = 25
CHOICE_NAME_LIMIT = 100


def lantern(interaction: discord.Interaction) -> LanternBot:
    """The bot an interaction came to (only LanternBot loads these cogs)."""
    return cast("LanternBot", interaction.client)


def guild_of(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    return interaction.guild


async def is_moderator(interaction: discord.Interaction) -> bool:
    """The server owner, Administrator, Manage Server, or the configured moderator role.

    Checked at run time, so a member without any of them is refused even when
    a server admin has made the commands visible to everyone."""
    guild = interaction.guild
    member = interaction.user
    if guild is None or not isinstance(member, discord.Member):
        return False
    if guild.owner_id == member.id:
        return True
    for perms in (interaction.permissions, member.guild_permissions):
        if perms.administrator or perms.manage_guild:
            return True
    settings = await lantern(interaction).core.store.guild_settings(guild.id)
    role_id = settings.moderator_role_id
    return role_id is not None and any(r.id == role_id for r in member.roles)


async def require_moderator(interaction: discord.Interaction) -> bool:
    """For a cog's interaction_check: True, or a UserError the tree's error
    handler turns into a private refusal."""
    if interaction.guild is None:
        raise UserError("This command only works in a server.")
    if await is_moderator(interaction):
        return True
    raise UserError(
        "Only the server's managers (Manage Server) and members with the moderator role"
        " can use this command. A manager can set that role with `/settings moderator-role`."
    )


def effective_quota(guild_settings: GuildSettings, settings: Settings) -> int:
    """The guild's own subscription quota, else the operator's GUILD_SUBSCRIPTION_QUOTA."""
    return guild_settings.subscription_quota or settings.guild_subscription_quota


# -- channels --------------------------------------------------------------------------

PostChannel = discord.TextChannel | discord.ForumChannel


def missing_post_permissions(channel: PostChannel, me: discord.Member) -> list[str]:
    """What the bot lacks to post articles in `channel` (empty when nothing)."""
    perms = channel.permissions_for(me)
    forum = isinstance(channel, discord.ForumChannel)
    needed = [
        ("View Channel", perms.view_channel),
        ("Create Posts" if forum else "Send Messages", perms.send_messages),
        ("Embed Links", perms.embed_links),
    ]
    return [name for name, ok in needed if not ok]


def check_post_channel(
    channel: PostChannel, guild: discord.Guild, *, threads: bool = False
) -> None:
    """Refuse (UserError) a channel the bot cannot post articles in."""
    missing = missing_post_permissions(channel, guild.me)
    if threads and isinstance(channel, discord.TextChannel):
        perms = channel.permissions_for(guild.me)
        if not perms.create_public_threads:
            missing.append("Create Public Threads")
        if not perms.send_messages_in_threads:
            missing.append("Send Messages in Threads")
    if missing:
        raise UserError(
            f"I can't post in {channel.mention}: I'm missing {human_join(missing)} there."
            " Give my role those permissions in the channel settings, then try again."
        )


# -- subscriptions -----------------------------------------------------------------------


def subscription_name(sub: Subscription, feed: Feed | None) -> str:
    """The raw (unescaped) name moderators know a subscription by."""
    return sub.name or (feed.display_name if feed else f"feed {sub.feed_id}")


def safe_name(sub: Subscription, feed: Feed | None) -> str:
    """`subscription_name`, markdown- and mention-safe for a reply."""
    return safe_text(subscription_name(sub, feed)) or "a feed"


def channel_label(guild: discord.Guild, channel_id: int) -> str:
    channel = guild.get_channel_or_thread(channel_id)
    return channel.name if channel is not None else "deleted-channel"


async def subscription_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for a `feed` option: this guild's subscriptions only, matched
    case-insensitively against name, feed title, URL and channel name."""
    guild = interaction.guild
    if guild is None or not await is_moderator(interaction):
        return []
    store = lantern(interaction).core.store
    needle = current.strip().casefold()
    choices: list[app_commands.Choice[str]] = []
    feeds: dict[int, Feed | None] = {}
    for sub in await store.guild_subscriptions(guild.id):
        if sub.feed_id not in feeds:
            feeds[sub.feed_id] = await store.get_feed(sub.feed_id)
        feed = feeds[sub.feed_id]
        channel = channel_label(guild, sub.channel_id)
        haystack = [sub.name or "", (feed.title or "") if feed else "",
                    feed.url if feed else "", channel]
        if needle and not any(needle in h.casefold() for h in haystack):
            continue
        label = " ".join(subscription_name(sub, feed).split())
        suffix = f" — #{channel}" + (" (paused)" if sub.paused else "")
        room = CHOICE_NAME_LIMIT - len(suffix)
        if len(label) > room:
            label = label[: room - 1] + "…"
        choices.append(app_commands.Choice(name=(label + suffix)[:CHOICE_NAME_LIMIT] or "feed",
                                           value=str(sub.id)))
        if len(choices) >= AUTOCOMPLETE_LIMIT:
            break
    return choices


async def resolve_subscription(
    interaction: discord.Interaction, value: str
) -> tuple[Subscription, Feed | None]:
    """The subscription a `feed` option names: an id from the autocomplete list,
    or (typed without picking) a name that matches exactly one subscription.
    Another guild's ids are treated as unknown."""
    guild = guild_of(interaction)
    store = lantern(interaction).core.store
    text = value.strip()
    sub: Subscription | None = None
    if text.isdigit():
        found = await store.get_subscription(int(text))
        if found is not None and found.guild_id == guild.id:
            sub = found
    if sub is None and text:
        folded = text.casefold()
        matches = []
        for candidate in await store.guild_subscriptions(guild.id):
            feed = await store.get_feed(candidate.feed_id)
            names = {subscription_name(candidate, feed).casefold()}
            if feed is not None:
                names.add(feed.url.casefold())
            if folded in names:
                matches.append(candidate)
        if len(matches) == 1:
            sub = matches[0]
    if sub is None:
        raise UserError(
            "I can't find that feed on this server. Pick one from the list as you type."
        )
    return sub, await store.get_feed(sub.feed_id)
