"""/discuss, and the listeners that keep discussion counts (and, when enabled,
link mentions) fresh.

Privacy: no message text is stored or logged; a link mention keeps only which
article, channel and message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import utcnow
from bot.discord_edge.errors import UserError
from bot.models import Article
from bot.posting.formatting import thread_name_for
from cogs.articles import URL, article_choices, resolve_article
from cogs.checks import guild_of
from cogs.discussion.render import (
    ARTICLE_NOT_FOUND,
    NOT_A_THREAD_CHANNEL,
    THREAD_REFUSED,
    already_discussed,
    bot_cannot_open,
    member_cannot_open,
    thread_intro,
    thread_opened,
)
from cogs.replies import send_private

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot
    from bot.storage import Storage

log = logging.getLogger(__name__)

LINKS_PER_MESSAGE = 5
THREAD_EXISTS = 160004  # Discord: a thread was already started on that message


class Discussion(commands.Cog):
    """Discussion threads about articles."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    @property
    def store(self) -> Storage:
        return self.bot.core.store

    # -- /discuss -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(
        name="discuss", description="Open (or find) this server's thread about an article"
    )
    @app_commands.describe(article="Pick a title, paste the article's link, or describe it")
    @app_commands.autocomplete(article=article_choices)
    async def discuss(
        self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 300]
    ) -> None:
        guild = guild_of(interaction)
        found = await resolve_article(self.store, guild.id, article)
        if found is None:
            await send_private(interaction, ARTICLE_NOT_FOUND)
            return
        existing = await self.store.discussion(guild.id, found.id)
        if existing is not None and await self._thread_exists(guild, existing.thread_id):
            await send_private(
                interaction,
                already_discussed(found, existing.thread_id, existing.message_count),
            )
            return
        if existing is not None:
            await self.store.drop_discussion_thread(existing.thread_id)
        await self._open_thread(interaction, guild, found)

    async def _thread_exists(self, guild: discord.Guild, thread_id: int) -> bool:
        if guild.get_thread(thread_id) is not None:
            return True
        try:
            await self.bot.fetch_channel(thread_id)
        except discord.NotFound:
            return False
        except discord.HTTPException:
            return True  # can't tell (no access, Discord trouble): keep the record
        return True

    async def _open_thread(
        self, interaction: discord.Interaction, guild: discord.Guild, article: Article
    ) -> None:
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise UserError("This command only works in a server.")
        delivery = (await self.store.sent_in_guild(guild.id, [article.id])).get(article.id)
        channel: Any = guild.get_channel(delivery.channel_id) if delivery else interaction.channel
        if isinstance(channel, discord.Thread):
            channel = channel.parent
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            await send_private(interaction, NOT_A_THREAD_CHANNEL)
            return
        forum = isinstance(channel, discord.ForumChannel)
        mine = channel.permissions_for(member)
        member_ok = mine.view_channel and (
            mine.send_messages if forum else mine.create_public_threads
        )
        if not member_ok:
            await send_private(interaction, member_cannot_open(channel.id, forum=forum))
            return
        missing = _missing_thread_permissions(channel.permissions_for(guild.me), forum=forum)
        if missing:
            await send_private(interaction, bot_cannot_open(channel.id, missing))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        name = thread_name_for(article)
        text = thread_intro(article)
        none = discord.AllowedMentions.none()
        try:
            thread: discord.Thread | None = None
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=name, content=text, allowed_mentions=none
                )
                thread = created.thread
            else:
                if delivery is not None and delivery.message_id is not None:
                    thread = await self._thread_on_message(
                        guild, channel, delivery.message_id, name
                    )
                if thread is None:
                    thread = await channel.create_thread(
                        name=name, type=discord.ChannelType.public_thread
                    )
                    await thread.send(text, allowed_mentions=none)
        except discord.HTTPException as exc:
            log.warning("could not open a discussion thread: HTTP %s", exc.status)
            await send_private(interaction, THREAD_REFUSED)
            return
        await self.store.set_discussion(guild.id, article.id, channel.id, thread.id, utcnow())
        await send_private(interaction, thread_opened(article, thread.id))
        log.info("discussion thread opened")

    async def _thread_on_message(
        self, guild: discord.Guild, channel: discord.TextChannel, message_id: int, name: str
    ) -> discord.Thread | None:
        """A thread on Lantern's post; None when the post is gone."""
        try:
            return await channel.get_partial_message(message_id).create_thread(name=name)
        except discord.NotFound:
            return None
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # a thread already exists on that message: use it
                raise
        thread = guild.get_thread(message_id)
        if thread is not None:
            return thread
        fetched = await self.bot.fetch_channel(message_id)
        return fetched if isinstance(fetched, discord.Thread) else None

    # -- listeners ------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """With only the guilds intent, THREAD_UPDATE is how message counts arrive."""
        data: dict[str, Any] = dict(payload.data)
        count = data.get("message_count")
        if not isinstance(count, int):
            return
        if await self.store.discussion_message_count(payload.thread_id) is None:
            return
        last = data.get("last_message_id")
        when = (
            discord.utils.snowflake_time(int(last))
            if isinstance(last, str) and last.isdigit()
            else None
        )
        await self.store.discussion_activity(
            payload.thread_id, message_count=count, last_activity_at=when
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Only received with the guild messages intent (MESSAGE_CONTENT_INTENT on)."""
        if message.guild is None:
            return
        if isinstance(message.channel, discord.Thread):
            await self.store.discussion_activity(
                message.channel.id, new_messages=1, last_activity_at=message.created_at
            )
        if (
            not self.bot.settings.message_content_intent
            or message.author.bot
            or not message.content
        ):
            return
        seen: set[int] = set()
        for url in URL.findall(message.content)[:LINKS_PER_MESSAGE]:
            article = await self.store.find_article_by_url(
                url.rstrip(".,;:!?)]}>"), message.guild.id
            )
            if article is None or article.id in seen:
                continue
            seen.add(article.id)
            await self.store.record_link_mention(
                message.guild.id, article.id, message.channel.id, message.id, message.created_at
            )

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if self.bot.settings.message_content_intent and payload.guild_id is not None:
            await self.store.forget_link_mentions([payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if self.bot.settings.message_content_intent and payload.guild_id is not None:
            await self.store.forget_link_mentions(sorted(payload.message_ids))


def _missing_thread_permissions(perms: discord.Permissions, *, forum: bool) -> list[str]:
    """What the bot lacks to open a discussion thread (or forum post) there."""
    needed = [("View Channel", perms.view_channel)]
    if forum:
        needed += [("Create Posts", perms.send_messages)]
    else:
        needed += [
            ("Create Public Threads", perms.create_public_threads),
            ("Send Messages in Threads", perms.send_messages_in_threads),
            ("Read Message History", perms.read_message_history),
        ]
    return [name for name, ok in needed if not ok]
