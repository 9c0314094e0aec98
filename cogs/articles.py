"""Finding this server's feeds and articles from what a member typed or picked,
and where Lantern posted them here. Shared by /search, /latest, /related and
/discuss.

Everything is scoped to the feeds this server subscribes or has subscribed to
(guild_feeds): another server's articles never show.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping

import discord
from discord import app_commands

from bot.clock import utcnow
from bot.discord_edge.errors import UserError
from bot.errors import InvalidSearchQueryError
from bot.models import Article, Delivery, Feed
from bot.search import search as core_search
from bot.storage import Storage
from bot.text import fold
from cogs.checks import lantern
from cogs.render import discord_link, plain_label

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
AUTOCOMPLETE_BUDGET = 2.0  # seconds, of Discord's 3
CHOICE_NAME_LIMIT = 100
URL = re.compile(r"https?://[^\s<>\"'|]+", re.IGNORECASE)
_ID = re.compile(r"\d{1,19}")


def choice(label: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(
        name=plain_label(label, CHOICE_NAME_LIMIT) or "untitled", value=value
    )


async def feed_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for a `feed` option: this server's feeds, by name or URL."""
    if interaction.guild is None:
        return []
    needle = fold(current.strip())
    choices = []
    for feed in await lantern(interaction).core.store.guild_feed_list(interaction.guild.id):
        if needle and needle not in fold(feed.display_name) and needle not in fold(feed.url):
            continue
        choices.append(choice(feed.display_name, str(feed.id)))
        if len(choices) >= AUTOCOMPLETE_LIMIT:
            break
    return choices


async def resolve_feed(store: Storage, guild_id: int, value: str) -> Feed:
    """The feed a `feed` option names: an id from the list, or a name or URL
    that matches exactly one of this server's feeds."""
    feeds = await store.guild_feed_list(guild_id)
    text = value.strip()
    for feed in feeds:
        if text == str(feed.id):
            return feed
    folded = fold(text)
    exact = [f for f in feeds if folded in (fold(f.display_name), fold(f.url))]
    partial = [f for f in feeds if folded and folded in fold(f.display_name)]
    for found in (exact, partial):
        if len(found) == 1:
            return found[0]
    raise UserError("I can't find that feed on this server. Pick one from the list as you type.")


async def article_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for an `article` option: a pasted link, else titles."""
    if interaction.guild is None:
        return []
    store = lantern(interaction).core.store
    gid = interaction.guild.id
    text = current.strip()[:200]
    if URL.match(text):
        article = await store.find_article_by_url(text, gid)
        if article is not None:
            return [choice(article.title, str(article.id))]
    try:
        # Discord drops answers after 3 s: better no choices than a failed box.
        matches = await asyncio.wait_for(
            store.autocomplete_titles(text, gid, AUTOCOMPLETE_LIMIT), AUTOCOMPLETE_BUDGET
        )
    except TimeoutError:
        log.warning("autocomplete took over %.1f s; answered with no choices", AUTOCOMPLETE_BUDGET)
        return []
    out = []
    for m in matches[:AUTOCOMPLETE_LIMIT]:
        suffix = f" ({m.published_at:%Y-%m-%d})"
        label = plain_label(m.title, CHOICE_NAME_LIMIT - len(suffix)) + suffix
        out.append(choice(label, str(m.article_id)))
    return out


async def resolve_article(store: Storage, guild_id: int, value: str) -> Article | None:
    """An article of this guild from an autocomplete id, a URL, or free text
    (the best-matching article)."""
    text = value.strip()
    if _ID.fullmatch(text):
        article = await store.get_article(int(text))
        if article is not None and await store.guild_has_feed(guild_id, article.feed_id):
            return article
    if URL.match(text):
        found: Article | None = await store.find_article_by_url(text, guild_id)
        if found is not None:
            return found
    try:
        page = await core_search(store, text, guild_id=guild_id, now=utcnow(), per_page=1)
    except InvalidSearchQueryError:
        return None
    return page.hits[0].article if page.hits else None


async def feeds_by_id(store: Storage, feed_ids: Iterable[int]) -> dict[int, Feed | None]:
    """get_feed once per feed."""
    feeds: dict[int, Feed | None] = {}
    for feed_id in feed_ids:
        if feed_id not in feeds:
            feeds[feed_id] = await store.get_feed(feed_id)
    return feeds


def posted_link(client: discord.Client, guild_id: int, delivery: Delivery) -> str | None:
    """Where Lantern posted an article in a guild: the forum post (a thread), or
    the message in its channel."""
    if delivery.message_id is None:
        return None
    channel = client.get_channel(delivery.channel_id)
    if isinstance(channel, discord.ForumChannel) and delivery.thread_id is not None:
        return discord_link(guild_id, delivery.thread_id)
    return discord_link(guild_id, delivery.channel_id, delivery.message_id)


async def posted_links(
    client: discord.Client, store: Storage, guild_id: int, article_ids: list[int]
) -> dict[int, str]:
    """Article id -> where Lantern posted it in this guild (posted ones only)."""
    sent: Mapping[int, Delivery] = await store.sent_in_guild(guild_id, article_ids)
    links = {aid: posted_link(client, guild_id, d) for aid, d in sent.items()}
    return {aid: link for aid, link in links.items() if link is not None}
