"""Errors the command tree turns into a private reply to the member.

Its own module so cogs can raise them without importing the client (which
loads the cogs: that import went in a circle)."""

from __future__ import annotations

from discord import app_commands


class UserError(app_commands.AppCommandError):
    """A member's mistake: the message tells them what to do instead."""
