"""Slash commands, autocomplete, buttons and modals through the stand-in, as members see them."""

from __future__ import annotations

import aiohttp
import pytest

from tests.standin import SchemaError, StandIn
from tests.standin.testbot import SampleBot

pytestmark = pytest.mark.e2e


async def test_slash_command_gets_a_message_response(discord_standin: StandIn,
                                                     standin_bot: SampleBot) -> None:
    """/ping is answered with callback type 4 and the message lands in the channel."""
    it = await discord_standin.invoke("ping", as_="member", channel="general")
    response = await it.wait_response()
    assert response["type"] == 4
    assert it.message is not None and it.message.content == "pong"
    assert it.message in discord_standin.messages("general")
    assert it.message.interaction_id == it.id


async def test_commands_synced_globally_and_per_guild(discord_standin: StandIn,
                                                      standin_bot: SampleBot) -> None:
    """The bot's global and guild syncs are both recorded; guild commands only in their guild."""
    assert "ping" in discord_standin.command_names()
    assert "guildonly" in discord_standin.command_names(discord_standin.guild)
    assert "guildonly" not in discord_standin.command_names(discord_standin.second_guild)
    it = await discord_standin.invoke("guildonly", as_="owner")
    await it.wait_message()
    assert it.message is not None and str(discord_standin.guild.id) in it.message.content
    with pytest.raises(SchemaError):
        await discord_standin.invoke("guildonly", as_="other_owner",
                                     channel=discord_standin.channel(
                                         "lobby", discord_standin.second_guild))


async def test_deferred_then_followup_replaces_thinking(discord_standin: StandIn,
                                                        standin_bot: SampleBot) -> None:
    """defer(thinking) is type 5; the first follow-up fills the loading message (ephemeral)."""
    it = await discord_standin.invoke("feed add", as_="mod", options={
        "url": "https://example.org/feed.xml", "channel": discord_standin.channel("general")})
    assert (await it.wait_response())["type"] == 5
    followup = await it.wait_followup()
    assert followup is it.message
    assert followup.ephemeral
    assert "example.org/feed.xml" in followup.content
    assert "limit 5" in followup.content
    assert followup not in discord_standin.bot_messages("general")


