"""REST through the real discord.py client: messages, threads, forums, fetches, DMs, failures."""

from __future__ import annotations

import time

import aiohttp
import discord
import pytest

from tests.standin import StandIn
from tests.standin.testbot import SampleBot

pytestmark = pytest.mark.e2e


def text_channel(bot: SampleBot, standin: StandIn, name: str) -> discord.TextChannel:
    channel = bot.get_channel(standin.channel(name).id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_message_create_edit_fetch_history_delete(discord_standin: StandIn,
                                                        standin_bot: SampleBot) -> None:
    """The whole life of a channel message, with the bot's own MESSAGE_CREATE echoed back."""
    s = discord_standin
    channel = text_channel(standin_bot, s, "general")
    sent = await channel.send("first", embed=discord.Embed(title="T", url="https://e.org/x"))
    stored = await s.next_message("general")
    assert stored.id == sent.id and stored.embeds[0]["title"] == "T"
    await sent.edit(content="first, edited")
    assert stored.content == "first, edited" and stored.edited_timestamp
    fetched = await channel.fetch_message(sent.id)
    assert fetched.content == "first, edited"
    second = await channel.send("second")
    history = [m.id async for m in channel.history(limit=10)]
    assert history == [second.id, sent.id]
    assert [m.id async for m in channel.history(limit=10, before=second)] == [sent.id]
    assert [m.id async for m in channel.history(limit=10, after=sent)] == [second.id]
    await sent.delete()
    assert stored.deleted
    with pytest.raises(discord.NotFound) as err:
        await channel.fetch_message(sent.id)
    assert err.value.code == 10008
    await s.wait_for(lambda: len(standin_bot.seen("message")) >= 2, 2, "own messages echoed")


async def test_announcement_crosspost_and_reactions(discord_standin: StandIn,
                                                   standin_bot: SampleBot) -> None:
    """Publishing in an announcement channel; adding a reaction; typing."""
    s = discord_standin
    channel = standin_bot.get_channel(s.channel("announcements").id)
    assert isinstance(channel, discord.TextChannel) and channel.is_news()
    msg = await channel.send("news")
    await msg.publish()
    await msg.add_reaction("📰")
    await channel.typing()
    stored = s.world.messages[msg.id]
    assert stored.flags & 1 and stored in s.crossposts and "📰" in stored.reactions


async def test_threads_from_message_and_updates(discord_standin: StandIn,
                                                standin_bot: SampleBot) -> None:
    """A thread started from a message shares its id; name limits are enforced."""
    s = discord_standin
    channel = text_channel(standin_bot, s, "general")
    msg = await channel.send("article")
    thread = await msg.create_thread(name="Discuss: article")
    assert thread.id == msg.id
    assert s.threads("general")[0].name == "Discuss: article"
    await s.wait_for(lambda: thread.id in standin_bot.seen("thread_create"), 2, "THREAD_CREATE")
    await thread.send("in the thread")
    assert s.messages(s.threads("general")[0])[0].content == "in the thread"
    with pytest.raises(discord.HTTPException) as err:
        await msg.create_thread(name="again")
    assert err.value.code == 160004
    other = await channel.send("other")
    with pytest.raises(discord.HTTPException) as err:
        await other.create_thread(name="x" * 101)
    assert err.value.code == 50035 and "name" in err.value.text
    await thread.edit(archived=True, locked=True)
    assert s.threads("general")[0].locked


async def test_forum_post(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """POST /channels/{forum}/threads with a nested message, through a slash command."""
    s = discord_standin
    forum = s.channel("recovery-writing")
    it = await s.invoke("forum", as_="mod", options={"channel": forum, "title": "New article"})
    text = (await it.wait_message()).content
    thread = s.threads(forum)[0]
    assert text == f"forum {thread.id}"
    assert thread.applied_tags == [int(forum.available_tags[0]["id"])]
    first = s.messages(thread)[0]
    assert first.id == thread.id and first.content == "First post"
    channel = standin_bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as err:
        await channel.create_thread(name="bad", content="x" * 2001)
    assert err.value.code == 50035 and "message" in err.value.text


async def test_forum_tags_and_archived_threads(discord_standin: StandIn,
                                                standin_bot: SampleBot) -> None:
    """A forum that requires tags refuses untagged posts; sending unarchives a thread."""
    s = discord_standin
    forum = s.channel("recovery-writing")
    forum.require_tag = True
    channel = standin_bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as err:
        await channel.create_thread(name="untagged", content="x")
    assert err.value.code == 40067
    tagged = await channel.create_thread(name="tagged", content="x",
                                         applied_tags=channel.available_tags)
    await s.update_thread(s.threads(forum)[0], archived=True)
    await tagged.thread.send("bump")
    assert not s.threads(forum)[0].archived


async def test_permission_errors(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Can't view → 50001; can't send or embed → 50013; forum posts need Send Messages."""
    s = discord_standin
    hidden = standin_bot.get_partial_messageable(s.channel("mod-only").id)
    with pytest.raises(discord.Forbidden) as err:
        await hidden.send("hi")
    assert err.value.code == 50001
    with pytest.raises(discord.Forbidden) as err:
        await text_channel(standin_bot, s, "read-only").send("hi")
    assert err.value.code == 50013
    no_embeds = text_channel(standin_bot, s, "no-embeds")
    await no_embeds.send("text is fine")
    with pytest.raises(discord.Forbidden) as err:
        await no_embeds.send(embed=discord.Embed(title="no"))
    assert err.value.code == 50013
    forum = s.channel("recovery-writing")
    await s.set_permissions(forum, s.role("Lantern"), deny=1 << 11)
    channel = standin_bot.get_channel(forum.id)
    assert isinstance(channel, discord.ForumChannel)
    with pytest.raises(discord.Forbidden) as err:
        await channel.create_thread(name="post", content="x")
    assert err.value.code == 50013
    with pytest.raises(discord.NotFound) as err:
        await standin_bot.get_partial_messageable(1234).send("x")
    assert err.value.code == 10003


async def test_slash_command_reports_missing_permissions(discord_standin: StandIn,
                                                         standin_bot: SampleBot) -> None:
    """The bot's error path: /post into a read-only channel answers with 50013."""
    s = discord_standin
    it = await s.invoke("post", as_="mod", options={"channel": s.channel("read-only"),
                                                    "title": "x"})
    assert (await it.wait_message()).content == "failed: 403 50013"


async def test_embed_and_content_limits(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Payloads Discord refuses are refused with 50035 and the field path."""
    channel = text_channel(standin_bot, discord_standin, "general")
    cases: list[tuple[dict[str, object], str]] = [
        ({"content": "x" * 2001}, "content"),
        ({"embed": discord.Embed(title="t" * 257)}, "title"),
        ({"embed": discord.Embed(description="d" * 4097)}, "description"),
        ({"embed": discord.Embed(title="t", url="ftp://example.org")}, "url"),
        ({"embed": discord.Embed().set_footer(text="f" * 2049)}, "footer"),
        ({"embed": discord.Embed().set_author(name="a" * 257)}, "author"),
        ({"embed": discord.Embed(description="d" * 4000, title="t" * 256)
          .add_field(name="n", value="v" * 1024).add_field(name="n", value="v" * 1000)},
         "6000"),
    ]
    many = discord.Embed(title="t")
    for i in range(26):
        many.add_field(name=str(i), value="v")
    cases.append(({"embed": many}, "fields"))
    long_field = discord.Embed().add_field(name="n" * 257, value="v" * 1025)
    cases.append(({"embed": long_field}, "fields"))
    for kwargs, needle in cases:
        with pytest.raises(discord.HTTPException) as err:
            await channel.send(**kwargs)  # type: ignore[call-overload]
        assert err.value.status == 400 and err.value.code == 50035, kwargs
        assert needle in err.value.text, (needle, err.value.text)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send(embed=discord.Embed())
    assert err.value.code == 50006
    # discord.py itself refuses more than 10 embeds, so send that one raw.
    async with aiohttp.ClientSession() as http:
        body = {"embeds": [{"title": str(i)} for i in range(11)]}
        async with http.post(f"{discord_standin.api_base}/channels/{channel.id}/messages",
                             json=body, headers={"Authorization": f"Bot {discord_standin.token}"}
                             ) as resp:
            assert resp.status == 400 and "embeds" in (await resp.json())["errors"]
    assert discord_standin.messages("general") == []


async def test_fetch_channel_guild_members(discord_standin: StandIn,
                                           standin_bot: SampleBot) -> None:
    """GET channel, guild (with counts), guild channels, members and users."""
    s = discord_standin
    channel = await standin_bot.fetch_channel(s.channel("general").id)
    assert channel.name == "general"
    with pytest.raises(discord.Forbidden) as err:
        await standin_bot.fetch_channel(s.channel("mod-only").id)
    assert err.value.code == 50001
    guild = await standin_bot.fetch_guild(s.guild.id)
    assert guild.owner_id == s.user("owner").id and guild.approximate_member_count == 5
    channels = await guild.fetch_channels()
    assert {c.name for c in channels} >= {"general", "announcements", "recovery-writing"}
    member = await guild.fetch_member(s.user("mod").id)
    assert [r.name for r in member.roles if r.name != "@everyone"] == ["Moderators"]
    members = [m.name async for m in guild.fetch_members(limit=None)]
    assert "pat_member" in members and len(members) == 5
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(42)
    user = await standin_bot.fetch_user(s.user("member").id)
    assert user.name == "pat_member"
    assert {g.id async for g in standin_bot.fetch_guilds()} == set(s.world.guilds)
    roles = await guild.fetch_roles()
    assert "Moderators" in {r.name for r in roles}


async def test_direct_messages(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """POST /users/@me/channels then a DM; closed DMs are 50007."""
    s = discord_standin
    it = await s.invoke("dm", as_="mod", options={"user": s.member("member")})
    assert (await it.wait_message()).content == "dm sent"
    assert [m.content for m in s.dm_messages("member")] == ["Hello from Lantern"]
    s.user("manager").dms_open = False
    it = await s.invoke("dm", as_="mod", options={"user": s.member("manager")})
    assert (await it.wait_message()).content == "dm failed 50007"


async def test_history_through_a_command(discord_standin: StandIn,
                                         standin_bot: SampleBot) -> None:
    """Member messages show up in the history the bot fetches."""
    s = discord_standin
    for i in range(3):
        await s.post_as("member", "general", f"hello {i}")
    it = await s.invoke("history", options={"channel": s.channel("general")})
    assert (await it.wait_message()).content == "history 3"


async def test_rate_limit_429_is_retried_with_via(discord_standin: StandIn,
                                                  standin_bot: SampleBot) -> None:
    """A 429 with Via and retry_after is retried by discord.py; without Via it raises."""
    s = discord_standin
    channel = text_channel(standin_bot, s, "general")
    failure = s.fail_next("POST", "/channels/{channel_id}/messages", 429, retry_after=0.05)
    await channel.send("after a 429")
    assert failure.hits == 1 and len(s.messages("general")) == 1
    s.fail_next("POST", "/channels/{channel_id}/messages", 429, via=False)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("blocked")
    assert err.value.status == 429


async def test_server_errors_are_retried(discord_standin: StandIn,
                                         standin_bot: SampleBot) -> None:
    """One 500 then success; a 503 is raised as DiscordServerError."""
    s = discord_standin
    channel = text_channel(standin_bot, s, "general")
    failure = s.fail_next("POST", "/channels/{channel_id}/messages", 500)
    await channel.send("after a 500")
    assert failure.hits == 1 and len(s.messages("general")) == 1
    s.fail_next("GET", f"/channels/{channel.id}", 503)
    with pytest.raises(discord.DiscordServerError):
        await standin_bot.fetch_channel(channel.id)
    s.fail_next("POST", "/channels/{channel_id}/messages", 502)
    await channel.send("after a 502")
    assert len(s.messages("general")) == 2


async def test_per_channel_message_rate_limit(discord_standin: StandIn,
                                              standin_bot: SampleBot) -> None:
    """With the 5-per-window limit on, a burst is paced by the headers, or 429s and retries."""
    s = discord_standin
    s.enable_message_rate_limit(limit=5, per=0.5)
    channel = text_channel(standin_bot, s, "general")
    started = time.monotonic()
    for i in range(7):
        await channel.send(f"burst {i}")
    assert time.monotonic() - started >= 0.4
    assert len(s.messages("general")) == 7
    # A client that ignores the headers gets a real 429 with retry_after.
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {s.token}"}
        url = f"{s.api_base}/channels/{channel.id}/messages"
        limited = None
        for _ in range(6):
            async with http.post(url, json={"content": "raw"}, headers=headers) as resp:
                if resp.status == 429:
                    limited = (await resp.json(), dict(resp.headers))
                    break
        assert limited is not None, "six posts inside one window were all accepted"
        body, response_headers = limited
        assert body["retry_after"] > 0 and body["global"] is False
        assert response_headers["Via"] and response_headers["X-RateLimit-Remaining"] == "0"
    assert s.rate_limited


async def test_enforced_nonce_returns_the_same_message(discord_standin: StandIn,
                                                       standin_bot: SampleBot) -> None:
    """enforce_nonce: a repeated nonce within the window returns the first message."""
    s = discord_standin
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {s.token}"}
        url = f"{s.api_base}/channels/{s.channel('general').id}/messages"
        ids = []
        for _ in range(2):
            body = {"content": "once", "nonce": "article-17", "enforce_nonce": True}
            async with http.post(url, json=body, headers=headers) as resp:
                ids.append((await resp.json())["id"])
        async with http.post(url, json={"content": "twice", "nonce": "article-17"},
                             headers=headers) as resp:
            ids.append((await resp.json())["id"])
    assert ids[0] == ids[1] != ids[2]
    assert len(s.messages("general")) == 2 and len(s.nonce_hits) == 1


async def test_mentions_are_computed_from_allowed_mentions(discord_standin: StandIn,
                                                           standin_bot: SampleBot) -> None:
    """Feed text with @everyone, role and user mentions pings no one under the bot's
    AllowedMentions.none(); a permissive send would ping."""
    s = discord_standin
    text = f"@everyone <@&{s.role('Moderators').id}> <@{s.user('member').id}> read this"
    quiet = await (await s.invoke("echo", as_="owner", options={"text": text})).wait_message()
    assert not quiet.pings.anyone
    assert quiet.allowed_mentions == {"parse": []}
    loud = await (await s.invoke("loud", as_="owner", options={"text": text})).wait_message()
    assert loud.pings.roles == {s.role("Moderators").id}
    assert loud.pings.users == {s.user("member").id}
    assert not loud.pings.everyone  # the bot lacks Mention Everyone
    mentioned = s.message_payload(loud, s.guild)["mentions"]
    assert [u["id"] for u in mentioned] == [str(s.user("member").id)]
    await s.set_role_permissions(s.role("Lantern"), s.role("Lantern").permissions | (1 << 17))
    loud = await (await s.invoke("loud", as_="owner", options={"text": text})).wait_message()
    assert loud.pings.everyone
    default = await text_channel(standin_bot, s, "general").send(
        text, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True))
    stored = s.world.messages[default.id]
    assert stored.pings.users == {s.user("member").id} and not stored.pings.roles


async def test_unknown_route_is_404_and_recorded(discord_standin: StandIn) -> None:
    """Unknown routes answer Discord's 404 and are recorded (the fixture fails the test)."""
    s = discord_standin
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {s.token}"}
        async with http.get(f"{s.api_base}/no/such/route", headers=headers) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
            assert resp.headers["Content-Type"] == "application/json"
        async with http.get(f"{s.api_base}/users/@me") as resp:
            assert resp.status == 401
    assert s.unknown_routes == ["GET /no/such/route"]
    s.unknown_routes.clear()  # this test means it


async def test_unexpected_body_is_a_recorded_400(discord_standin: StandIn) -> None:
    """A body the stand-in can't handle is answered 400 (never a retried 500) and recorded."""
    s = discord_standin
    url = f"{s.api_base}/channels/{s.channel('general').id}/messages/bulk-delete"
    lantern = s.role("Lantern")
    lantern.permissions |= 1 << 13
    async with aiohttp.ClientSession() as http:
        body = {"messages": ["not-a-snowflake", "x"]}
        async with http.post(url, json=body, headers={"Authorization": f"Bot {s.token}"}
                             ) as resp:
            assert resp.status == 400
    assert len(s.internal_errors) == 1
    s.internal_errors.clear()  # this test means it


async def test_command_sync_validation(discord_standin: StandIn) -> None:
    """Command names, descriptions and option rules are checked at sync time."""
    s = discord_standin
    url = f"{s.api_base}/applications/{s.world.application_id}/commands"
    headers = {"Authorization": f"Bot {s.token}"}
    bad = [
        {"name": "Feed", "description": "upper case"},
        {"name": "x" * 33, "description": "too long"},
        {"name": "ok", "description": ""},
        {"name": "opts", "description": "d", "options": [
            {"type": 3, "name": "a", "description": "d"},
            {"type": 3, "name": "b", "description": "d", "required": True}]},
        {"name": "choices", "description": "d", "options": [
            {"type": 3, "name": "a", "description": "d", "autocomplete": True,
             "choices": [{"name": "x", "value": "x"}]}]},
        {"name": "many", "description": "d", "options": [
            {"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)]},
        {"name": "manychoices", "description": "d", "options": [
            {"type": 3, "name": "a", "description": "d",
             "choices": [{"name": str(i), "value": str(i)} for i in range(26)]}]},
    ]
    async with aiohttp.ClientSession() as http:
        for command in bad:
            async with http.put(url, json=[command], headers=headers) as resp:
                body = await resp.json()
                assert resp.status == 400 and body["code"] == 50035, command
                assert "0" in body["errors"]
        good = [{"name": "feed", "description": "d", "options": [
            {"type": 1, "name": "add", "description": "d", "options": [
                {"type": 3, "name": "url", "description": "d", "required": True}]}]}]
        async with http.put(url, json=good, headers=headers) as resp:
            assert resp.status == 200
            stored = await resp.json()
            assert stored[0]["id"] and stored[0]["application_id"] and stored[0]["version"]
    assert s.command_names() == ["feed"]


async def test_multipart_upload(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """Files go as multipart with payload_json; they become attachments."""
    import io

    channel = text_channel(standin_bot, discord_standin, "general")
    msg = await channel.send("with a file", file=discord.File(io.BytesIO(b"hello"), "a.txt"))
    assert msg.attachments[0].filename == "a.txt" and msg.attachments[0].size == 5
