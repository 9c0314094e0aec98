"""/feed's commands: they turn interactions into core calls (fetcher, parser,
engine, storage) and answer with what cogs/feeds/render.py makes of the
results; every answer is private (ephemeral).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import utcnow
from bot.discord_edge.embeds import to_embed
from bot.discord_edge.errors import UserError
from bot.errors import FetchError, LanternError, NotAFeedError
from bot.feeds.fetch import FetchResult, check_url
from bot.models import GuildSettings, ParsedFeed
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS, match_warnings, parse_terms
from bot.posting.formatting import format_post, safe_text, safe_url
from cogs.articles import feeds_by_id
from cogs.checks import (
    PostChannel,
    check_post_channel,
    effective_quota,
    guild_of,
    require_moderator,
    resolve_subscription,
    safe_name,
    subscription_choices,
)
from cogs.feeds import render
from cogs.feeds.views import AlternateOffer, ConfirmRemove, ListPages, OwnedView, Reply

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

CLEAR_WORDS = frozenset({"-", "none"})


def warning_terms(settings: GuildSettings) -> tuple[str, ...]:
    terms = settings.content_warnings
    return DEFAULT_CONTENT_WARNINGS if terms is None else terms


def parse_term_list(value: str, option: str) -> tuple[str, ...]:
    if value.strip().casefold() in CLEAR_WORDS:
        return ()
    terms = parse_terms(value)
    if not terms:
        raise UserError(
            f"I found no words in `{option}`. Give comma-separated keywords,"
            " or `none` to clear the list."
        )
    return terms


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Feeds(commands.GroupCog, group_name="feed"):
    """Manage the feeds this server follows."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await require_moderator(interaction)

    # -- shared work -------------------------------------------------------------------

    async def _fetch_feed(self, url: str) -> tuple[FetchResult, ParsedFeed]:
        core = self.bot.core
        result = await core.fetcher.fetch(url)
        if result.body is None:
            raise NotAFeedError("The server sent no document.")
        parsed = await core.parser.parse_feed(
            result.body, dict(result.headers), result.url, utcnow()
        )
        return result, parsed

    async def _refuse_duplicate(self, channel_id: int, feed_id: int) -> None:
        for sub in await self.bot.core.store.channel_subscriptions(channel_id):
            if sub.feed_id == feed_id:
                raise UserError(f"<#{channel_id}> already receives this feed.")

    async def subscribe(
        self,
        interaction: discord.Interaction,
        url: str,
        channel: PostChannel,
        name: str | None,
        backlog: int,
        *,
        offer_alternates: bool,
    ) -> Reply:
        """Check everything, subscribe `channel` to the feed at `url`, and describe it.
        With `offer_alternates`, a web page that links to a feed is offered, not followed."""
        guild = guild_of(interaction)
        core = self.bot.core
        store = core.store
        check_post_channel(channel, guild)
        try:
            url = check_url(url)
        except FetchError as exc:
            raise UserError(render.describe_fetch_error(exc)) from None
        guild_settings = await store.guild_settings(guild.id)
        quota = effective_quota(guild_settings, core.settings)
        used = await store.count_subscriptions(guild.id)
        if used >= quota:
            raise UserError(
                f"This server has reached its limit of {quota} feed subscriptions."
                " Remove one with `/feed remove` before adding another."
            )
        known = await store.feed_by_url(url)
        if known is not None:
            await self._refuse_duplicate(channel.id, known.id)

        try:
            added = await core.engine.add(url, follow_alternates=not offer_alternates)
        except NotAFeedError as exc:
            alternate = next(filter(None, map(safe_url, exc.alternates)), None)
            if alternate is None:
                raise UserError(render.describe_fetch_error(exc)) from None
            view = AlternateOffer(
                partial(self.subscribe, offer_alternates=False), interaction.user.id,
                url=alternate, channel_id=channel.id, name=name, backlog=backlog,
            )
            return Reply(render.alternate_offered(alternate), view=view)
        except LanternError as exc:  # FetchError, a parser failure
            raise UserError(render.describe_fetch_error(exc)) from None

        feed = added.feed
        await self._refuse_duplicate(channel.id, feed.id)
        now = utcnow()
        sub = await store.add_subscription(
            guild_id=guild.id, channel_id=channel.id, feed_id=feed.id, now=now,
            name=name, backlog=backlog, added_by=interaction.user.id,
        )
        self.bot.delivery.wake()

        newest = await store.latest_articles(max(backlog, 1), feed_id=feed.id)
        sample = None
        if newest:
            article = newest[0]
            warnings = match_warnings(
                warning_terms(guild_settings), article.title, article.summary,
                article.categories,
            )
            sample = format_post(article, feed, sub, warnings, now)
        spec = render.subscribed(channel.id, safe_name(sub, feed), backlog, len(newest), sample)
        return Reply(spec.content or "", [to_embed(e) for e in spec.embeds])

    # -- commands ----------------------------------------------------------------------

    @app_commands.command(name="add")
    @app_commands.describe(
        url="The feed's address (or a site's page that links to its feed)",
        channel="Where new articles are posted: a text, announcement or forum channel",
        name="A short name for this feed in lists (default: the feed's title)",
        backlog="How many of the newest articles to post right away (0-10, default 1)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2048],
        channel: discord.TextChannel | discord.ForumChannel,
        name: app_commands.Range[str, 1, 100] | None = None,
        backlog: app_commands.Range[int, 0, 10] = 1,
    ) -> None:
        """Subscribe a channel to a feed and post its newest articles."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.subscribe(
            interaction, url, channel, name, backlog, offer_alternates=True
        )
        if reply.view is not None:
            message = await interaction.followup.send(
                reply.content, view=reply.view, ephemeral=True, wait=True
            )
            if isinstance(reply.view, OwnedView):
                reply.view.message = message
        else:
            await interaction.followup.send(reply.content, embeds=reply.embeds, ephemeral=True)

    @app_commands.command(name="remove")
    @app_commands.describe(feed="The feed subscription to remove")
    @app_commands.autocomplete(feed=subscription_choices)
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        """Stop posting a feed in a channel (asks to confirm)."""
        sub, stored = await resolve_subscription(interaction, feed)
        label = safe_name(sub, stored)
        view = ConfirmRemove(self.bot.core.store, interaction.user.id, sub, label)
        view.interaction = interaction
        await interaction.response.send_message(
            render.confirm_remove(label, sub.channel_id), view=view, ephemeral=True
        )

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """List this server's feeds with their status."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        subs = await store.guild_subscriptions(guild.id)
        feeds = await feeds_by_id(store, (sub.feed_id for sub in subs))
        pages = render.list_pages(subs, feeds)
        view = ListPages(interaction.user.id, pages, len(subs))
        if len(pages) == 1:
            await interaction.response.send_message(embed=view.embed(), ephemeral=True)
            view.stop()
            return
        view.interaction = interaction
        await interaction.response.send_message(embed=view.embed(), view=view, ephemeral=True)

    @app_commands.command(name="pause")
    @app_commands.describe(feed="The feed subscription to pause")
    @app_commands.autocomplete(feed=subscription_choices)
    async def pause(self, interaction: discord.Interaction, feed: str) -> None:
        """Stop posting a feed for now; /feed resume picks it up again."""
        sub, stored = await resolve_subscription(interaction, feed)
        reason = f"by {interaction.user.display_name}"
        if not await self.bot.core.store.pause_subscription(sub.id, reason, utcnow()):
            raise UserError(f"**{safe_name(sub, stored)}** is already paused.")
        await interaction.response.send_message(
            render.paused(safe_name(sub, stored), sub.channel_id), ephemeral=True
        )

    @app_commands.command(name="resume")
    @app_commands.describe(feed="The paused feed subscription to resume")
    @app_commands.autocomplete(feed=subscription_choices)
    async def resume(self, interaction: discord.Interaction, feed: str) -> None:
        """Post a paused feed again (at most its backlog of what came meanwhile)."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        sub, stored = await resolve_subscription(interaction, feed)
        label = safe_name(sub, stored)
        if not sub.paused:
            raise UserError(f"**{label}** isn't paused.")
        channel = guild.get_channel(sub.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise UserError(
                f"The channel of **{label}** no longer exists. Pick a new one with"
                " `/feed edit channel:`, then resume."
            )
        check_post_channel(channel, guild, threads=sub.threads)
        await interaction.response.defer(ephemeral=True, thinking=True)
        queued = await store.resume_subscription(sub.id, utcnow())
        await store.forget_notice(guild.id, f"sub:{sub.id}:paused")
        self.bot.delivery.wake()
        await interaction.followup.send(
            render.resumed(label, channel.id, queued), ephemeral=True
        )

    @app_commands.command(name="edit")
    @app_commands.describe(
        feed="The feed subscription to change",
        channel="Move it to this text, announcement or forum channel",
        include="Only post articles with one of these comma-separated words (none: clear)",
        exclude="Never post articles with any of these comma-separated words (none: clear)",
        mention="Ping this role with each new article (@everyone: no ping)",
        threads="Open a discussion thread on each post (text and announcement channels)",
        style="full: an embed with the summary; compact: one line with the link",
    )
    @app_commands.autocomplete(feed=subscription_choices)
    async def edit(
        self,
        interaction: discord.Interaction,
        feed: str,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
        include: app_commands.Range[str, 1, 1000] | None = None,
        exclude: app_commands.Range[str, 1, 1000] | None = None,
        mention: discord.Role | None = None,
        threads: bool | None = None,
        style: Literal["full", "compact"] | None = None,
    ) -> None:
        """Change where and how a feed is posted."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        sub, stored = await resolve_subscription(interaction, feed)
        changes: dict[str, Any] = {}
        notes: list[str] = []
        target = channel or guild.get_channel(sub.channel_id)
        if channel is not None and channel.id != sub.channel_id:
            await self._refuse_duplicate(channel.id, sub.feed_id)
            changes["channel_id"] = channel.id
        wants_threads = sub.threads if threads is None else threads
        if isinstance(target, discord.TextChannel | discord.ForumChannel) and (
            "channel_id" in changes or threads
        ):
            check_post_channel(target, guild, threads=wants_threads)
        if include is not None:
            changes["include"] = parse_term_list(include, "include")
        if exclude is not None:
            changes["exclude"] = parse_term_list(exclude, "exclude")
        if mention is not None:
            if mention.is_default():
                changes["mention_role_id"] = None
            else:
                me = guild.me
                can_ping_all = (
                    target.permissions_for(me).mention_everyone
                    if isinstance(target, discord.TextChannel | discord.ForumChannel)
                    else me.guild_permissions.mention_everyone
                )
                if not mention.mentionable and not can_ping_all:
                    raise UserError(
                        f"I can't ping {mention.mention}: the role isn't mentionable and I"
                        " don't have Mention @everyone, @here and All Roles. Turn on"
                        " \"Allow anyone to @mention this role\" in the role's settings,"
                        " then try again."
                    )
                changes["mention_role_id"] = mention.id
        if threads is not None:
            changes["threads"] = threads
            if threads and isinstance(target, discord.ForumChannel):
                notes.append("Forum posts always get their own thread.")
        if style is not None:
            changes["style"] = style
        if not changes:
            raise UserError(render.NOTHING_TO_EDIT)
        sub = await store.update_subscription(sub.id, **changes)
        await interaction.response.send_message(
            render.edited(safe_name(sub, stored), sub, notes), ephemeral=True
        )

    @app_commands.command(name="preview")
    @app_commands.describe(url="The feed's address (or a site's page that links to its feed)")
    async def preview(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]
    ) -> None:
        """Show privately how the newest article of a feed would look. Nothing is saved."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = guild_of(interaction)
        note = ""
        try:
            url = check_url(url)
            try:
                result, parsed = await self._fetch_feed(url)
            except NotAFeedError as exc:
                alternate = next(filter(None, map(safe_url, exc.alternates)), None)
                if alternate is None:
                    raise
                result, parsed = await self._fetch_feed(alternate)
                note = render.alternate_offered(alternate) + "\n"
        except LanternError as exc:
            raise UserError(render.describe_fetch_error(exc)) from None
        item = render.newest_item(parsed)
        title = safe_text(parsed.title or result.url) or "this feed"
        sample = None
        if item is not None:
            now = utcnow()
            article, feed, sub = render.throwaway(parsed, item, result.url, guild.id, now)
            settings = await self.bot.core.store.guild_settings(guild.id)
            warnings = match_warnings(
                warning_terms(settings), article.title, article.summary, article.categories
            )
            sample = format_post(article, feed, sub, warnings, now)
        spec = render.preview(title, note, sample)
        await interaction.followup.send(
            spec.content or "", embeds=[to_embed(e) for e in spec.embeds], ephemeral=True
        )
