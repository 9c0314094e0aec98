"""Channel webhooks: create/list/delete and execute (with edits of their messages)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.standin import errors as E
from tests.standin import permissions as P
from tests.standin.world import FORUM, PUBLIC_THREAD, Message, User

if TYPE_CHECKING:
    from tests.standin.rest import Call, Rest


@dataclass
class Webhook:
    id: int
    token: str
    channel_id: int
    guild_id: int
    name: str
    creator_id: int

    def payload(self, creator: User) -> dict[str, Any]:
        return {"id": str(self.id), "type": 1, "guild_id": str(self.guild_id),
                "channel_id": str(self.channel_id), "name": self.name, "avatar": None,
                "token": self.token, "application_id": None, "user": creator.payload()}


class ChannelWebhooks:
    def __init__(self, rest: Rest) -> None:
        self.rest = rest
        self.s = rest.s
        self.hooks: dict[int, Webhook] = {}

    def _manageable(self, call: Call) -> tuple[Any, Any]:
        guild, channel, perms = self.rest.viewable_channel(call.id("channel_id"))
        if guild is None:
            raise E.DiscordError(400, 50003, "Cannot execute action on a DM channel")
        if not perms & P.MANAGE_WEBHOOKS:
            raise E.missing_permissions()
        return guild, channel

    async def create(self, call: Call) -> Any:
        guild, channel = self._manageable(call)
        name = str((call.body or {}).get("name") or "")
        if not 1 <= len(name) <= 80 or "discord" in name.lower() or "clyde" in name.lower():
            raise E.invalid_form({"name": {"_errors": [
                {"code": "WEBHOOK_INVALID_USERNAME", "message": f'Username cannot be "{name}"'}]}})
        hook = Webhook(self.s.world.snowflakes.next(), secrets.token_urlsafe(48), channel.id,
                       guild.id, name, self.s.world.bot.id)
        self.hooks[hook.id] = hook
        return hook.payload(self.s.world.bot)

    async def list(self, call: Call) -> Any:
        _, channel = self._manageable(call)
        return [h.payload(self.s.world.users[h.creator_id]) for h in self.hooks.values()
                if h.channel_id == channel.id]

    def _hook(self, call: Call, *, token: bool = True) -> Webhook:
        hook = self.hooks.get(call.id("webhook_id"))
        if hook is None or (token and hook.token != call.params.get("token")):
            raise E.unknown_webhook()
        if self.s.world.find_channel(hook.channel_id) is None:
            raise E.unknown_webhook()
        return hook

    async def get(self, call: Call) -> Any:
        hook = self._hook(call, token="token" in call.params)
        return hook.payload(self.s.world.users[hook.creator_id])

    async def delete(self, call: Call) -> Any:
        hook = self._hook(call, token="token" in call.params)
        del self.hooks[hook.id]

    async def execute(self, call: Call) -> Any:
        s = self.s
        hook = self._hook(call)
        found = s.world.find_channel(hook.channel_id)
        assert found is not None
        guild, channel = found
        payload = call.body if isinstance(call.body, dict) else {}
        self.rest.check_message_body(payload, len(call.files))
        author = User(hook.id, str(payload.get("username") or hook.name), bot=True)
        target = channel
        if "thread_id" in call.query:
            thread = guild.channels.get(int(call.query["thread_id"])) if guild else None
            if thread is None or thread.parent_id != channel.id:
                raise E.unknown_channel()
            target = thread
        elif channel.type == FORUM:
            name = payload.get("thread_name")
            if not name:
                raise E.DiscordError(400, 220001, "Webhooks posted to forum channels must have "
                                                  "a thread_name or thread_id")
            assert guild is not None
            tid = s.world.snowflakes.next()
            target = await s.create_thread(guild, channel, author, str(name), PUBLIC_THREAD,
                                           thread_id=tid)
            msg = await s.create_message(guild, target, author, payload, files=call.files,
                                         message_id=tid, webhook_id=hook.id,
                                         mention_perms_of=hook.creator_id)
            return self._answer(call, msg)
        msg = await s.create_message(guild, target, author, payload, files=call.files,
                                     webhook_id=hook.id, mention_perms_of=hook.creator_id)
        return self._answer(call, msg)

    def _answer(self, call: Call, msg: Message) -> Any:
        if call.query.get("wait") not in ("1", "true", "True"):
            return None
        return self.s.message_payload(msg, None)

    def message(self, call: Call) -> tuple[Webhook, Message]:
        hook = self._hook(call)
        msg = self.s.world.messages.get(int(call.params["message_id"])) \
            if call.params["message_id"].isdigit() else None
        if msg is None or msg.deleted or msg.webhook_id != hook.id:
            raise E.unknown_message()
        return hook, msg

    async def get_message(self, call: Call) -> Any:
        _, msg = self.message(call)
        return self.s.message_payload(msg, None)

    async def edit_message(self, call: Call) -> Any:
        _, msg = self.message(call)
        from tests.standin import validation as V

        body = call.body if isinstance(call.body, dict) else {}
        errors = V.validate_message(body)
        if errors:
            raise E.invalid_form(errors.tree)
        found = self.s.world.find_channel(msg.channel_id)
        await self.s.edit_message(msg, body, found[0] if found else None)
        return self.s.message_payload(msg, None)

    async def delete_message(self, call: Call) -> Any:
        _, msg = self.message(call)
        await self.s.delete_message(msg, by_bot=True)
