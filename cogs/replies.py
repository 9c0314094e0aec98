"""Answering members privately, in time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from bot.discord_edge.embeds import to_embed
from cogs.render import ReplySpec

T = TypeVar("T")
FAST_ANSWER = 1.5  # seconds: slower work is deferred ("thinking…") and followed up


async def soon(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """Await `work`; if it takes longer than FAST_ANSWER, acknowledge the
    interaction privately first so Discord's 3-second window is never missed."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=FAST_ANSWER)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task


async def send_private(
    interaction: discord.Interaction, content: str | None = None, **kwargs: Any
) -> None:
    """Answer privately whether or not the interaction was deferred. Pings nobody."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content or "", ephemeral=True, wait=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def send_spec(interaction: discord.Interaction, spec: ReplySpec, **kwargs: Any) -> None:
    """`send_private` for a rendered reply."""
    if spec.embeds:
        kwargs["embeds"] = [to_embed(e) for e in spec.embeds]
    await send_private(interaction, spec.content, **kwargs)
