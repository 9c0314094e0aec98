"""cogs/settings, cogs/support and cogs/discussion render modules: their
answers as text, without Discord."""

from __future__ import annotations

from bot.models import GuildSettings
from bot.posting.content_warnings import DEFAULT_CONTENT_WARNINGS
from bot.support.crisis_contacts import RESOURCES_LEAD
from cogs.discussion.render import (
    already_discussed,
    bot_cannot_open,
    member_cannot_open,
    thread_intro,
    thread_opened,
)
from cogs.settings.render import (
    content_warnings_saved,
    log_channel_saved,
    moderator_role_saved,
    resources_saved,
    settings_summary,
    warnings_text,
)
from cogs.support.render import resources_block, resources_reply
from tests.test_formatting import make_article


def test_warnings_text_default_off_and_custom() -> None:
    """The default list shows each label once; a long custom list is cut with a count."""
    default = warnings_text(None)
    assert default.startswith("the default list (")
    labels = default.removeprefix("the default list (").removesuffix(")").split(", ")
    assert len(labels) == len(set(labels)) < len(DEFAULT_CONTENT_WARNINGS)
    assert warnings_text(()) == "off"
    many = tuple(f"t{n}" for n in range(45))
    assert warnings_text(many).endswith("t39 and 5 more")
    assert warnings_text(("*a*",)) == "1 custom term(s): \\*a\\*"


def test_saved_settings_texts() -> None:
    """Each setting's confirmation names what changed, or that it was cleared."""
    assert moderator_role_saved(5) == "Members with <@&5> can now use `/feed` and `/settings`."
    assert moderator_role_saved(None).startswith("Cleared the moderator role")
    assert log_channel_saved(7) == "Moderator notices will go to <#7>."
    assert log_channel_saved(None).startswith("Cleared the log channel")
    assert content_warnings_saved(None) == "Content warnings use the default list again."
    assert content_warnings_saved(()).startswith("Content warnings are off")
    assert len(content_warnings_saved(tuple("x" * 60 for _ in range(40)))) <= 2000


def test_settings_summary() -> None:
    """/settings show: role, log channel, warnings and the quota used."""
    configured = GuildSettings(guild_id=1, moderator_role_id=5, log_channel_id=7,
                               content_warnings=())
    text = settings_summary(configured, 3, 25)
    assert "• Moderator role: <@&5>" in text and "• Log channel: <#7>" in text
    assert "• Content warnings: off" in text and "• Feeds: 3 of 25 used" in text
    plain = settings_summary(GuildSettings(guild_id=1), 0, 25)
    assert "none (Manage Server only)" in plain and "none (the system channel" in plain


def test_support_contacts_cannot_ping() -> None:
    """Contacts a moderator typed render without pinging anyone, in every place shown."""
    custom = "Call @everyone or <@&5> or <@123>"
    for text in (resources_reply(custom), resources_block(custom), resources_saved(custom)):
        for mention in ("@everyone", "<@&5>", "<@123>"):
            assert mention not in text
    assert resources_block(None).startswith(RESOURCES_LEAD)
    assert resources_saved(None).startswith("Saved: `/resources` now shows the default contacts")
    assert resources_saved("x").startswith("Saved: `/resources` now shows your text")


def test_discussion_texts() -> None:
    """/discuss answers: the thread found or opened, and why one can't be opened."""
    article = make_article(title="Step **one**", link="https://x.example/a")
    assert already_discussed(article, 9, 1) == (
        "**[Step \\*\\*one\\*\\*](https://x.example/a)** is discussed in <#9> (1 message)."
    )
    assert already_discussed(article, 9, 2).endswith("(2 messages).")
    assert "create posts in <#4>" in member_cannot_open(4, forum=True)
    assert "create threads in <#4>" in member_cannot_open(4, forum=False)
    assert bot_cannot_open(4, ["View Channel", "Create Posts"]).endswith(
        "I'm missing View Channel, Create Posts there."
    )
    assert thread_opened(article, 9).endswith(": <#9>")


def test_thread_intro_links_the_article_and_fits() -> None:
    """A new thread's first message has the title and the link, within 2,000 characters."""
    intro = thread_intro(make_article(title="T", link="https://x.example/a"))
    assert intro == "Discussion: **[T](https://x.example/a)**\nhttps://x.example/a"
    assert thread_intro(make_article(link=None, title="T")) == "Discussion: **T**"
    assert len(thread_intro(make_article(title="@" * 5000))) <= 2000