async def test_option_schema_is_enforced(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Tests cannot send what Discord's client would not: unknown names, types, ranges."""
    s = discord_standin
    general = s.channel("general")
    with pytest.raises(SchemaError, match="did not register"):
        await s.invoke("nope")
    with pytest.raises(SchemaError, match="not registered"):
        await s.invoke("ping", options={"extra": "x"})
    with pytest.raises(SchemaError, match="required"):
        await s.invoke("feed add", options={"channel": general})
    with pytest.raises(SchemaError, match="range"):
        await s.invoke("feed add", options={"url": "u", "channel": general, "limit": 26})
    with pytest.raises(SchemaError, match="channel types"):
        await s.invoke("feed add", options={"url": "u", "channel": s.channel("Lantern")})
    with pytest.raises(SchemaError, match="choices"):
        await s.invoke("feed config show", options={"view": "huge"})
    with pytest.raises(SchemaError, match="subcommand"):
        await s.invoke("feed")
    with pytest.raises(SchemaError, match="hidden"):
        await s.invoke("settings", as_="member")
    with pytest.raises(SchemaError, match="cannot see"):
        await s.invoke("ping", as_="member", channel="mod-only")


async def test_subcommand_group_with_choices(discord_standin: StandIn,
                                             standin_bot: SampleBot) -> None:
    """/feed config show view:full reaches the nested handler."""
    it = await discord_standin.invoke("feed config show", options={"view": "full"})
    message = await it.wait_message()
    assert message.content == "settings view=full"
    assert message.ephemeral


async def test_resolved_options_and_permissions(discord_standin: StandIn,
                                                standin_bot: SampleBot) -> None:
    """User and role options resolve; the member's and the app's permissions are sent."""
    s = discord_standin
    it = await s.invoke("whoami", as_="manager", channel="no-embeds",
                        options={"user": s.member("mod"), "role": s.role("Moderators")})
    text = (await it.wait_message()).content
    assert "you=manny_manager manage_guild=True manage_messages=True" in text
    assert "app_send=True app_embed=False" in text
    assert "user=morgan_mod role=Moderators" in text
    it = await s.invoke("whoami", as_="mod")
    text = (await it.wait_message()).content
    assert "manage_guild=False manage_messages=True" in text


async def test_default_member_permissions_gate(discord_standin: StandIn,
                                               standin_bot: SampleBot) -> None:
    """A Manage Server command is available to the manager and the owner only."""
    for who in ("owner", "manager"):
        it = await discord_standin.invoke("settings", as_=who)
        assert (await it.wait_message()).content == "settings"
    for who in ("mod", "member"):
        with pytest.raises(SchemaError):
            await discord_standin.invoke("settings", as_=who)


async def test_autocomplete(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Typing into an autocomplete option returns the bot's choices (callback type 8)."""
    choices = await discord_standin.autocomplete("feed remove", "name", "so")
    assert [c["value"] for c in choices] == ["sober-stories"]
    with pytest.raises(SchemaError, match="autocomplete"):
        await discord_standin.autocomplete("echo", "text", "x")


async def test_button_update_and_deferred_update(discord_standin: StandIn,
                                                 standin_bot: SampleBot) -> None:
    """Clicking buttons: type 7 edits the panel, type 6 then a follow-up."""
    s = discord_standin
    it = await s.invoke("panel")
    panel = await it.wait_message()
    click = await s.click(panel, "panel:confirm", as_="mod")
    assert (await click.wait_response())["type"] == 7
    assert panel.content == "Confirmed by morgan_mod"
    assert panel.components[0]["components"][0]["disabled"] is True
    with pytest.raises(SchemaError, match="disabled"):
        await s.click(panel, "panel:confirm")
    later = await s.click(panel, "panel:later")
    assert (await later.wait_response())["type"] == 6
    followup = await later.wait_followup()
    assert followup.content == "Deferred, done later" and followup.ephemeral
    with pytest.raises(SchemaError, match="no component"):
        await s.click(panel, "panel:missing")


async def test_modal_from_command_and_button(discord_standin: StandIn,
                                             standin_bot: SampleBot) -> None:
    """Callback type 9 opens a modal; submitting it reaches on_submit."""
    s = discord_standin
    it = await s.invoke("feedback", as_="member")
    assert (await it.wait_response())["type"] == 9
    with pytest.raises(SchemaError, match="required"):
        await s.submit_modal(it, {"feedback:mood": "ok"})
    with pytest.raises(SchemaError, match="no input"):
        await s.submit_modal(it, {"feedback:text": "x", "other": "y"})
    submitted = await s.submit_modal(it, {"feedback:text": "Love the feeds", "feedback:mood": "ok"})
    message = await submitted.wait_message()
    assert message.content == "Thanks for the feedback: Love the feeds (ok)"

    panel = await (await s.invoke("panel")).wait_message()
    click = await s.click(panel, "panel:feedback")
    assert (await click.wait_response())["type"] == 9
    submitted = await s.submit_modal(click, {"feedback:text": "From the button"})
    assert "From the button (no mood)" in (await submitted.wait_message()).content


async def test_original_and_followup_edit_fetch_delete(discord_standin: StandIn,
                                                       standin_bot: SampleBot) -> None:
    """@original and follow-up messages can be edited, fetched and deleted."""
    s = discord_standin
    it = await s.invoke("cleanup")
    await s.wait_for(lambda: standin_bot.seen("cleanup"), 3, "the cleanup command")
    assert standin_bot.seen("cleanup") == [("edited original", "edited follow-up")]
    assert it.message is not None and it.message.deleted
    assert it.message.edits[0]["content"] == "edited original"
    followup = it.followups[0]
    assert followup.deleted and followup.edits[0]["content"] == "edited follow-up"
    assert it.message not in s.messages("general")


async def test_deferred_post_edits_original(discord_standin: StandIn,
                                            standin_bot: SampleBot) -> None:
    """defer() then edit_original_response: the loading message gets its content."""
    s = discord_standin
    it = await s.invoke("post", as_="mod", options={"channel": s.channel("general"),
                                                    "title": "Day one"})
    message = await it.wait_message()
    assert message.content.startswith("posted ")
    article = await s.next_message("general")
    assert article.embeds[0]["title"] == "Day one"


async def test_late_and_double_responses_are_rejected(discord_standin: StandIn,
                                                      standin_bot: SampleBot) -> None:
    """After the 3 s window Discord answers 10062; a second ack is 40060."""
    s = discord_standin
    s.interaction_response_deadline = 0.1
    it = await s.invoke("slow")
    await s.wait_for(lambda: it.rejected, 3, "a rejected callback")
    assert it.rejected[0][1]["code"] == 10062
    await s.wait_for(lambda: standin_bot.errors, 3, "NotFound in the bot")


async def test_second_acknowledgement_is_rejected(discord_standin: StandIn,
                                                  standin_bot: SampleBot) -> None:
    """Answering an interaction twice is 40060."""
    s = discord_standin
    it = await s.invoke("ping")
    await it.wait_response()
    async with aiohttp.ClientSession() as http:
        url = f"{s.api_base}/interactions/{it.id}/{it.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400
            assert (await resp.json())["code"] == 40060
        async with http.post(f"{s.api_base}/interactions/{it.id}/wrong/callback",
                             json={"type": 4, "data": {"content": "x"}}) as resp:
            assert (await resp.json())["code"] == 10062


async def test_ephemeral_echo_does_not_reach_channel_history(discord_standin: StandIn,
                                                             standin_bot: SampleBot) -> None:
    """Ephemeral responses are only the invoker's."""
    it = await discord_standin.invoke("echo", options={"text": "secret", "ephemeral": True})
    message = await it.wait_message()
    assert message.ephemeral
    assert message not in discord_standin.bot_messages("general")


async def test_select_menu(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Select values are checked against the options and min/max the bot sent."""
    s = discord_standin
    panel = await (await s.invoke("panel")).wait_message()
    with pytest.raises(SchemaError, match="offers only"):
        await s.click(panel, "panel:pick", values=["nope"])
    with pytest.raises(SchemaError, match="values"):
        await s.click(panel, "panel:pick", values=["recovery-blog", "sober-stories",
                                                    "daily-reflections"])
    picked = await s.click(panel, "panel:pick", values=["recovery-blog", "sober-stories"])
    assert (await picked.wait_message()).content == "picked recovery-blog, sober-stories"


async def test_command_in_a_dm(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Global commands work in DMs (user, no member); guild commands do not."""
    s = discord_standin
    dm = s.dm_channel("member")
    it = await s.invoke("echo", as_="member", channel=dm, options={"text": "in a dm"})
    assert (await it.wait_message()).content == "in a dm"
    assert "member" not in it.payload and it.payload["user"]["id"] == str(s.user("member").id)
    with pytest.raises(SchemaError, match="did not register"):
        await s.invoke("guildonly", channel=dm)
    await s.post_as("member", dm, "hello bot")
    await s.wait_for(lambda: any(m.content == "hello bot" for m in standin_bot.seen("message")),
                     2, "the DM to reach the bot")


async def test_pins_and_channel_webhooks(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Pinning needs Manage/Pin Messages; webhooks need Manage Webhooks."""
    s = discord_standin
    it = await s.invoke("pin", as_="mod")
    assert (await it.wait_message()).content == "pin failed 50013"
    it = await s.invoke("hook", as_="mod", options={"channel": s.channel("general")})
    assert (await it.wait_message()).content == "webhook failed 50013"
    lantern = s.role("Lantern")
    await s.set_role_permissions(lantern, lantern.permissions | (1 << 13) | (1 << 29))
    it = await s.invoke("pin", as_="mod")
    assert (await it.wait_message()).content == "pins 1"
    it = await s.invoke("hook", as_="mod", options={"channel": s.channel("general")})
    text = (await it.wait_message()).content
    hooked = s.world.messages[int(text.split()[1])]
    assert hooked.author.username == "Recovery Daily" and hooked.webhook_id
    assert hooked.content == "via webhook, edited"
