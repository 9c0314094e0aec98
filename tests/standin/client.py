"""Point the unmodified discord.py client at a Discord-compatible server.

Lantern does the same from its settings in bot/discord_edge/client.py; the stand-in's test bot
uses this helper. Both are plain configuration of two documented class attributes.
"""

from __future__ import annotations

import discord
import discord.gateway
import discord.http
import yarl


def configure_discord(api_base: str, gateway_url: str) -> None:
    """Route all REST (including interaction callbacks and webhooks) and the gateway."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def reset_discord() -> None:
    """Back to discord.com (what a fresh interpreter has)."""
    discord.http.Route.BASE = "https://discord.com/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
