"""/settings answers as text. No discord import."""

from __future__ import annotations

from bot.models import GuildSettings
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS, label_for
from bot.posting.formatting import safe_text
from cogs.render import MESSAGE_LIMIT, human_join
from cogs.support.render import resources_reply

SHOWN_TERMS = 40
EVERYONE_AS_MODERATOR = "Pick a specific role: @everyone would let every member manage feeds."
NO_TERMS = (
    "I found no words there. Give comma-separated terms, `default` for the"
    " default list, or `none` to turn content warnings off."
)
RESOURCES_RESET = "`/resources` shows the default contacts again."


def warnings_text(terms: tuple[str, ...] | None) -> str:
    """The content-warning list in a few words (None: the default list)."""
    if terms is None:
        labels: list[str] = []
        for term in DEFAULT_CONTENT_WARNINGS:
            label = label_for(term)
            if label not in labels:
                labels.append(label)
        return f"the default list ({', '.join(labels)})"
    if not terms:
        return "off"
    shown = ", ".join(safe_text(t) for t in terms[:SHOWN_TERMS])
    more = f" and {len(terms) - SHOWN_TERMS} more" if len(terms) > SHOWN_TERMS else ""
    return f"{len(terms)} custom term(s): {shown}{more}"


def moderator_role_saved(role_id: int | None) -> str:
    if role_id is None:
        return "Cleared the moderator role: only members with Manage Server can manage feeds."
    return f"Members with <@&{role_id}> can now use `/feed` and `/settings`."


def log_channel_refused(channel_id: int, missing: list[str]) -> str:
    return (
        f"I can't post in <#{channel_id}>: I'm missing {human_join(missing)}"
        " there. Give my role those permissions, then try again."
    )


def log_channel_saved(channel_id: int | None) -> str:
    if channel_id is None:
        return (
            "Cleared the log channel: notices go to the system channel, or to whoever"
            " added the feed."
        )
    return f"Moderator notices will go to <#{channel_id}>."


def content_warnings_saved(chosen: tuple[str, ...] | None) -> str:
    if chosen is None:
        text = "Content warnings use the default list again."
    elif not chosen:
        text = "Content warnings are off: posts show their summary and image as they are."
    else:
        text = f"Content warnings now use {warnings_text(chosen)}."
    return text[:MESSAGE_LIMIT]


def resources_saved(value: str | None) -> str:
    shown = "the default contacts" if value is None else "your text"
    return f"Saved: `/resources` now shows {shown}:\n\n" + resources_reply(value)


def settings_summary(settings: GuildSettings, used: int, quota: int) -> str:
    """/settings show."""
    role = (
        f"<@&{settings.moderator_role_id}>"
        if settings.moderator_role_id
        else "none (Manage Server only)"
    )
    log_channel = (
        f"<#{settings.log_channel_id}>"
        if settings.log_channel_id
        else "none (the system channel, or whoever added the feed)"
    )
    lines = [
        "**Lantern settings**",
        f"• Moderator role: {role}",
        f"• Log channel: {log_channel}",
        f"• Content warnings: {warnings_text(settings.content_warnings)}",
        f"• Feeds: {used} of {quota} used",
    ]
    return "\n".join(lines)[:MESSAGE_LIMIT]
