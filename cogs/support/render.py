"""The support contacts as text. No discord import."""

from __future__ import annotations

from bot.posting.formatting import neutralize_mentions
from bot.support.crisis_contacts import RESOURCES_LEAD, resources_text


def resources_reply(custom: str | None) -> str:
    """/resources: the server's contacts (or the defaults), unable to ping anyone."""
    return neutralize_mentions(resources_text(custom))


def resources_block(custom: str | None) -> str:
    """The lead line and the contacts, put above a search that looked like a crisis."""
    return f"{RESOURCES_LEAD}\n{resources_reply(custom)}"
