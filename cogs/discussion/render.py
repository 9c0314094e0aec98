"""/discuss answers and the opening post of a discussion thread. No discord import."""

from __future__ import annotations

from bot.models import Article
from bot.posting.formatting import safe_url
from cogs.render import MESSAGE_LIMIT, plural, title_link

ARTICLE_NOT_FOUND = (
    "I can't find that article in this server's feeds. Pick one from the list as you type."
)
NOT_A_THREAD_CHANNEL = "I can only open discussion threads in text and forum channels."
THREAD_REFUSED = "Discord didn't let me open the thread. Please try again later."


def already_discussed(article: Article, thread_id: int, message_count: int) -> str:
    return (
        f"{title_link(article)} is discussed in <#{thread_id}>"
        f" ({plural(message_count, 'message')})."
    )


def member_cannot_open(channel_id: int, *, forum: bool) -> str:
    what = "create posts" if forum else "create threads"
    return (
        f"There's no thread about this article yet, and you can't {what} in"
        f" <#{channel_id}>, so I won't open one for you. A moderator can."
    )


def bot_cannot_open(channel_id: int, missing: list[str]) -> str:
    return f"I can't open a thread in <#{channel_id}>: I'm missing {', '.join(missing)} there."


def thread_intro(article: Article) -> str:
    """The first message in a new discussion thread: the title and the link."""
    link = safe_url(article.link)
    return f"Discussion: {title_link(article)}\n{link or ''}".strip()[:MESSAGE_LIMIT]


def thread_opened(article: Article, thread_id: int) -> str:
    return f"Opened a thread about {title_link(article)}: <#{thread_id}>"
