"""PostSpec/EmbedSpec (pure data from bot.posting.formatting) to discord.py objects."""

from __future__ import annotations

from typing import Any

import discord

from bot.posting.formatting import EmbedSpec, PostSpec


def to_embed(spec: EmbedSpec) -> discord.Embed:
    embed = discord.Embed(
        title=spec.title,
        url=spec.url,
        description=spec.description,
        timestamp=spec.timestamp,
        color=spec.color,
    )
    if spec.author_name:
        embed.set_author(name=spec.author_name, url=spec.author_url, icon_url=spec.author_icon_url)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    if spec.image_url:
        embed.set_image(url=spec.image_url)
    if spec.thumbnail_url:
        embed.set_thumbnail(url=spec.thumbnail_url)
    for f in spec.fields:
        embed.add_field(name=f.name, value=f.value, inline=f.inline)
    return embed


def allowed_mentions(spec: PostSpec) -> discord.AllowedMentions:
    """Nobody is pinged except the one role moderators chose for the feed."""
    if spec.mention_role_id is None:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False,
        users=False,
        replied_user=False,
        roles=[discord.Object(spec.mention_role_id)],
    )


def message_kwargs(spec: PostSpec) -> dict[str, Any]:
    """Keyword arguments for Messageable.send / ForumChannel.create_thread."""
    kwargs: dict[str, Any] = {
        "embeds": [to_embed(e) for e in spec.embeds],
        "allowed_mentions": allowed_mentions(spec),
    }
    if spec.content:
        kwargs["content"] = spec.content
    return kwargs
