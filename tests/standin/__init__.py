"""A local Discord stand-in for end-to-end tests; see tests/README.md."""

import warnings

with warnings.catch_warnings():
    # discord.py imports the stdlib audioop (deprecated since 3.11) for voice, which we never
    # use; under `filterwarnings = error` that import would fail the whole test run.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401

from tests.standin.errors import DiscordError, SchemaError
from tests.standin.harness import BotProcess, running_bot
from tests.standin.interactions import InteractionRecord
from tests.standin.server import StandIn
from tests.standin.world import Channel, Guild, Member, Message, Role, User, World

__all__ = [
    "BotProcess",
    "Channel",
    "DiscordError",
    "Guild",
    "InteractionRecord",
    "Member",
    "Message",
    "Role",
    "SchemaError",
    "StandIn",
    "User",
    "World",
    "running_bot",
]
