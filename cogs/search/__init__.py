"""/search, /latest and /related: finding articles in this server's feeds.

Everything is scoped to the feeds this server subscribes or has subscribed to
(guild_feeds): another server's articles never show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot


async def setup(bot: LanternBot) -> None:
    # Imported here, so importing the render module alone doesn't load discord.py.
    from cogs.search.cog import Search

    await bot.add_cog(Search(bot))
