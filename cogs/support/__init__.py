"""/resources: the crisis and support contacts a server's moderators chose."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot


async def setup(bot: LanternBot) -> None:
    # Imported here, so importing the render module alone doesn't load discord.py.
    from cogs.support.cog import Support

    await bot.add_cog(Support(bot))
