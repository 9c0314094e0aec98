"""Placeholder until the search commands land."""

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    pass
