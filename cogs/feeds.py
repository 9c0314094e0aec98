"""/feed: moderators subscribe channels to feeds and manage those subscriptions.

The cog turns interactions into core calls (fetcher, parser, engine, storage)
and renders the results; every answer is private (ephemeral).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import utcnow
from bot.discord_edge.client import UserError
from bot.discord_edge.embeds import message_kwargs
from bot.errors import FetchError, LanternError, NotAFeedError
from bot.feeds.fetch import FetchResult, check_url
from bot.models import Article, Feed, GuildSettings, ParsedArticle, ParsedFeed, Subscription
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS, match_warnings, parse_terms
from bot.posting.formatting import format_post, safe_text, safe_url
from cogs._checks import (
    PostChannel,
    check_post_channel,
    effective_quota,
    guild_of,
    is_moderator,
    require_moderator,
    resolve_subscription,
    safe_name,
    subscription_choices,
)

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot

log = logging.getLogger(__name__)

# Seconds a button stays usable; tests shorten them.
CONFIRM_TIMEOUT = 120.0
OFFER_TIMEOUT = 600.0
LIST_TIMEOUT = 600.0

LIST_PAGE_SIZE = 10
LIST_PAGE_CHARS = 3800  # under the 4,096 of an embed description
CLEAR_WORDS = frozenset({"-", "none"})
_MIN_DATE = datetime.min.replace(tzinfo=UTC)


def ts(when: datetime | None, style: str = "R") -> str:
    return f"<t:{int(when.timestamp())}:{style}>" if when is not None else "never"


def warning_terms(settings: GuildSettings) -> tuple[str, ...]:
    terms = settings.content_warnings
    return DEFAULT_CONTENT_WARNINGS if terms is None else terms


def describe_fetch_error(exc: LanternError) -> str:
    """A fetch or parse failure as a reply to the moderator who gave the URL."""
    text = str(exc).rstrip(".") or type(exc).__name__
    if isinstance(exc, FetchError):
        if exc.kind == "invalid_url":
            return f"That URL won't work: {text}."
        if exc.kind == "blocked":
            return f"I won't fetch that address: {text}."
        return f"I couldn't fetch that feed: {text}."
    if isinstance(exc, NotAFeedError):
        return f"That doesn't look like a feed: {text}."
    return f"I couldn't read that feed: {text}."


@dataclass
class Reply:
    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None


class OwnedView(discord.ui.View):
    """Buttons only the member who ran the command may use; every click is answered."""

    def __init__(self, owner_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.interaction: discord.Interaction | None = None  # whose response carries the view
        self.message: discord.WebhookMessage | None = None  # or the follow-up that does

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the person who ran the command can use these buttons.", ephemeral=True
            )
            return False
        if not await is_moderator(interaction):
            await interaction.response.send_message(
                "You can no longer manage feeds on this server.", ephemeral=True
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        if isinstance(error, UserError | LanternError):
            message = str(error)
        else:
            log.error("button %s failed", getattr(item, "custom_id", "?"), exc_info=error)
            message = "Something went wrong on my side. Please try again."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not answer a button click", exc_info=True)

    async def edit_own_message(self, **kwargs: Any) -> None:
        """Edit the message carrying this view (after a timeout)."""
        try:
            if self.message is not None:
                await self.message.edit(**kwargs)
            elif self.interaction is not None:
                await self.interaction.edit_original_response(**kwargs)
        except discord.HTTPException:
            log.info("could not edit an expired view's message", exc_info=True)


class AlternateOffer(OwnedView):
    """"That page isn't a feed, but it links to one": a button to subscribe to it."""

    def __init__(
        self,
        cog: Feeds,
        owner_id: int,
        *,
        url: str,
        channel_id: int,
        name: str | None,
        backlog: int,
    ) -> None:
        super().__init__(owner_id, timeout=OFFER_TIMEOUT)
        self.cog = cog
        self.url = url
        self.channel_id = channel_id
        self.name = name
        self.backlog = backlog

    @discord.ui.button(
        label="Subscribe to this feed", style=discord.ButtonStyle.primary,
        custom_id="feed-add:alternate",
    )
    async def subscribe(
        self, interaction: discord.Interaction, button: discord.ui.Button[AlternateOffer]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Subscribing to <{self.url}>…", embeds=[], view=None
        )
        guild = guild_of(interaction)
        channel = guild.get_channel(self.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise UserError("The channel you picked no longer exists. Run `/feed add` again.")
        reply = await self.cog.subscribe(
            interaction, self.url, channel, self.name, self.backlog, offer_alternates=False
        )
        await interaction.followup.send(reply.content, embeds=reply.embeds, ephemeral=True)

    async def on_timeout(self) -> None:
        await self.edit_own_message(
            content=f"That offer expired. Run `/feed add` with <{self.url}> to subscribe.",
            view=None,
        )


class ConfirmRemove(OwnedView):
    def __init__(self, cog: Feeds, owner_id: int, sub: Subscription, label: str) -> None:
        super().__init__(owner_id, timeout=CONFIRM_TIMEOUT)
        self.cog = cog
        self.sub = sub
        self.label = label

    @discord.ui.button(
        label="Remove", style=discord.ButtonStyle.danger, custom_id="feed-remove:confirm"
    )
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemove]
    ) -> None:
        self.stop()
        store = self.cog.bot.core.store
        current = await store.get_subscription(self.sub.id)
        if current is None or current.guild_id != self.sub.guild_id:
            text = f"**{self.label}** was already removed."
        else:
            await store.remove_subscription(self.sub.id)
            text = (
                f"🗑️ Removed **{self.label}** from <#{self.sub.channel_id}>."
                " Articles already posted stay where they are."
            )
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary,
                       custom_id="feed-remove:cancel")
    async def cancel(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmRemove]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept **{self.label}**: nothing was removed.", view=None
        )

    async def on_timeout(self) -> None:
        await self.edit_own_message(
            content=f"No answer, so I kept **{self.label}**: nothing was removed.", view=None
        )


class ListPages(OwnedView):
    def __init__(self, owner_id: int, pages: Sequence[str], total: int) -> None:
        super().__init__(owner_id, timeout=LIST_TIMEOUT)
        self.pages = list(pages)
        self.total = total
        self.page = 0
        self._sync()

    def embed(self) -> discord.Embed:
        embed = discord.Embed(
            title=f"Feeds on this server ({self.total})",
            description=self.pages[self.page],
            color=0xF2A541,
        )
        embed.set_footer(text=f"Page {self.page + 1}/{len(self.pages)}")
        return embed

    def _sync(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        self.page = max(0, min(page, len(self.pages) - 1))
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary,
                       custom_id="feed-list:previous")
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[ListPages]
    ) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary,
                       custom_id="feed-list:next")
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[ListPages]
    ) -> None:
        await self._show(interaction, self.page + 1)

    async def on_timeout(self) -> None:
        await self.edit_own_message(view=None)


def paginate(entries: Sequence[str], size: int = LIST_PAGE_SIZE,
             chars: int = LIST_PAGE_CHARS) -> list[str]:
    """Entries into pages of at most `size` entries and `chars` characters."""
    pages: list[str] = []
    current: list[str] = []
    length = 0
    for entry in entries:
        entry = entry[:chars]
        if current and (len(current) >= size or length + len(entry) + 2 > chars):
            pages.append("\n\n".join(current))
            current, length = [], 0
        current.append(entry)
        length += len(entry) + 2
    if current:
        pages.append("\n\n".join(current))
    return pages or ["No feeds yet. Add one with `/feed add`."]


def status_of(sub: Subscription, feed: Feed | None) -> str:
    if feed is None or feed.status == "gone":
        return "⛔ gone"
    if sub.paused:
        reason = safe_text((sub.pause_reason or "no reason given")[:150])
        return f"⏸️ paused ({reason})"
    if feed.status == "broken":
        return "⚠️ broken"
    return "✅ active"


def list_entry(number: int, sub: Subscription, feed: Feed | None) -> str:
    name = safe_text(
        (sub.name or (feed.display_name if feed else f"feed {sub.feed_id}"))[:80]
    )
    lines = [f"**{number}. {name or 'a feed'}** → <#{sub.channel_id}> · {status_of(sub, feed)}"]
    if feed is not None:
        next_poll = "not polled (gone)" if feed.status == "gone" else ts(feed.next_poll_at)
        lines.append(f"Last success {ts(feed.last_success_at)} · next poll {next_poll}")
        if feed.last_error:
            since = f" (failing since {ts(feed.first_error_at)})" if feed.first_error_at else ""
            lines.append(f"Last error: {safe_text(feed.last_error[:150])}{since}")
    return "\n".join(lines)


def newest_item(parsed: ParsedFeed) -> ParsedArticle | None:
    """The newest dated article, else the first in the document."""
    if not parsed.articles:
        return None
    return max(parsed.articles, key=lambda a: a.published or a.updated or _MIN_DATE)


def throwaway(
    parsed: ParsedFeed, item: ParsedArticle, url: str, guild_id: int, now: datetime
) -> tuple[Article, Feed, Subscription]:
    """Stored-looking records for a preview, without writing anything."""
    article = Article(
        id=0, feed_id=0, key=item.key, link=item.link, title=item.title,
        summary=item.summary, content=item.content, author=item.author,
        published_at=item.published or item.updated or now, updated_at=item.updated,
        has_date=item.published is not None or item.updated is not None,
        image_url=item.image_url, categories=item.categories,
        comments_url=item.comments_url, comments_feed_url=item.comments_feed_url,
        comment_count=item.comment_count, content_hash=item.content_hash,
        first_seen_at=now, revision=0,
    )
    feed = Feed(
        id=0, url=url, title=parsed.title, site_url=parsed.site_url, icon_url=parsed.icon_url,
        etag=None, last_modified=None, body_hash=None, status="active", error_count=0,
        last_error=None, first_error_at=None, last_success_at=now, next_poll_at=now,
        created_at=now,
    )
    sub = Subscription(
        id=0, guild_id=guild_id, channel_id=0, feed_id=0, name=None, backlog=1, paused=False,
        pause_reason=None, include=(), exclude=(), mention_role_id=None, threads=False,
        style="full", added_by=None, created_at=now,
    )
    return article, feed, sub


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


def terms_text(terms: Sequence[str]) -> str:
    return ", ".join(safe_text(t) for t in terms) if terms else "none"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Feeds(commands.GroupCog, group_name="feed"):
    """Manage the feeds this server follows."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
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
            raise UserError(describe_fetch_error(exc)) from None
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
                raise UserError(describe_fetch_error(exc)) from None
            view = AlternateOffer(
                self, interaction.user.id, url=alternate, channel_id=channel.id,
                name=name, backlog=backlog,
            )
            return Reply(f"That page isn't a feed, but it links to one: <{alternate}>", view=view)
        except LanternError as exc:  # FetchError, a parser failure
            raise UserError(describe_fetch_error(exc)) from None

        feed = added.feed
        await self._refuse_duplicate(channel.id, feed.id)
        now = utcnow()
        sub = await store.add_subscription(
            guild_id=guild.id, channel_id=channel.id, feed_id=feed.id, now=now,
            name=name, backlog=backlog, added_by=interaction.user.id,
        )
        self.bot.delivery.wake()

        newest = await store.latest_articles(max(backlog, 1), feed_id=feed.id)
        posting = min(backlog, len(newest))
        if posting == 0:
            what = "new articles will be posted as they appear"
        elif posting == 1:
            what = "posting the newest article now"
        else:
            what = f"posting the newest {posting} now"
        lines = [f"✅ Subscribed {channel.mention} to **{safe_name(sub, feed)}** — {what}."]
        if backlog > posting and newest:
            lines.append(f"The feed has only {len(newest)} article(s) right now.")
        embeds: list[discord.Embed] = []
        if newest:
            article = newest[0]
            warnings = match_warnings(
                warning_terms(guild_settings), article.title, article.summary,
                article.categories,
            )
            spec = format_post(article, feed, sub, warnings, now)
            lines.append("Here's how the newest item looks:")
            if spec.content:
                lines.append(spec.content)
            embeds = message_kwargs(spec)["embeds"]
        else:
            lines.append("The feed has no articles yet.")
        return Reply("\n".join(lines), embeds)

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
        view = ConfirmRemove(self, interaction.user.id, sub, label)
        view.interaction = interaction
        await interaction.response.send_message(
            f"Remove **{label}** from <#{sub.channel_id}>? Nothing more will be posted there.",
            view=view, ephemeral=True,
        )

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """List this server's feeds with their status."""
        guild = guild_of(interaction)
        store = self.bot.core.store
        subs = await store.guild_subscriptions(guild.id)
        feeds: dict[int, Feed | None] = {}
        entries = []
        for number, sub in enumerate(subs, start=1):
            if sub.feed_id not in feeds:
                feeds[sub.feed_id] = await store.get_feed(sub.feed_id)
            entries.append(list_entry(number, sub, feeds[sub.feed_id]))
        pages = paginate(entries)
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
            f"⏸️ Paused **{safe_name(sub, stored)}** in <#{sub.channel_id}>."
            " Nothing is posted until `/feed resume`.",
            ephemeral=True,
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
        if queued == 0:
            what = "nothing new arrived while it was paused"
        elif queued == 1:
            what = "posting the newest article that arrived while it was paused"
        else:
            what = f"posting the newest {queued} that arrived while it was paused"
        await interaction.followup.send(
            f"▶️ Resumed **{label}** in {channel.mention} — {what}.", ephemeral=True
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
            raise UserError(
                "Tell me what to change: channel, include, exclude, mention, threads or style."
            )
        sub = await store.update_subscription(sub.id, **changes)
        lines = [
            f"✏️ Updated **{safe_name(sub, stored)}**:",
            f"• Channel: <#{sub.channel_id}>",
            f"• Only with: {terms_text(sub.include)}",
            f"• Never with: {terms_text(sub.exclude)}",
            f"• Mention: {f'<@&{sub.mention_role_id}>' if sub.mention_role_id else 'nobody'}",
            f"• Threads: {'yes' if sub.threads else 'no'}",
            f"• Style: {sub.style}",
            *notes,
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

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
                note = f"That page isn't a feed, but it links to one: <{alternate}>\n"
        except LanternError as exc:
            raise UserError(describe_fetch_error(exc)) from None
        item = newest_item(parsed)
        title = safe_text(parsed.title or result.url) or "this feed"
        if item is None:
            await interaction.followup.send(
                f"{note}**{title}** is a feed, but it has no articles right now.", ephemeral=True
            )
            return
        now = utcnow()
        article, feed, sub = throwaway(parsed, item, result.url, guild.id, now)
        settings = await self.bot.core.store.guild_settings(guild.id)
        warnings = match_warnings(
            warning_terms(settings), article.title, article.summary, article.categories
        )
        spec = format_post(article, feed, sub, warnings, now)
        content = f"{note}Preview of the newest article in **{title}** (nothing was saved):"
        if spec.content:
            content += "\n" + spec.content
        await interaction.followup.send(
            content, embeds=message_kwargs(spec)["embeds"], ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Feeds(bot))  # type: ignore[arg-type]
