"""The gateway as discord.py meets it: start-up, the world, events, reconnects and resumes."""

from __future__ import annotations

import json

import aiohttp
import discord
import pytest

from tests.standin import StandIn, running_bot
from tests.standin import permissions as P
from tests.standin.testbot import SampleBot

pytestmark = pytest.mark.e2e


async def test_startup_order_and_world(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """users/@me, application, command sync, then IDENTIFY; GUILD_CREATE carries the world."""
    s = discord_standin
    paths = [f"{r.method} {r.path}" for r in s.requests]
    assert paths[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert paths[2].startswith("PUT /applications/") and paths[2].endswith("/commands")
    assert s.gateway.received[0]["op"] == 1 and s.gateway.received[1]["op"] == 2
    assert s.gateway.connect_paths == ["/gateway"]
    assert {g.id for g in standin_bot.guilds} == set(s.world.guilds)
    guild = standin_bot.get_guild(s.guild.id)
    assert guild is not None and guild.owner_id == s.user("owner").id
    assert guild.get_member(s.user("manager").id).guild_permissions.manage_guild  # type: ignore[union-attr]
    mod = guild.get_member(s.user("mod").id)
    assert mod is not None and [r.name for r in mod.roles[1:]] == ["Moderators"]
    assert not mod.guild_permissions.manage_guild
    member = guild.get_member(s.user("member").id)
    assert member is not None and member.roles == [guild.default_role]
    kinds = {c.name: c.type for c in guild.channels}
    assert kinds["general"] == discord.ChannelType.text
    assert kinds["announcements"] == discord.ChannelType.news
    assert kinds["recovery-writing"] == discord.ChannelType.forum
    me = guild.me
    assert not guild.get_channel(s.channel("mod-only").id).permissions_for(me).view_channel  # type: ignore[union-attr]
    assert not guild.get_channel(s.channel("read-only").id).permissions_for(me).send_messages  # type: ignore[union-attr]
    # The stand-in computes the same text permissions discord.py does from the same data
    # (discord.py also strips voice bits in text channels, hence the mask).
    mask = (P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES
            | P.READ_MESSAGE_HISTORY | P.MANAGE_MESSAGES | P.MANAGE_THREADS | P.MENTION_EVERYONE
            | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS | P.ADD_REACTIONS
            | P.MANAGE_CHANNELS | P.MANAGE_ROLES | P.ADMINISTRATOR | P.MANAGE_GUILD)
    for channel in guild.channels:
        for member_ in guild.members:
            ours = P.channel_permissions(s.guild, s.guild.channels[channel.id], member_.id)
            theirs = channel.permissions_for(member_).value
            assert theirs & mask == ours & mask, (channel.name, member_.name)


async def test_bad_token(discord_standin: StandIn) -> None:
    """REST answers 401 (LoginFailure); the gateway closes 4004 on a bad IDENTIFY."""
    s = discord_standin
    bot = SampleBot()
    from tests.standin.client import configure_discord

    configure_discord(s.api_base, s.gateway_url)
    with pytest.raises(discord.LoginFailure):
        await bot.start("not-the-token")
    await bot.close()
    async with aiohttp.ClientSession() as http, http.ws_connect(s.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513,
                                           "properties": {}}})
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4004


async def test_disallowed_intents_close_4014(discord_standin: StandIn) -> None:
    """Privileged intents not enabled for the app: close 4014."""
    s = discord_standin
    s.privileged_intents = 0
    bot = SampleBot()
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(s, bot):
            pass
    assert 4014 in s.gateway.close_codes


async def test_reconnect_op7_resumes_and_replays(discord_standin: StandIn,
                                                 standin_bot: SampleBot) -> None:
    """op 7: the client RESUMEs on resume_gateway_url and gets the events it missed."""
    s = discord_standin
    await s.force_reconnect()
    missed = await s.post_as("member", "general", "sent while reconnecting")
    await s.wait_resumed()
    await s.wait_for(lambda: any(m.id == missed.id for m in standin_bot.seen("message")), 3,
                     "the missed message")
    assert s.gateway.current is not None and s.gateway.current.identifies == 1
    assert s.gateway.connect_paths == ["/gateway", "/gateway-resume"]
    await s.wait_for(lambda: standin_bot.seen("resumed"), 2, "on_resumed")
    it = await s.invoke("ping")
    await it.wait_response()
    seqs = [f["s"] for f in s.gateway.current.buffer]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_close_4000_and_dropped_connection_resume(discord_standin: StandIn,
                                                        standin_bot: SampleBot) -> None:
    """A 4000 close and a cut TCP connection are both resumed."""
    s = discord_standin
    await s.close_gateway(4000)
    await s.post_as("member", "general", "during 4000")
    await s.wait_resumed(1)
    s.drop_connection()
    await s.post_as("member", "general", "during drop")
    await s.wait_resumed(2, timeout=10)
    await s.wait_for(lambda: [m.content for m in standin_bot.seen("message")][-2:] ==
                     ["during 4000", "during drop"], 3, "both missed messages")
    assert s.gateway.current is not None and s.gateway.current.identifies == 1


