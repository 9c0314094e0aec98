"""StandIn: a Discord-compatible HTTP + websocket server on 127.0.0.1, and the test API."""

# Time-bounded waits (a timeout parameter) are what this API is for.
# ruff: noqa: ASYNC109
from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from tests.standin import permissions as P
from tests.standin.errors import SchemaError
from tests.standin.gateway import (
    INTENT_DM_MESSAGES,
    INTENT_DM_REACTIONS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_REACTIONS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED,
    Gateway,
)
from tests.standin.interactions import LOADING, InteractionRecord, Interactions
from tests.standin.rest import RequestRecord, Rest, json_response
from tests.standin.world import (
    DM,
    TEXT,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    World,
    build_default_world,
    compute_pings,
    iso_now,
)

T = TypeVar("T")
SUPPRESS_EMBEDS = 1 << 2


@dataclass
class InjectedFailure:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    code: int = 0
    message: str | None = None
    retry_after: float = 0.05
    via: bool = True
    is_global: bool = False
    hits: int = 0

    def response(self) -> web.Response:
        self.hits += 1
        if self.status == 429:
            body = {"message": self.message or "You are being rate limited.",
                    "retry_after": self.retry_after, "global": self.is_global}
            if self.code:
                body["code"] = self.code
            headers = {"Retry-After": str(max(1, round(self.retry_after))),
                       "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
                       "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
                       "X-RateLimit-Bucket": "standin-injected",
                       "X-RateLimit-Scope": "global" if self.is_global else "user"}
            if self.is_global:
                headers["X-RateLimit-Global"] = "true"
            if self.via:
                headers["Via"] = "1.1 google"
            return json_response(body, 429, headers)
        if self.status == 502:
            return web.Response(status=502, text="<html><h1>502 Bad Gateway</h1></html>",
                                content_type="text/html")
        text = self.message or {500: "500: Internal Server Error"}.get(self.status, "Error")
        return json_response({"message": text, "code": self.code}, self.status)


class Failures:
    def __init__(self) -> None:
        self.pending: list[InjectedFailure] = []

    def add(self, failure: InjectedFailure) -> InjectedFailure:
        self.pending.append(failure)
        return failure

    def take(self, method: str, path: str) -> InjectedFailure | None:
        for failure in self.pending:
            if failure.times > 0 and failure.method in (method, "*") and \
                    failure.pattern.fullmatch(path):
                failure.times -= 1
                return failure
        return None


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


