"""/settings and who may use the moderator commands, end to end on the stand-in."""

from __future__ import annotations

import dataclasses

import pytest

from bot.models import GuildSettings
from cogs.checks import effective_quota
from tests.e2e import add, manage, serve, stored_subscription, visible_to_everyone
from tests.lantern_harness import Lantern
from tests.standin import SchemaError
from tests.standin import permissions as P

pytestmark = pytest.mark.e2e

REFUSAL = "Only the server's managers (Manage Server) and members with the moderator role"


async def test_commands_are_guild_only_and_hidden_without_manage_server(
    lantern: Lantern,
) -> None:
    """/feed and /settings are guild-only and hidden from members without Manage Server."""
    s = lantern.standin
    synced = {c["name"]: c for c in s.commands[None]}
    for name in ("feed", "settings"):
        assert synced[name]["default_member_permissions"] == str(P.MANAGE_GUILD)
        assert synced[name]["contexts"] == [0]
    with pytest.raises(SchemaError, match="hidden"):
        await s.invoke("feed list", as_="member")


async def test_who_may_use_feed_and_settings(lantern: Lantern) -> None:
    """Only managers and the moderator role may use /feed and /settings."""
    s = lantern.standin
    await stored_subscription(lantern, "Steady Ground")
    with visible_to_everyone(s):
        for who in ("mod", "member"):
            assert (await manage(lantern, "feed list", as_=who)).content.startswith(REFUSAL)
            assert (await manage(lantern, "settings show", as_=who)).content.startswith(REFUSAL)
            assert await s.autocomplete("feed remove", "feed", "", as_=who) == []
        assert (await manage(lantern, "feed list", as_="manager")).embeds
        moderators = s.role("Moderators")
        reply = await manage(lantern, "settings moderator-role", as_="manager", role=moderators)
        assert reply.content == f"Members with <@&{moderators.id}> can now use `/feed` and" \
                                " `/settings`."
        assert not reply.pings.anyone
        assert (await manage(lantern, "feed list", as_="mod")).embeds
        assert "Moderator role: <@&" in (await manage(lantern, "settings show", as_="mod")).content
        assert len(await s.autocomplete("feed remove", "feed", "", as_="mod")) == 1
        assert (await manage(lantern, "feed list", as_="member")).content.startswith(REFUSAL)
        reply = await manage(lantern, "settings moderator-role", as_="owner")
        assert reply.content.startswith("Cleared the moderator role")
        assert (await manage(lantern, "feed list", as_="mod")).content.startswith(REFUSAL)


async def test_administrator_passes_without_manage_server(lantern: Lantern) -> None:
    """Administrator passes the moderator check without Manage Server."""
    s = lantern.standin
    moderators = s.role("Moderators")
    await s.set_role_permissions(moderators, P.ADMINISTRATOR)
    guild = lantern.bot.get_guild(s.guild.id)
    assert guild is not None

    def bot_sees_administrator() -> bool:
        role = guild.get_role(moderators.id)
        return role is not None and role.permissions.administrator

    await s.wait_for(bot_sees_administrator, 10, "the GUILD_ROLE_UPDATE at the bot")
    with visible_to_everyone(s):
        assert (await manage(lantern, "settings show", as_="mod")).content.startswith(
            "**Lantern settings**")


async def test_moderator_role_cannot_be_everyone(lantern: Lantern) -> None:
    """@everyone can't be the moderator role."""
    s = lantern.standin
    reply = await manage(lantern, "settings moderator-role", role=s.guild.roles[s.guild.id])
    assert "@everyone would let every member manage feeds" in reply.content
    assert (await lantern.core.store.guild_settings(s.guild.id)).moderator_role_id is None


async def test_log_channel(lantern: Lantern) -> None:
    """The log channel is checked, stored, shown and cleared."""
    s = lantern.standin
    reply = await manage(lantern, "settings log-channel", channel=s.channel("read-only"))
    assert "I can't post in" in reply.content and "Send Messages" in reply.content
    general = s.channel("general")
    reply = await manage(lantern, "settings log-channel", channel=general)
    assert reply.content == f"Moderator notices will go to <#{general.id}>."
    assert (await lantern.core.store.guild_settings(s.guild.id)).log_channel_id == general.id
    assert f"Log channel: <#{general.id}>" in (await manage(lantern, "settings show")).content
    assert "Cleared the log channel" in (await manage(lantern, "settings log-channel")).content


async def test_show_and_quota(lantern: Lantern) -> None:
    """/settings show lists the settings and the quota in use."""
    reply = await manage(lantern, "settings show")
    assert "• Moderator role: none (Manage Server only)" in reply.content
    assert "• Content warnings: the default list (suicide, self-harm, overdose" in reply.content
    assert "• Feeds: 0 of 50 used" in reply.content
    await stored_subscription(lantern, "Steady Ground")
    await lantern.core.store.update_guild_settings(lantern.standin.guild.id,
                                                   subscription_quota=5)
    assert "• Feeds: 1 of 5 used" in (await manage(lantern, "settings show")).content
    # The operator's GUILD_SUBSCRIPTION_QUOTA applies where a guild has none of its own.
    operator = dataclasses.replace(lantern.settings, guild_subscription_quota=20)
    assert effective_quota(GuildSettings(1), operator) == 20
    assert effective_quota(GuildSettings(1, subscription_quota=5), operator) == 5


async def test_content_warnings_spoiler_and_can_be_turned_off(lantern: Lantern) -> None:
    """Content warnings spoiler the summary and can be customized, turned off and reset."""
    s = lantern.standin
    items = [{"title": "Surviving an overdose", "guid": "a", "description": "What helped me.",
              "pubDate": "Mon, 01 Jan 2024 00:00:00 +0000"}]
    url = serve(lantern, "/feed", 0, 0, items=items)
    reply = await add(lantern, url)
    assert "⚠️ Content warning: overdose" in reply.content  # the preview shows it too
    post = await s.next_message("general")
    assert post.content == "⚠️ Content warning: overdose"
    assert post.embeds[0]["description"].endswith("||What helped me.||")

    reply = await manage(lantern, "settings content-warnings", terms="none")
    assert reply.content.startswith("Content warnings are off")
    assert "• Content warnings: off" in (await manage(lantern, "settings show")).content
    items.insert(0, {"title": "Another overdose story", "guid": "b",
                     "description": "Plain summary.", "pubDate": "Tue, 02 Jan 2024 00:00:00 +0000"})
    serve(lantern, "/feed", 0, 0, items=items)
    await lantern.poll()
    post = await s.next_message("general")
    assert post.embeds[0]["title"] == "Another overdose story"
    assert "Content warning" not in post.content
    assert "||" not in post.embeds[0]["description"]

    reply = await manage(lantern, "settings content-warnings", terms="gardening, Hope,, hope")
    assert reply.content == "Content warnings now use 2 custom term(s): gardening, Hope."
    stored = await lantern.core.store.guild_settings(s.guild.id)
    assert stored.content_warnings == ("gardening", "Hope")
    reply = await manage(lantern, "settings content-warnings", terms="Default")
    assert reply.content == "Content warnings use the default list again."
    assert (await lantern.core.store.guild_settings(s.guild.id)).content_warnings is None
    reply = await manage(lantern, "settings content-warnings", terms="!!!")
    assert reply.content.startswith("I found no words there")