async def test_invalid_session_reidentifies(discord_standin: StandIn,
                                            standin_bot: SampleBot) -> None:
    """op 9 false: a fresh IDENTIFY, READY and GUILD_CREATE; op 9 true: RESUME."""
    s = discord_standin
    await s.invalidate_session(resumable=False)
    await s.wait_identified(2)
    await s.wait_for(lambda: standin_bot.ready_count >= 2, 3, "a second on_ready")
    assert len(standin_bot.guilds) == 2
    await s.invalidate_session(resumable=True)
    await s.wait_resumed(1)
    it = await s.invoke("ping")
    assert (await it.wait_message()).content == "pong"


async def test_guild_delete(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """The bot removed from a guild: GUILD_DELETE; its channels then answer 50001."""
    s = discord_standin
    second = s.second_guild
    lobby = s.channel("lobby", second)
    await s.remove_bot(second)
    await s.wait_for(lambda: second.id in standin_bot.seen("guild_remove"), 2, "guild_remove")
    assert standin_bot.get_guild(second.id) is None
    with pytest.raises(discord.Forbidden) as err:
        await standin_bot.get_partial_messageable(lobby.id).send("still here?")
    assert err.value.code == 50001
    # The bot leaving on its own does the same.
    guild = standin_bot.get_guild(s.guild.id)
    assert guild is not None
    await guild.leave()
    await s.wait_for(lambda: s.guild.id in standin_bot.seen("guild_remove"), 2, "leave")


async def test_channel_create_update_delete(discord_standin: StandIn,
                                            standin_bot: SampleBot) -> None:
    """CHANNEL_CREATE/UPDATE/DELETE reach the cache; locking removes the bot's send."""
    s = discord_standin
    created = await s.create_channel("fresh")
    await s.wait_for(lambda: created.id in standin_bot.seen("channel_create"), 2, "create")
    channel = standin_bot.get_channel(created.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("hello fresh")
    await s.lock_channel(created)
    await s.wait_for(lambda: created.id in standin_bot.seen("channel_update"), 2, "update")
    channel = standin_bot.get_channel(created.id)
    assert isinstance(channel, discord.TextChannel)
    assert not channel.permissions_for(channel.guild.me).send_messages
    with pytest.raises(discord.Forbidden) as err:
        await channel.send("locked")
    assert err.value.code == 50013
    await s.set_permissions(created, s.role("Lantern"), allow=P.SEND_MESSAGES)
    await s.wait_for(lambda: standin_bot.get_channel(created.id).permissions_for(  # type: ignore[union-attr]
        channel.guild.me).send_messages, 2, "role overwrite")
    await channel.send("allowed again by a role overwrite")
    await s.set_permissions(created, s.member("member"), deny=P.VIEW_CHANNEL)
    assert not P.channel_permissions(s.guild, created, s.user("member").id) & P.VIEW_CHANNEL
    await s.delete_channel(created)
    await s.wait_for(lambda: created.id in standin_bot.seen("channel_delete"), 2, "delete")
    assert standin_bot.get_channel(created.id) is None
    with pytest.raises(discord.NotFound) as err:
        await channel.send("gone")
    assert err.value.code == 10003


async def test_role_and_member_updates(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """GUILD_ROLE_UPDATE and GUILD_MEMBER_UPDATE change permissions on both sides."""
    s = discord_standin
    await s.set_roles("member", [s.role("Managers")])
    guild = standin_bot.get_guild(s.guild.id)
    assert guild is not None
    await s.wait_for(lambda: guild.get_member(s.user("member").id).guild_permissions  # type: ignore[union-attr]
                     .manage_guild, 2, "member update")
    it = await s.invoke("settings", as_="member")
    assert (await it.wait_message()).content == "settings"
    await s.set_role_permissions(s.role("Lantern"), 0)
    await s.lock_channel("general")
    await s.wait_for(lambda: not guild.get_channel(s.channel("general").id)  # type: ignore[union-attr]
                     .permissions_for(guild.me).send_messages, 2, "role update")


async def test_threads_by_members(discord_standin: StandIn, standin_bot: SampleBot) -> None:
    """THREAD_CREATE, THREAD_UPDATE (locked) and THREAD_DELETE from members' actions."""
    s = discord_standin
    root = await s.post_as("member", "general", "let's talk")
    thread = await s.start_thread("member", "general", "Talk", from_message=root)
    await s.wait_for(lambda: thread.id in standin_bot.seen("thread_create"), 2, "create")
    cached = standin_bot.get_channel(thread.id)
    assert isinstance(cached, discord.Thread) and cached.name == "Talk"
    await cached.send("bot in thread")
    await s.update_thread(thread, locked=True)
    await s.wait_for(lambda: thread.id in standin_bot.seen("thread_update"), 2, "update")
    assert standin_bot.get_channel(thread.id).locked  # type: ignore[union-attr]
    lantern = s.role("Lantern")
    await s.set_role_permissions(lantern, lantern.permissions & ~P.MANAGE_THREADS)
    with pytest.raises(discord.Forbidden) as err:
        await cached.send("locked thread")
    assert err.value.code == 160005
    await s.delete_channel(thread)
    await s.wait_for(lambda: thread.id in standin_bot.seen("thread_delete"), 2, "delete")
    assert standin_bot.get_channel(thread.id) is None


async def test_member_messages_and_content_intent(discord_standin: StandIn) -> None:
    """MESSAGE_CREATE carries content only with the Message Content intent (or a mention)."""
    s = discord_standin
    bot = SampleBot(message_content=False)
    async with running_bot(s, bot):
        await s.post_as("member", "general", "hidden text")
        await s.post_as("member", "general", f"<@{s.world.bot.id}> visible text")
        await s.wait_for(lambda: len(bot.seen("message")) == 2, 2, "two messages")
        assert [m.content for m in bot.seen("message")] == ["", f"<@{s.world.bot.id}> visible text"]
        assert bot.seen("message")[0].author.name == "pat_member"


async def test_gateway_frames_are_discord_shaped(discord_standin: StandIn,
                                                 standin_bot: SampleBot) -> None:
    """READY's resume URL points here; dispatches have op 0, t, s and d."""
    s = discord_standin
    assert s.gateway.current is not None
    frame = s.gateway.current.buffer[0]
    assert frame["op"] == 0 and frame["t"] == "GUILD_CREATE" and frame["s"] == 2
    json.dumps(frame)
    assert s.resume_gateway_url.startswith(f"ws://127.0.0.1:{s.port}/")


async def test_autosharded_client_uses_gateway_bot(discord_standin: StandIn) -> None:
    """AutoShardedClient asks GET /gateway/bot for the URL and shard count."""
    s = discord_standin
    intents = discord.Intents.default()
    client = discord.AutoShardedClient(intents=intents, guild_ready_timeout=0.05)
    async with running_bot(s, client):
        assert client.shard_count == 1
        assert s.requests_to("GET", "/gateway/bot")
        assert {g.id for g in client.guilds} == set(s.world.guilds)


async def test_bot_rejoins_and_members_join(discord_standin: StandIn,
                                            standin_bot: SampleBot) -> None:
    """GUILD_CREATE after an invite; GUILD_MEMBER_ADD for a newcomer."""
    s = discord_standin
    second = s.second_guild
    await s.remove_bot(second)
    await s.wait_for(lambda: standin_bot.get_guild(second.id) is None, 2, "removal")
    await s.add_bot(second)
    await s.wait_for(lambda: second.id in standin_bot.seen("guild_join"), 2, "guild_join")
    assert standin_bot.get_guild(second.id) is not None
    newcomer = s.new_user("newcomer", "nia_new")
    await s.add_member(newcomer)
    await s.wait_for(lambda: newcomer.id in standin_bot.seen("member_join"), 2, "member_join")
    it = await s.invoke("ping", as_="newcomer")
    assert (await it.wait_message()).content == "pong"


async def test_resume_of_a_forgotten_session_reidentifies(discord_standin: StandIn,
                                                          standin_bot: SampleBot) -> None:
    """A RESUME the server can't honour gets op 9 false, then a fresh IDENTIFY."""
    s = discord_standin
    s.gateway.sessions.clear()
    await s.close_gateway(4000)
    await s.wait_identified(2)
    await s.wait_for(lambda: standin_bot.ready_count >= 2, 3, "on_ready again")
    assert any(f["op"] == 6 for f in s.gateway.received)


async def test_member_edits_deletes_and_reactions(discord_standin: StandIn,
                                                  standin_bot: SampleBot) -> None:
    """MESSAGE_UPDATE, MESSAGE_DELETE and MESSAGE_REACTION_ADD from members."""
    s = discord_standin
    msg = await s.post_as("member", "general", "first draft")
    await s.wait_for(lambda: standin_bot.seen("message"), 2, "the message")
    await s.edit_as(msg, "final draft")
    await s.wait_for(lambda: "final draft" in standin_bot.seen("message_edit"), 2, "the edit")
    await s.react_as("mod", msg, "👍")
    await s.wait_for(lambda: (msg.id, "👍") in standin_bot.seen("reaction_add"), 2, "reaction")
    await s.delete_as(msg)
    await s.wait_for(lambda: msg.id in standin_bot.seen("message_delete"), 2, "the delete")
    assert msg.deleted and s.messages("general") == []