class StandIn:
    """A local Discord. Start with `await StandIn().start()`; see tests/README.md for the API."""

    def __init__(self, world: World | None = None, host: str = "127.0.0.1") -> None:
        self.world = world or build_default_world()
        self.host = host
        self.port = 0
        self.gateway = Gateway(self)
        self.interactions = Interactions(self)
        self.rest = Rest(self)
        self.failures = Failures()
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[str] = []
        self.internal_errors: list[str] = []
        self.rate_limited: list[tuple[int, float]] = []
        self.nonce_hits: list[Message] = []
        self.crossposts: list[Message] = []
        self.interaction_log: list[InteractionRecord] = []
        self.deleted: list[Message] = []
        self.message_rate_limit: tuple[int, float] | None = None
        self.nonce_window = 300.0
        self.interaction_response_deadline = 3.0
        self.privileged_intents = PRIVILEGED
        self._waiters: set[asyncio.Future[None]] = set()
        self._cursors: dict[int, int] = {}
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> StandIn:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()

    async def __aenter__(self) -> StandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway-resume"

    @property
    def token(self) -> str:
        return self.world.token

    def env(self) -> dict[str, str]:
        """Environment variables that point a bot process (e.g. `lantern run`) here."""
        return {"DISCORD_API_BASE": self.api_base, "DISCORD_GATEWAY_URL": self.gateway_url,
                "DISCORD_TOKEN": self.token}

    # -- waiting ----------------------------------------------------------------------

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 3.0,
                       what: str = "condition") -> T:
        """Wait until predicate() is truthy (re-checked whenever the stand-in state changes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                # Poll at least every 50 ms so predicates on outside state also work.
                await asyncio.wait_for(waiter, min(remaining, 0.05))
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    def record(self, entry: RequestRecord) -> None:
        self.requests.append(entry)
        self.notify()

    # -- lookups for tests ---------------------------------------------------------------

    @property
    def guild(self) -> Guild:
        return self.world.guild

    @property
    def second_guild(self) -> Guild:
        return list(self.world.guilds.values())[1]

    def channel(self, name: str, guild: Guild | None = None) -> Channel:
        return self.world.channel(name, guild)

    def member(self, key: str, guild: Guild | None = None) -> Member:
        return self.world.member(key, guild)

    def user(self, key: str) -> User:
        return self.world.people[key]

    def role(self, name: str, guild: Guild | None = None) -> Role:
        return (guild or self.guild).role(name)

    def _user(self, who: str | User | Member) -> User:
        if isinstance(who, str):
            return self.world.people[who]
        return who.user if isinstance(who, Member) else who

    def _channel(self, where: str | Channel, guild: Guild | None = None) -> Channel:
        return self.channel(where, guild) if isinstance(where, str) else where

    def _guild_of(self, channel: Channel) -> Guild | None:
        found = self.world.find_channel(channel.id)
        return found[0] if found else None

    def command_names(self, guild: Guild | None = None) -> list[str]:
        scopes = [None] + ([guild.id] if guild else [])
        return sorted(c["name"] for s in scopes for c in self.commands.get(s, []))

    def messages(self, channel: str | Channel, *, include_deleted: bool = False) -> list[Message]:
        ch = self._channel(channel)
        return [m for m in self.world.messages.values() if m.channel_id == ch.id and
                (include_deleted or not m.deleted)]

    def bot_messages(self, channel: str | Channel) -> list[Message]:
        """Non-ephemeral messages the bot posted in a channel, oldest first."""
        return [m for m in self.messages(channel, include_deleted=True)
                if m.author.id == self.world.bot.id and not m.ephemeral]

    async def next_message(self, channel: str | Channel, timeout: float = 3.0) -> Message:
        """The next bot message in the channel that this helper has not returned yet."""
        ch = self._channel(channel)
        index = self._cursors.get(ch.id, 0)

        def ready() -> Message | None:
            posts = self.bot_messages(ch)
            if len(posts) > index and not posts[index].flags & LOADING:
                return posts[index]
            return None

        msg = await self.wait_for(ready, timeout, f"bot message #{index + 1} in #{ch.name}")
        self._cursors[ch.id] = index + 1
        return msg

    def threads(self, channel: str | Channel) -> list[Channel]:
        ch = self._channel(channel)
        guild = self._guild_of(ch)
        return [] if guild is None else [
            t for t in guild.channels.values() if t.is_thread and t.parent_id == ch.id]

    def dm_channel(self, who: str | User | Member) -> Channel:
        """The DM channel between the bot and a user (created if needed)."""
        user = self._user(who)
        for channel in self.world.dm_channels.values():
            if channel.recipient_id == user.id:
                return channel
        channel = Channel(self.world.snowflakes.next(), DM, "", None, recipient_id=user.id)
        self.world.dm_channels[channel.id] = channel
        return channel

    def dm_messages(self, who: str | User) -> list[Message]:
        user = self._user(who)
        ids = {c.id for c in self.world.dm_channels.values() if c.recipient_id == user.id}
        return [m for m in self.world.messages.values() if m.channel_id in ids and not m.deleted]

    # -- state changes (shared by REST handlers and the test API) ------------------------------

    def message_payload(self, msg: Message, guild: Guild | None) -> dict[str, Any]:
        member = guild.members.get(msg.author.id) if guild is not None else None
        data = msg.payload(member)
        users = self.world.users
        data["mentions"] = [users[u].payload() for u in sorted(msg.pings.users) if u in users]
        return data

    async def create_message(self, guild: Guild | None, channel: Channel, author: User,
                             payload: dict[str, Any], *, files: list[dict[str, Any]] | None = None,
                             reply_to: Message | None = None,
                             interaction: InteractionRecord | None = None,
                             message_id: int | None = None, webhook_id: int | None = None,
                             mention_perms_of: int | None = None) -> Message:
        world = self.world
        content = str(payload.get("content") or "")
        pinger = author.id if mention_perms_of is None else mention_perms_of
        perms = P.channel_permissions(guild, channel, pinger) if guild else P.ALL
        allowed = payload.get("allowed_mentions")
        flags = int(payload.get("flags") or 0)
        msg = Message(
            id=message_id or world.snowflakes.next(), channel_id=channel.id,
            guild_id=guild.id if guild else None, author=author, content=content,
            embeds=[dict(e, type=e.get("type", "rich")) for e in payload.get("embeds") or []],
            components=list(payload.get("components") or []),
            attachments=[
                {"id": str(world.snowflakes.next()), "filename": f["filename"], "size": f["size"],
                 "url": f"{self.api_base}/attachments/{f['filename']}",
                 "proxy_url": f"{self.api_base}/attachments/{f['filename']}"}
                for f in files or []],
            flags=flags, nonce=payload.get("nonce"), allowed_mentions=allowed,
            pings=compute_pings(guild, content, allowed, perms, reply_to),
            message_reference=payload.get("message_reference"),
            interaction_id=interaction.id if interaction else None,
            webhook_id=webhook_id or (world.application_id if interaction else None),
            type=(20 if interaction and interaction.type == 2 else 0) if interaction
            else (19 if reply_to else 0),
        )
        world.messages[msg.id] = msg
        if channel.is_thread:
            channel.message_count += 1
        if not msg.ephemeral:
            intent = INTENT_GUILD_MESSAGES if guild else INTENT_DM_MESSAGES
            await self.gateway.dispatch("MESSAGE_CREATE", self._message_event(msg, guild), intent)
        self.notify()
        return msg

    def _message_event(self, msg: Message, guild: Guild | None) -> dict[str, Any]:
        data = self.message_payload(msg, guild)
        session = self.gateway.current
        bot_id = self.world.bot.id
        privileged = (
            guild is not None and msg.author.id != bot_id and bot_id not in msg.pings.users
        )
        if session is not None and privileged and not session.intents & INTENT_MESSAGE_CONTENT:
            # Without the Message Content intent Discord blanks these fields.
            data.update(content="", embeds=[], attachments=[], components=[])
        return data

    async def edit_message(self, msg: Message, body: dict[str, Any], guild: Guild | None) -> None:
        if "content" in body:
            msg.content = str(body["content"] or "")
        if "embeds" in body:
            msg.embeds = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or []]
        if "components" in body:
            msg.components = list(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            msg.flags = (msg.flags & ~SUPPRESS_EMBEDS) | (int(body["flags"]) & SUPPRESS_EMBEDS)
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        msg.flags &= ~LOADING
        if "content" in body:
            perms = P.channel_permissions(guild, self._channel_by_id(msg.channel_id),
                                          msg.author.id) if guild else P.ALL
            msg.pings = compute_pings(guild, msg.content, msg.allowed_mentions, perms)
        msg.edited_timestamp = iso_now()
        msg.edits.append(body)
        if not msg.ephemeral:
            intent = INTENT_GUILD_MESSAGES if guild else INTENT_DM_MESSAGES
            await self.gateway.dispatch("MESSAGE_UPDATE", self._message_event(msg, guild), intent)
        self.notify()

    def _channel_by_id(self, channel_id: int) -> Channel:
        found = self.world.find_channel(channel_id)
        assert found is not None
        return found[1]

    async def delete_message(self, msg: Message, *, by_bot: bool) -> None:
        msg.deleted = True
        self.deleted.append(msg)
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id:
                data["guild_id"] = str(msg.guild_id)
            intent = INTENT_GUILD_MESSAGES if msg.guild_id else INTENT_DM_MESSAGES
            await self.gateway.dispatch("MESSAGE_DELETE", data, intent)
        self.notify()

    async def create_thread(self, guild: Guild, parent: Channel, owner: User, name: str,
                            ttype: int, *, thread_id: int | None = None,
                            auto_archive_duration: int = 1440,
                            applied_tags: list[int] | None = None) -> Channel:
        thread = Channel(thread_id or self.world.snowflakes.next(), ttype, name, guild.id,
                         parent_id=parent.id, owner_id=owner.id,
                         auto_archive_duration=auto_archive_duration,
                         applied_tags=applied_tags or [])
        guild.channels[thread.id] = thread
        await self.gateway.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})
        self.notify()
        return thread

    async def announce_channel_update(self, guild: Guild | None, channel: Channel) -> None:
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, channel.payload())
        self.notify()

    async def set_overwrite(self, channel: Channel, target_id: int, *, allow: int, deny: int,
                            type: int) -> None:
        channel.overwrites = [o for o in channel.overwrites if o.id != target_id]
        channel.overwrites.append(Overwrite(target_id, type, allow, deny))
        await self.announce_channel_update(self._guild_of(channel), channel)

    async def delete_channel(self, channel: str | Channel, *, by_bot: bool = False) -> None:
        """Delete a channel (or thread); its threads go with it."""
        ch = self._channel(channel)
        guild = self._guild_of(ch)
        if guild is None:
            raise SchemaError(f"#{ch.name} is not a guild channel")
        del guild.channels[ch.id]
        if ch.is_thread:
            await self.gateway.dispatch("THREAD_DELETE", {
                "id": str(ch.id), "guild_id": str(guild.id), "parent_id": str(ch.parent_id),
                "type": ch.type})
        else:
            for thread in [t for t in guild.channels.values() if t.parent_id == ch.id]:
                if thread.is_thread:
                    del guild.channels[thread.id]
            await self.gateway.dispatch("CHANNEL_DELETE", ch.payload())
        self.notify()

    async def add_bot(self, guild: Guild) -> None:
        """The bot joins (or is re-invited to) a guild: GUILD_CREATE."""
        guild.bot_present = True
        bot = self.world.bot
        if bot.id not in guild.members:
            guild.members[bot.id] = Member(bot)
        self.world.guilds.setdefault(guild.id, guild)
        data = guild.create_payload()
        del data["unavailable"]  # a join carries no `unavailable`; discord.py then says guild_join
        await self.gateway.dispatch("GUILD_CREATE", data)
        self.notify()

    async def add_member(self, user: User, guild: Guild | None = None,
                         roles: list[Role] | None = None) -> Member:
        """Someone joins the guild: GUILD_MEMBER_ADD."""
        guild = guild or self.guild
        self.world.users.setdefault(user.id, user)
        member = Member(user, [r.id for r in roles or []])
        guild.members[user.id] = member
        await self.gateway.dispatch("GUILD_MEMBER_ADD",
                                    {"guild_id": str(guild.id), **member.payload()})
        self.notify()
        return member

    def new_user(self, key: str, username: str) -> User:
        """A user that tests can refer to by `key` (not yet a member anywhere)."""
        user = User(self.world.snowflakes.next(), username)
        self.world.users[user.id] = user
        self.world.people[key] = user
        return user

    async def remove_bot(self, guild: Guild | None = None) -> None:
        """The bot is kicked (or leaves): GUILD_DELETE without `unavailable`."""
        guild = guild or self.guild
        guild.bot_present = False
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)})
        self.notify()

    # -- the test API: people doing things ------------------------------------------------------

    async def invoke(self, command: str, *, as_: str | User | Member = "member",
                     channel: str | Channel = "general", options: dict[str, Any] | None = None,
                     guild: Guild | None = None) -> InteractionRecord:
        """Run a slash command ("feed add" for subcommands) as a member, checked against
        the schema the bot synced."""
        ch = self._channel(channel, guild)
        g = self._guild_of(ch)
        record = self.interactions.build_command(command, g, ch, self._user(as_), options or {})
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def autocomplete(self, command: str, focused: str, value: str = "", *,
                           as_: str | User | Member = "member",
                           channel: str | Channel = "general",
                           options: dict[str, Any] | None = None,
                           timeout: float = 3.0) -> list[dict[str, Any]]:
        """Type `value` into option `focused`; returns the bot's choices."""
        ch = self._channel(channel)
        g = self._guild_of(ch)
        given = {**(options or {}), focused: value}
        record = self.interactions.build_command(command, g, ch, self._user(as_), given,
                                                 focused=focused)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return await record.wait_choices(timeout)

    async def click(self, message: Message, custom_id: str, *,
                    as_: str | User | Member = "member",
                    values: list[str] | None = None) -> InteractionRecord:
        """Click a button (or pick select values) on a message the bot sent."""
        record = self.interactions.build_component(message, custom_id, self._user(as_), values)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def submit_modal(self, opened_by: InteractionRecord, values: dict[str, str], *,
                           as_: str | User | Member | None = None) -> InteractionRecord:
        """Fill in and submit the modal the bot answered `opened_by` with."""
        user = self._user(as_) if as_ is not None else None
        record = self.interactions.build_modal_submit(opened_by, values, user)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def post_as(self, who: str | User | Member, channel: str | Channel, content: str,
                      *, reply_to: Message | None = None) -> Message:
        """A member posts a message (dispatched as MESSAGE_CREATE)."""
        ch = self._channel(channel)
        guild = self._guild_of(ch)
        payload: dict[str, Any] = {"content": content}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to.id),
                                            "channel_id": str(reply_to.channel_id)}
        return await self.create_message(guild, ch, self._user(who), payload, reply_to=reply_to)

    async def edit_as(self, message: Message, content: str) -> None:
        """The author edits their message (MESSAGE_UPDATE)."""
        found = self.world.find_channel(message.channel_id)
        await self.edit_message(message, {"content": content}, found[0] if found else None)

    async def delete_as(self, message: Message) -> None:
        """The author (or a moderator) deletes a message (MESSAGE_DELETE)."""
        await self.delete_message(message, by_bot=False)

    async def react_as(self, who: str | User | Member, message: Message, emoji: str) -> None:
        """A member adds a unicode reaction (MESSAGE_REACTION_ADD)."""
        user = self._user(who)
        guild = self._guild_of(self._channel_by_id(message.channel_id))
        message.reactions.add(emoji)
        data: dict[str, Any] = {
            "user_id": str(user.id), "channel_id": str(message.channel_id),
            "message_id": str(message.id), "message_author_id": str(message.author.id),
            "emoji": {"id": None, "name": emoji}, "burst": False, "type": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = guild.members[user.id].payload()
        intent = INTENT_GUILD_REACTIONS if guild else INTENT_DM_REACTIONS
        await self.gateway.dispatch("MESSAGE_REACTION_ADD", data, intent)
        self.notify()

    async def create_channel(self, name: str, type: int = TEXT, *, parent: Channel | None = None,
                             overwrites: list[Overwrite] | None = None,
                             guild: Guild | None = None) -> Channel:
        guild = guild or self.guild
        ch = Channel(self.world.snowflakes.next(), type, name, guild.id,
                     position=len(guild.channels), parent_id=parent.id if parent else None,
                     overwrites=overwrites or [])
        guild.channels[ch.id] = ch
        await self.gateway.dispatch("CHANNEL_CREATE", ch.payload())
        self.notify()
        return ch

    async def start_thread(self, who: str | User | Member, channel: str | Channel, name: str,
                           *, from_message: Message | None = None) -> Channel:
        """A member starts a thread (THREAD_CREATE)."""
        ch = self._channel(channel)
        guild = self._guild_of(ch)
        assert guild is not None
        return await self.create_thread(guild, ch, self._user(who), name, 11,
                                        thread_id=from_message.id if from_message else None)

    async def update_thread(self, thread: Channel, *, locked: bool | None = None,
                            archived: bool | None = None, name: str | None = None) -> None:
        """A moderator locks, archives or renames a thread (THREAD_UPDATE)."""
        if locked is not None:
            thread.locked = locked
        if archived is not None:
            thread.archived = archived
        if name is not None:
            thread.name = name
        await self.announce_channel_update(self._guild_of(thread), thread)

    async def lock_channel(self, channel: str | Channel) -> None:
        """Deny Send Messages to @everyone (what "lock channel" does)."""
        ch = self._channel(channel)
        guild = self._guild_of(ch)
        assert guild is not None
        current = next((o for o in ch.overwrites if o.id == guild.id), None)
        allow = current.allow & ~P.SEND_MESSAGES if current else 0
        deny = (current.deny if current else 0) | P.SEND_MESSAGES | P.SEND_MESSAGES_IN_THREADS
        await self.set_overwrite(ch, guild.id, allow=allow, deny=deny, type=0)

    async def set_permissions(self, channel: str | Channel, target: Role | Member | User | str,
                              *, allow: int = 0, deny: int = 0) -> None:
        """Replace a channel overwrite for a role or member (CHANNEL_UPDATE)."""
        ch = self._channel(channel)
        if isinstance(target, Role):
            await self.set_overwrite(ch, target.id, allow=allow, deny=deny, type=0)
        else:
            await self.set_overwrite(ch, self._user(target).id, allow=allow, deny=deny, type=1)

    async def set_role_permissions(self, role: Role, permissions: int,
                                   guild: Guild | None = None) -> None:
        guild = guild or self.guild
        role.permissions = permissions
        await self.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id),
                                                          "role": role.payload()})
        self.notify()

    async def set_roles(self, who: str | User | Member, roles: list[Role],
                        guild: Guild | None = None) -> None:
        guild = guild or self.guild
        member = guild.members[self._user(who).id]
        member.roles = [r.id for r in roles]
        await self.gateway.dispatch("GUILD_MEMBER_UPDATE",
                                    {"guild_id": str(guild.id), **member.payload()})
        self.notify()

    # -- the test API: the platform misbehaving ------------------------------------------------

    def fail_next(self, method: str, path: str, status: int = 500, *, times: int = 1,
                  code: int = 0, message: str | None = None, retry_after: float = 0.05,
                  via: bool = True, is_global: bool = False) -> InjectedFailure:
        """Answer the next `times` matching requests with an error. `path` is relative to
        the API base and may use templates: "/channels/{channel_id}/messages"."""
        return self.failures.add(InjectedFailure(method.upper(), _path_pattern(path), status,
                                                 times, code, message, retry_after, via,
                                                 is_global))

    def enable_message_rate_limit(self, limit: int = 5, per: float = 5.0) -> None:
        """Discord's per-channel message limit (5 per 5 s), with real X-RateLimit headers."""
        self.message_rate_limit = (limit, per)

    async def force_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client RESUMEs and gets what it missed."""
        await self.gateway.request_reconnect()

    async def close_gateway(self, code: int = 4000) -> None:
        await self.gateway.close_with(code)

    def drop_connection(self) -> None:
        """Cut the TCP connection without a close frame."""
        self.gateway.drop()

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9; with resumable False the client must IDENTIFY afresh."""
        await self.gateway.invalidate(resumable=resumable)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Until a bot session is connected (after READY/RESUMED)."""
        await self.wait_for(lambda: self.gateway.current is not None and
                            self.gateway.current.connected, timeout, "a gateway connection")

    async def wait_resumed(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: self.gateway.current is not None and
                            self.gateway.current.resumes >= count and
                            self.gateway.current.connected, timeout, f"{count} RESUME(s)")

    async def wait_identified(self, count: int = 1, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self.gateway.current is not None and
                            self.gateway.current.identifies >= count and
                            self.gateway.current.connected, timeout, f"{count} IDENTIFY(s)")

    def requests_to(self, method: str, path: str) -> list[RequestRecord]:
        pattern = _path_pattern(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def dump(self) -> str:
        """A readable summary, handy in assertion messages."""
        return json.dumps({"requests": [f"{r.method} {r.path} -> {r.status}"
                                        for r in self.requests[-30:]],
                           "unknown_routes": self.unknown_routes}, indent=1)


__all__ = ["DM", "TEXT", "StandIn"]
