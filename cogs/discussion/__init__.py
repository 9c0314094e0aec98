"""/discuss and the listeners that track discussion threads and link mentions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord_edge.client import LanternBot


async def setup(bot: LanternBot) -> None:
    # Imported here, so importing the render module alone doesn't load discord.py.
    from cogs.discussion.cog import Discussion

    await bot.add_cog(Discussion(bot))
