"""REST routes under /api/v10, answered the way Discord answers them."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.standin import errors as E
from tests.standin import permissions as P
from tests.standin import validation as V
from tests.standin.webhooks import ChannelWebhooks
from tests.standin.world import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    DM,
    FORUM,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    Channel,
    Guild,
    Message,
)

if TYPE_CHECKING:
    from tests.standin.server import StandIn

log = logging.getLogger(__name__)
API_PREFIX = "/api/v10"
Handler = Callable[["Call"], Awaitable[Any]]


@dataclass
class Call:
    """One parsed request handed to a route handler."""

    request: web.Request
    method: str
    path: str
    params: dict[str, str]
    body: Any
    files: list[dict[str, Any]]
    query: dict[str, str]

    def id(self, name: str) -> int:
        return int(self.params[name])


@dataclass
class RequestRecord:
    method: str
    path: str
    route: str | None
    status: int
    body: Any
    response: Any


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    # Exactly "application/json": discord.py treats "...; charset=utf-8" as text.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


class Rest:
    def __init__(self, standin: StandIn) -> None:
        self.s = standin
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.nonces: dict[tuple[int, int, str], tuple[float, Message]] = {}
        self.sent_times: dict[int, list[float]] = {}
        self.hooks = ChannelWebhooks(self)
        self._register()

    def _either(self, interaction: Handler, channel_hook: Handler) -> Handler:
        async def handler(call: Call) -> Any:
            if call.params["token"] in self.s.interactions.by_token:
                return await interaction(call)
            return await channel_hook(call)
        return handler

    # -- routing ------------------------------------------------------------------

    def route(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append((method, re.compile(f"^{pattern}$"), template, handler))

    def _register(self) -> None:
        r = self.route
        r("GET", "/users/@me", self.get_me)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/gateway", self.get_gateway)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("GET", "/users/@me/guilds", self.get_my_guilds)
        r("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild)
        r("POST", "/users/@me/channels", self.create_dm)
        r("GET", "/users/{user_id}", self.get_user)
        for prefix in ("/applications/{app_id}", "/applications/{app_id}/guilds/{guild_id}"):
            r("GET", prefix + "/commands", self.get_commands)
            r("PUT", prefix + "/commands", self.put_commands)
            r("POST", prefix + "/commands", self.post_command)
            r("GET", prefix + "/commands/{command_id}", self.get_command)
            r("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            r("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.s.interactions.callback)
        # Interaction follow-ups and channel webhooks share /webhooks/{id}/{token}.
        ix, hooks = self.s.interactions, self.hooks
        r("POST", "/webhooks/{webhook_id}/{token}", self._either(ix.followup, hooks.execute))
        r("GET", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
          self._either(ix.get_webhook_message, hooks.get_message))
        r("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
          self._either(ix.edit_webhook_message, hooks.edit_message))
        r("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
          self._either(ix.delete_webhook_message, hooks.delete_message))
        r("GET", "/webhooks/{webhook_id}/{token}", hooks.get)
        r("DELETE", "/webhooks/{webhook_id}/{token}", hooks.delete)
        r("GET", "/webhooks/{webhook_id}", hooks.get)
        r("DELETE", "/webhooks/{webhook_id}", hooks.delete)
        r("POST", "/channels/{channel_id}/webhooks", hooks.create)
        r("GET", "/channels/{channel_id}/webhooks", hooks.list)
        r("GET", "/channels/{channel_id}/messages/pins", self.get_pins)
        r("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        r("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("PATCH", "/channels/{channel_id}", self.edit_channel)
        r("DELETE", "/channels/{channel_id}", self.delete_channel)
        r("GET", "/channels/{channel_id}/messages", self.get_messages)
        r("POST", "/channels/{channel_id}/messages", self.post_message)
        r("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", self.crosspost)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads",
          self.thread_from_message)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
          self.add_reaction)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
          self.remove_reaction)
        r("POST", "/channels/{channel_id}/threads", self.create_thread)
        r("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads)
        r("PUT", "/channels/{channel_id}/thread-members/@me", self.no_content_thread)
        r("DELETE", "/channels/{channel_id}/thread-members/@me", self.no_content_thread)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        r("PUT", "/channels/{channel_id}/permissions/{target_id}", self.put_overwrite)
        r("DELETE", "/channels/{channel_id}/permissions/{target_id}", self.delete_overwrite)
        r("GET", "/guilds/{guild_id}", self.get_guild)
        r("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self.get_roles)
        r("GET", "/guilds/{guild_id}/members", self.get_members)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        r("GET", "/guilds/{guild_id}/threads/active", self.active_threads)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        s = self.s
        path = request.path
        if not path.startswith(API_PREFIX):
            return await self._unknown(request, path, None)
        path = path[len(API_PREFIX):]
        body: Any = None
        files: list[dict[str, Any]] = []
        if request.can_read_body:
            body, files = await self._read_body(request)
        match = None
        for method, pattern, template, handler in self.routes:
            found = pattern.match(path)
            if found and method == request.method:
                match = (template, handler, found.groupdict())
                break
        if match is None:
            return await self._unknown(request, path, body)
        template, handler, params = match
        injected = s.failures.take(request.method, path)
        if injected is not None:
            response = injected.response()
            s.record(RequestRecord(request.method, path, template, response.status, body,
                                   injected.status))
            return response
        public = path.startswith(("/interactions/", "/webhooks/"))
        if not public and request.headers.get("Authorization") != f"Bot {s.world.token}":
            data = {"message": "401: Unauthorized", "code": 0}
            s.record(RequestRecord(request.method, path, template, 401, body, data))
            return json_response(data, 401)
        call = Call(request, request.method, path, params, body, files, dict(request.query))
        headers: dict[str, str] = {}
        try:
            result = await handler(call)
            if isinstance(result, tuple):
                result, headers = result
            status = 204 if result is None else 200
        except E.DiscordError as err:
            result, status = err.body(), err.status
            if status == 429:
                headers = getattr(err, "headers", {})
        except Exception as exc:
            # A body shape the stand-in did not expect. Answer 400 (not 500, which discord.py
            # would retry for 25 s) and let the fixture fail the test.
            log.exception("stand-in failed on %s %s", request.method, path)
            s.internal_errors.append(f"{request.method} {path}: {exc!r}")
            result, status = {"message": f"stand-in could not handle this: {exc!r}",
                              "code": 0}, 400
        s.record(RequestRecord(request.method, path, template, status, body, result))
        if status == 204:
            return web.Response(status=204, headers=headers)
        return json_response(result, status, headers)

    async def _unknown(self, request: web.Request, path: str, body: Any) -> web.Response:
        data = {"message": "404: Not Found", "code": 0}
        self.s.unknown_routes.append(f"{request.method} {path}")
        self.s.record(RequestRecord(request.method, path, None, 404, body, data))
        return json_response(data, 404)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        if request.content_type.startswith("multipart/"):
            body: Any = {}
            files: list[dict[str, Any]] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    data = await part.read()  # type: ignore[union-attr]
                    files.append({"field": part.name, "filename": part.filename,
                                  "size": len(data), "data": data})
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    # -- lookups and permission checks ---------------------------------------------

    def channel(self, channel_id: int) -> tuple[Guild | None, Channel]:
        found = self.s.world.find_channel(channel_id)
        if found is None:
            raise E.unknown_channel()
        guild, _channel = found
        if guild is not None and not guild.bot_present:
            raise E.missing_access()
        return found

    def bot_perms(self, guild: Guild | None, channel: Channel) -> int:
        if guild is None:
            return P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.READ_MESSAGE_HISTORY \
                | P.ATTACH_FILES | P.ADD_REACTIONS
        return P.channel_permissions(guild, channel, self.s.world.bot.id)

    def viewable_channel(self, channel_id: int) -> tuple[Guild | None, Channel, int]:
        guild, channel = self.channel(channel_id)
        perms = self.bot_perms(guild, channel)
        if not perms & P.VIEW_CHANNEL:
            raise E.missing_access()
        return guild, channel, perms

    def guild(self, guild_id: int) -> Guild:
        guild = self.s.world.guilds.get(guild_id)
        if guild is None or not guild.bot_present:
            raise E.unknown_guild()
        return guild

    def message(self, channel_id: int, message_id: int) -> Message:
        msg = self.s.world.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel_id or msg.ephemeral:
            raise E.unknown_message()
        return msg

    # -- users, application, gateway ------------------------------------------------

    async def get_me(self, call: Call) -> Any:
        return {**self.s.world.bot.payload(), "verified": True, "mfa_enabled": False,
                "flags": 0, "locale": "en-US"}

    async def get_application(self, call: Call) -> Any:
        world = self.s.world
        owner = world.people["owner"]
        return {
            "id": str(world.application_id), "name": world.bot.username,
            "description": "Local stand-in application", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": owner.payload(), "verify_key": "0" * 64,
            "flags": 0, "team": None, "summary": "", "rpc_origins": [],
            "bot": world.bot.payload(), "approximate_guild_count": len(world.guilds),
        }

    async def get_gateway(self, call: Call) -> Any:
        return {"url": self.s.gateway_url}

    async def get_gateway_bot(self, call: Call) -> Any:
        return {"url": self.s.gateway_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                        "max_concurrency": 1}}

    async def get_my_guilds(self, call: Call) -> Any:
        return [
            {"id": str(g.id), "name": g.name, "icon": None, "owner": False,
             "permissions": str(P.base_permissions(g, self.s.world.bot.id)), "features": []}
            for g in self.s.world.guilds.values() if g.bot_present
        ]

    async def leave_guild(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        await self.s.remove_bot(guild)

    async def get_user(self, call: Call) -> Any:
        user = self.s.world.users.get(call.id("user_id"))
        if user is None:
            raise E.unknown_user()
        return user.payload()

    async def create_dm(self, call: Call) -> Any:
        world = self.s.world
        uid = int((call.body or {}).get("recipient_id", 0))
        user = world.users.get(uid)
        if user is None:
            raise E.invalid_form({"recipient_id": {"_errors": [
                {"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}]}})
        channel = self.s.dm_channel(user)
        data = channel.payload()
        data["recipients"] = [user.payload()]
        return data

    # -- application commands ----------------------------------------------------------

    def _command_scope(self, call: Call) -> int | None:
        if int(call.params["app_id"]) != self.s.world.application_id:
            raise E.DiscordError(
                403, 20012, "You are not authorized to perform this action on this application")
        if "guild_id" in call.params:
            guild = self.guild(call.id("guild_id"))
            return guild.id
        return None

    def _stored_command(self, command: dict[str, Any], scope: int | None,
                        existing: dict[str, Any] | None) -> dict[str, Any]:
        world = self.s.world
        stored = dict(command)
        stored["id"] = existing["id"] if existing else str(world.snowflakes.next())
        stored["application_id"] = str(world.application_id)
        stored["version"] = str(world.snowflakes.next())
        stored.setdefault("type", 1)
        stored.setdefault("default_member_permissions", None)
        stored.setdefault("description", "")
        stored.setdefault("options", [])
        stored.setdefault("nsfw", False)
        if stored["default_member_permissions"] is not None:
            # Discord echoes permission bitfields as strings.
            stored["default_member_permissions"] = str(stored["default_member_permissions"])
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    async def get_commands(self, call: Call) -> Any:
        return self.s.commands.get(self._command_scope(call), [])

    async def put_commands(self, call: Call) -> Any:
        scope = self._command_scope(call)
        errors = V.validate_commands(call.body)
        if errors:
            raise E.invalid_form(errors.tree)
        old = {(c["type"], c["name"]): c for c in self.s.commands.get(scope, [])}
        stored = [self._stored_command(c, scope, old.get((c.get("type", 1), c["name"])))
                  for c in call.body]
        self.s.commands[scope] = stored
        self.s.syncs.append((scope, stored))
        return stored

    async def post_command(self, call: Call) -> Any:
        scope = self._command_scope(call)
        errors = V.validate_commands([call.body])
        if errors:
            raise E.invalid_form(errors.tree.get("0", {}))
        commands = self.s.commands.setdefault(scope, [])
        key = (call.body.get("type", 1), call.body["name"])
        existing = next((c for c in commands if (c["type"], c["name"]) == key), None)
        stored = self._stored_command(call.body, scope, existing)
        if existing is not None:
            commands.remove(existing)
        commands.append(stored)
        return stored

    def _find_command(self, call: Call) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        commands = self.s.commands.get(self._command_scope(call), [])
        for command in commands:
            if command["id"] == call.params["command_id"]:
                return commands, command
        raise E.unknown_command()

    async def get_command(self, call: Call) -> Any:
        return self._find_command(call)[1]

    async def patch_command(self, call: Call) -> Any:
        _, command = self._find_command(call)
        merged = {**command, **(call.body or {})}
        errors = V.validate_commands([merged])
        if errors:
            raise E.invalid_form(errors.tree.get("0", {}))
        command.update(call.body or {})
        return command

    async def delete_command(self, call: Call) -> Any:
        commands, command = self._find_command(call)
        commands.remove(command)

    # -- channels -------------------------------------------------------------------

    async def get_channel(self, call: Call) -> Any:
        _guild, channel, _ = self.viewable_channel(call.id("channel_id"))
        data = channel.payload()
        if channel.type == DM:
            data["recipients"] = [self.s.world.users[channel.recipient_id or 0].payload()]
        return data

    async def edit_channel(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        body = call.body or {}
        if guild is None:
            raise E.DiscordError(400, 50003, "Cannot execute action on a DM channel")
        if channel.is_thread:
            owner_archiving = channel.owner_id == self.s.world.bot.id and set(body) <= {
                "archived", "auto_archive_duration", "name"}
            if not (perms & P.MANAGE_THREADS or owner_archiving):
                raise E.missing_permissions()
        elif not perms & P.MANAGE_CHANNELS:
            raise E.missing_permissions()
        errors = V.Errors()
        if "name" in body:
            V.validate_thread_name(errors, ("name",), body["name"])
        if errors:
            raise E.invalid_form(errors.tree)
        for key in ("name", "topic", "archived", "locked", "auto_archive_duration"):
            if key in body:
                setattr(channel, key, body[key])
        if "applied_tags" in body:
            channel.applied_tags = [int(t) for t in body["applied_tags"]]
        await self.s.announce_channel_update(guild, channel)
        return channel.payload()

    async def delete_channel(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if guild is None:
            return channel.payload()
        needed = P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS
        if not perms & needed:
            raise E.missing_permissions()
        data = channel.payload()
        await self.s.delete_channel(channel, by_bot=True)
        return data

    async def put_overwrite(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if guild is None or not perms & P.MANAGE_ROLES:
            raise E.missing_permissions()
        body = call.body or {}
        await self.s.set_overwrite(channel, call.id("target_id"), allow=int(body.get("allow", 0)),
                                   deny=int(body.get("deny", 0)), type=int(body.get("type", 0)))

    async def delete_overwrite(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if guild is None or not perms & P.MANAGE_ROLES:
            raise E.missing_permissions()
        channel.overwrites = [o for o in channel.overwrites if o.id != call.id("target_id")]
        await self.s.announce_channel_update(guild, channel)

    async def typing(self, call: Call) -> Any:
        _guild, _channel, _perms = self.viewable_channel(call.id("channel_id"))
        return None

    # -- messages -------------------------------------------------------------------

    def check_can_post(self, guild: Guild | None, channel: Channel, payload: dict[str, Any],
                       files: int = 0) -> int:
        perms = self.bot_perms(guild, channel)
        if not perms & P.VIEW_CHANNEL:
            raise E.missing_access()
        if channel.type in (FORUM,) or channel.type not in (TEXT, ANNOUNCEMENT, DM,
                                                            PUBLIC_THREAD, PRIVATE_THREAD,
                                                            ANNOUNCEMENT_THREAD):
            raise E.DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.is_thread:
            if channel.locked and not perms & P.MANAGE_THREADS:
                raise E.DiscordError(403, 160005, "Thread is locked")
            if channel.archived and channel.locked:
                raise E.DiscordError(400, 50083, "Thread is archived")
            if not perms & P.SEND_MESSAGES_IN_THREADS:
                raise E.missing_permissions()
        elif not perms & P.SEND_MESSAGES:
            raise E.missing_permissions()
        if payload.get("embeds") and not perms & P.EMBED_LINKS:
            raise E.missing_permissions()
        if files and not perms & P.ATTACH_FILES:
            raise E.missing_permissions()
        if channel.type == DM:
            user = self.s.world.users.get(channel.recipient_id or 0)
            if user is None or user.bot or not user.dms_open:
                raise E.DiscordError(403, 50007, "Cannot send messages to this user")
        return perms

    def check_message_body(self, payload: dict[str, Any], files: int = 0,
                           prefix: tuple[str | int, ...] = ()) -> None:
        errors = V.validate_message(payload, prefix=prefix)
        if errors:
            raise E.invalid_form(errors.tree)
        if V.is_empty_message(payload, files):
            raise E.DiscordError(400, 50006, "Cannot send an empty message")

    def rate_limit(self, channel_id: int) -> dict[str, str]:
        s = self.s
        if not s.message_rate_limit:
            return {}
        limit, per = s.message_rate_limit
        now = time.monotonic()
        times = [t for t in self.sent_times.get(channel_id, []) if now - t < per]
        self.sent_times[channel_id] = times
        bucket = f"standin-messages-{channel_id}"
        if len(times) >= limit:
            retry = max(0.001, per - (now - times[0]))
            err = E.DiscordError(429, 20028, "You are being rate limited.")
            err.headers = {  # type: ignore[attr-defined]
                "Retry-After": str(max(1, round(retry))), "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}", "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Scope": "user", "Via": "1.1 google",
            }
            original_body = err.body
            err.body = lambda: {**original_body(), "retry_after": retry,  # type: ignore[method-assign]
                                "global": False}
            s.rate_limited.append((channel_id, retry))
            raise err
        times.append(now)
        reset_after = per - (now - times[0])
        return {
            "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - len(times)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}", "X-RateLimit-Bucket": bucket,
        }

    async def post_message(self, call: Call) -> Any:
        s = self.s
        payload = call.body if isinstance(call.body, dict) else {}
        guild, channel = self.channel(call.id("channel_id"))
        self.check_can_post(guild, channel, payload, len(call.files))
        self.check_message_body(payload, len(call.files))
        nonce = payload.get("nonce")
        key = (channel.id, s.world.bot.id, str(nonce))
        if nonce is not None and payload.get("enforce_nonce"):
            seen = self.nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < s.nonce_window:
                s.nonce_hits.append(seen[1])
                return seen[1].payload(self.bot_member(guild))
        reference = payload.get("message_reference")
        reply_to = None
        if reference and reference.get("message_id"):
            reply_to = s.world.messages.get(int(reference["message_id"]))
            if reply_to is None and reference.get("fail_if_not_exists", True):
                raise E.invalid_form({"message_reference": {"_errors": [
                    {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                     "message": "Unknown message"}]}})
        headers = self.rate_limit(channel.id)
        if channel.is_thread and channel.archived and guild is not None:
            # Sending into an archived (unlocked) thread unarchives it.
            channel.archived = False
            await s.announce_channel_update(guild, channel)
        msg = await s.create_message(guild, channel, s.world.bot, payload, files=call.files,
                                     reply_to=reply_to)
        if nonce is not None and payload.get("enforce_nonce"):
            self.nonces[key] = (time.monotonic(), msg)
        return msg.payload(self.bot_member(guild)), headers

    def bot_member(self, guild: Guild | None) -> Any:
        return None if guild is None else guild.members.get(self.s.world.bot.id)

    async def get_messages(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if not perms & P.READ_MESSAGE_HISTORY:
            return []
        limit = int(call.query.get("limit", 50))
        if not 1 <= limit <= 100:
            raise E.invalid_form({"limit": {"_errors": [
                {"code": "NUMBER_TYPE_MAX", "message": "int value should be <= 100."}]}})
        msgs = [m for m in self.s.world.channel_messages(channel.id) if not m.ephemeral]
        msgs.sort(key=lambda m: m.id, reverse=True)
        if "before" in call.query:
            msgs = [m for m in msgs if m.id < int(call.query["before"])]
        if "after" in call.query:
            msgs = [m for m in msgs if m.id > int(call.query["after"])]
            msgs = sorted(msgs, key=lambda m: m.id)[:limit]
            msgs.sort(key=lambda m: m.id, reverse=True)
        if "around" in call.query:
            pivot = int(call.query["around"])
            older = [m for m in msgs if m.id <= pivot][: (limit + 1) // 2]
            newer = sorted((m for m in msgs if m.id > pivot), key=lambda m: m.id)[: limit // 2]
            msgs = sorted(newer + older, key=lambda m: m.id, reverse=True)
        return [self.s.message_payload(m, guild) for m in msgs[:limit]]

    async def get_message(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if not perms & P.READ_MESSAGE_HISTORY:
            raise E.missing_access()
        return self.s.message_payload(self.message(channel.id, call.id("message_id")), guild)

    async def edit_message(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        body = call.body if isinstance(call.body, dict) else {}
        if msg.author.id != self.s.world.bot.id:
            if set(body) - {"flags"}:
                raise E.DiscordError(403, 50005, "Cannot edit a message authored by another user")
            if not perms & P.MANAGE_MESSAGES:
                raise E.missing_permissions()
        if body.get("embeds") and not perms & P.EMBED_LINKS:
            raise E.missing_permissions()
        await self.s.edit_message(msg, body, guild)
        return self.s.message_payload(msg, guild)

    async def delete_message(self, call: Call) -> Any:
        _guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        if msg.author.id != self.s.world.bot.id and not perms & P.MANAGE_MESSAGES:
            raise E.missing_permissions()
        await self.s.delete_message(msg, by_bot=True)

    async def bulk_delete(self, call: Call) -> Any:
        _guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if not perms & P.MANAGE_MESSAGES:
            raise E.missing_permissions()
        ids = [int(i) for i in (call.body or {}).get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise E.invalid_form({"messages": {"_errors": [
                {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 2 and 100 in length."}
            ]}})
        for mid in ids:
            msg = self.s.world.messages.get(mid)
            if msg is not None and msg.channel_id == channel.id and not msg.deleted:
                await self.s.delete_message(msg, by_bot=True)

    async def crosspost(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if channel.type != ANNOUNCEMENT:
            raise E.DiscordError(400, 50068, "Invalid message type for this operation")
        msg = self.message(channel.id, call.id("message_id"))
        if msg.author.id != self.s.world.bot.id and not perms & P.MANAGE_MESSAGES:
            raise E.missing_permissions()
        if msg.flags & 1:
            raise E.DiscordError(400, 40033, "This message has already been crossposted.")
        msg.flags |= 1
        self.s.crossposts.append(msg)
        return self.s.message_payload(msg, guild)

    async def add_reaction(self, call: Call) -> Any:
        _guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        if not perms & P.READ_MESSAGE_HISTORY:
            raise E.missing_access()
        if not perms & P.ADD_REACTIONS:
            raise E.missing_permissions()
        msg.reactions.add(call.params["emoji"])

    async def remove_reaction(self, call: Call) -> Any:
        _guild, channel, _perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        msg.reactions.discard(call.params["emoji"])

    async def get_pins(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if not perms & P.READ_MESSAGE_HISTORY:
            return {"items": [], "has_more": False}
        pinned = sorted((m for m in self.s.world.channel_messages(channel.id) if m.pinned),
                        key=lambda m: m.id, reverse=True)
        return {"items": [{"pinned_at": m.timestamp, "message": self.s.message_payload(m, guild)}
                          for m in pinned], "has_more": False}

    async def pin(self, call: Call) -> Any:
        _guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        if not perms & (P.MANAGE_MESSAGES | P.PIN_MESSAGES):
            raise E.missing_permissions()
        msg.pinned = True
        self.s.notify()

    async def unpin(self, call: Call) -> Any:
        _guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        msg = self.message(channel.id, call.id("message_id"))
        if not perms & (P.MANAGE_MESSAGES | P.PIN_MESSAGES):
            raise E.missing_permissions()
        msg.pinned = False
        self.s.notify()

    # -- threads ----------------------------------------------------------------------

    def _thread_body(self, body: dict[str, Any], prefix: tuple[str, ...] = ()) -> None:
        errors = V.Errors()
        V.validate_thread_name(errors, ("name",), body.get("name"))
        duration = body.get("auto_archive_duration")
        if duration is not None and int(duration) not in (60, 1440, 4320, 10080):
            errors.add(("auto_archive_duration",), "BASE_TYPE_CHOICES",
                       "Value must be one of {60, 1440, 4320, 10080}.")
        if errors:
            raise E.invalid_form(errors.tree)

    async def thread_from_message(self, call: Call) -> Any:
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        if guild is None or channel.type not in (TEXT, ANNOUNCEMENT):
            raise E.DiscordError(400, 50024, "Cannot execute action on this channel type")
        msg = self.message(channel.id, call.id("message_id"))
        if not perms & P.CREATE_PUBLIC_THREADS or not perms & P.READ_MESSAGE_HISTORY:
            raise E.missing_permissions()
        body = call.body or {}
        self._thread_body(body)
        if msg.id in guild.channels:
            raise E.DiscordError(400, 160004, "A thread has already been created for this message")
        ttype = ANNOUNCEMENT_THREAD if channel.type == ANNOUNCEMENT else PUBLIC_THREAD
        thread = await self.s.create_thread(
            guild, channel, self.s.world.bot, body["name"], ttype, thread_id=msg.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440))
        msg.thread_id = thread.id
        return thread.payload()

    async def create_thread(self, call: Call) -> Any:
        s = self.s
        guild, channel, perms = self.viewable_channel(call.id("channel_id"))
        body = call.body if isinstance(call.body, dict) else {}
        if guild is None:
            raise E.DiscordError(400, 50003, "Cannot execute action on a DM channel")
        self._thread_body(body)
        duration = int(body.get("auto_archive_duration") or 1440)
        if channel.type == FORUM:
            # Creating a post needs Send Messages ("Create Posts" in the UI).
            if not perms & P.SEND_MESSAGES:
                raise E.missing_permissions()
            message = body.get("message")
            if not isinstance(message, dict):
                raise E.invalid_form({"message": {"_errors": [
                    {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}})
            self.check_message_body(message, len(call.files), prefix=("message",))
            if message.get("embeds") and not perms & P.EMBED_LINKS:
                raise E.missing_permissions()
            tag_ids = {int(t["id"]) for t in channel.available_tags}
            tags = [int(t) for t in body.get("applied_tags") or []]
            if any(t not in tag_ids for t in tags) or len(tags) > 5:
                raise E.invalid_form({"applied_tags": {"_errors": [
                    {"code": "BASE_TYPE_CHOICES", "message": "Unknown tag"}]}})
            if channel.require_tag and not tags:
                raise E.DiscordError(400, 40067,
                                     "A tag is required to create a forum post in this channel")
            thread_id = s.world.snowflakes.next()
            thread = await s.create_thread(guild, channel, s.world.bot, body["name"],
                                           PUBLIC_THREAD, thread_id=thread_id,
                                           auto_archive_duration=duration, applied_tags=tags)
            first = await s.create_message(guild, thread, s.world.bot, message, files=call.files,
                                           message_id=thread_id)
            data = thread.payload()
            data["message"] = first.payload(self.bot_member(guild))
            return data
        if channel.type not in (TEXT, ANNOUNCEMENT):
            raise E.DiscordError(400, 50024, "Cannot execute action on this channel type")
        ttype = int(body.get("type") or PRIVATE_THREAD)
        needed = P.CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        if not perms & needed:
            raise E.missing_permissions()
        thread = await s.create_thread(guild, channel, s.world.bot, body["name"], ttype,
                                       auto_archive_duration=duration)
        return thread.payload()

    async def archived_threads(self, call: Call) -> Any:
        guild, channel, _perms = self.viewable_channel(call.id("channel_id"))
        threads = [] if guild is None else [
            t.payload() for t in guild.channels.values()
            if t.is_thread and t.parent_id == channel.id and t.archived]
        return {"threads": threads, "members": [], "has_more": False}

    async def no_content_thread(self, call: Call) -> Any:
        _guild, channel, _perms = self.viewable_channel(call.id("channel_id"))
        if not channel.is_thread:
            raise E.DiscordError(400, 50024, "Cannot execute action on this channel type")

    # -- guilds ---------------------------------------------------------------------

    async def get_guild(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        data = guild.payload()
        if call.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    async def get_guild_channels(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        return [c.payload() for c in guild.channels.values() if not c.is_thread]

    async def get_roles(self, call: Call) -> Any:
        return [r.payload() for r in self.guild(call.id("guild_id")).roles.values()]

    async def get_members(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        if not self.s.privileged_intents & (1 << 1):
            raise E.missing_access()
        limit = int(call.query.get("limit", 1))
        after = int(call.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.payload() for m in members[:limit]]

    async def get_member(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        member = guild.members.get(call.id("user_id"))
        if member is None:
            raise E.unknown_member()
        return member.payload()

    async def active_threads(self, call: Call) -> Any:
        guild = self.guild(call.id("guild_id"))
        return {"threads": [t.payload() for t in guild.channels.values()
                            if t.is_thread and not t.archived], "members": []}
