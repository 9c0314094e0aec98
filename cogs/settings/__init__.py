"""/settings: the server's moderator role, log channel, content warnings and the
support contacts /resources shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot


async def setup(bot: LanternBot) -> None:
    # Imported here, so importing the render module alone doesn't load discord.py.
    from cogs.settings.cog import Settings

    await bot.add_cog(Settings(bot))
