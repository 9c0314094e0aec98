"""Interactions: what a test invokes (commands, autocomplete, buttons, modals) and the
callback / follow-up / @original routes the bot answers them on."""

# Time-bounded waits (a timeout parameter) are what this API is for.
# ruff: noqa: ASYNC109
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.standin import errors as E
from tests.standin import permissions as P
from tests.standin import validation as V
from tests.standin.world import Channel, Guild, Member, Message, Role, User

if TYPE_CHECKING:
    from tests.standin.rest import Call
    from tests.standin.server import StandIn

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
EPHEMERAL, LOADING = 1 << 6, 1 << 7

# Which callback types Discord accepts for which interaction types.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


@dataclass
class InteractionRecord:
    """One interaction the stand-in sent, and everything the bot did in answer."""

    standin: StandIn = field(repr=False)
    id: int
    token: str
    type: int
    guild: Guild | None
    channel: Channel
    user: User
    payload: dict[str, Any] = field(repr=False)
    name: str | None = None
    source_message: Message | None = None
    created: float = field(default_factory=time.monotonic)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    deleted_original: bool = False

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.response_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    async def wait_response(self, timeout: float = 3.0) -> dict[str, Any]:
        """The first callback body ({"type", "data"}) once the bot sent it."""
        await self.standin.wait_for(lambda: self.responded, timeout,
                                    f"a response to interaction {self.name or self.type}")
        return self.callbacks[0]

    async def wait_followup(self, count: int = 1, timeout: float = 3.0) -> Message:
        """The count-th follow-up message."""
        await self.standin.wait_for(lambda: len(self.followups) >= count, timeout,
                                    f"{count} follow-up(s) to {self.name or self.type}")
        return self.followups[count - 1]

    async def wait_message(self, timeout: float = 3.0) -> Message:
        """The response message, once it has content (a deferred one once it was edited)."""
        def ready() -> bool:
            return self.message is not None and not self.message.flags & LOADING
        await self.standin.wait_for(ready, timeout, f"the response message of {self.name}")
        assert self.message is not None
        return self.message

    async def wait_choices(self, timeout: float = 3.0) -> list[dict[str, Any]]:
        await self.wait_response(timeout)
        assert self.choices is not None, f"expected autocomplete choices, got {self.callbacks}"
        return self.choices


def _id(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if hasattr(value, "id"):
        return int(value.id)
    return int(value)


class Interactions:
    def __init__(self, standin: StandIn) -> None:
        self.s = standin
        self.records: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    # -- building interactions (the test side) ---------------------------------------------

    def _base(self, itype: int, guild: Guild | None, channel: Channel, user: User,
              data: dict[str, Any], *, name: str | None = None,
              source: Message | None = None) -> InteractionRecord:
        s = self.s
        world = s.world
        iid = world.snowflakes.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        channel_data = channel.payload()
        if guild is None:
            channel_data["recipients"] = [user.payload()]
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            if not guild.bot_present:
                raise E.SchemaError(f"the bot is not in {guild.name}")
            member = guild.members.get(user.id)
            if member is None:
                raise E.SchemaError(f"{user.username} is not a member of {guild.name}")
            perms = P.channel_permissions(guild, channel, user.id)
            if not perms & P.VIEW_CHANNEL:
                raise E.SchemaError(f"{user.username} cannot see #{channel.name}")
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member={**member.payload(), "permissions": str(perms)},
                app_permissions=str(P.channel_permissions(guild, channel, world.bot.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
            channel_data["permissions"] = str(perms)
        else:
            payload.update(user=user.payload(), context=1, app_permissions=str(
                P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.READ_MESSAGE_HISTORY),
                authorizing_integration_owners={"0": str(world.application_id)})
        if source is not None:
            payload["message"] = s.message_payload(source, guild)
        record = InteractionRecord(s, iid, token, itype, guild, channel, user, payload,
                                   name=name, source_message=source)
        self.records[iid] = record
        self.by_token[token] = record
        s.interaction_log.append(record)
        return record

    def find_command(self, path: str, guild: Guild | None
                     ) -> tuple[dict[str, Any], list[str]]:
        parts = path.split()
        scopes = [guild.id, None] if guild is not None else [None]
        for scope in scopes:
            for command in self.s.commands.get(scope, []):
                if command.get("type", 1) == 1 and command["name"] == parts[0]:
                    return command, parts
        raise E.SchemaError(f"the bot did not register a slash command /{parts[0]}"
                            f" (registered: {self.s.command_names(guild)})")

    def build_command(self, path: str, guild: Guild | None, channel: Channel, user: User,
                      options: dict[str, Any], *, focused: str | None = None
                      ) -> InteractionRecord:
        command, parts = self.find_command(path, guild)
        if guild is None:
            contexts = command.get("contexts")
            if "guild_id" in command or command.get("dm_permission") is False or (
                    contexts is not None and 1 not in contexts):
                raise E.SchemaError(f"/{parts[0]} is not available in DMs")
        else:
            needed = command.get("default_member_permissions")
            perms = P.channel_permissions(guild, channel, user.id)
            if needed is not None and not P.has(perms, int(needed)):
                raise E.SchemaError(f"/{parts[0]} is hidden from {user.username}: it needs "
                                    f"permissions {needed}")
        resolved: dict[str, dict[str, Any]] = {}
        schema = command.get("options") or []
        top: list[dict[str, Any]] = []
        container = top
        for depth, part in enumerate(parts[1:], start=1):
            sub = next((o for o in schema if o["name"] == part and o["type"] in (
                V.SUB_COMMAND, V.SUB_COMMAND_GROUP)), None)
            if sub is None:
                raise E.SchemaError(f"/{' '.join(parts[:depth])} has no subcommand {part!r}")
            node: dict[str, Any] = {"type": sub["type"], "name": part, "options": []}
            container.append(node)
            container = node["options"]
            schema = sub.get("options") or []
        if any(o["type"] in (V.SUB_COMMAND, V.SUB_COMMAND_GROUP) for o in schema):
            raise E.SchemaError(f"/{path} needs a subcommand: "
                                f"{[o['name'] for o in schema]}")
        container.extend(self._options(schema, options, guild, channel, resolved, focused))
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1,
                                "options": top}
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        itype = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        return self._base(itype, guild, channel, user, data, name=path)

    def _options(self, schema: list[dict[str, Any]], given: dict[str, Any], guild: Guild | None,
                 channel: Channel, resolved: dict[str, dict[str, Any]], focused: str | None
                 ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in schema}
        for name in given:
            if name not in by_name:
                raise E.SchemaError(f"option {name!r} was not registered "
                                    f"(registered: {list(by_name)})")
        out: list[dict[str, Any]] = []
        for option in schema:
            name = option["name"]
            if name not in given:
                if option.get("required") and name != focused and focused is None:
                    raise E.SchemaError(f"required option {name!r} missing")
                continue
            value = given[name]
            if name == focused:
                if not option.get("autocomplete"):
                    raise E.SchemaError(f"option {name!r} does not have autocomplete")
                out.append({"type": option["type"], "name": name, "value": str(value),
                            "focused": True})
                continue
            out.append({"type": option["type"], "name": name,
                        "value": self._value(option, value, guild, resolved)})
        return out

    def _value(self, option: dict[str, Any], value: Any, guild: Guild | None,
               resolved: dict[str, dict[str, Any]]) -> Any:
        otype, name = option["type"], option["name"]
        if otype == V.STRING:
            if not isinstance(value, str):
                raise E.SchemaError(f"option {name!r} takes a string, got {value!r}")
            if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
                raise E.SchemaError(f"option {name!r}: length outside the registered range")
        elif otype in (V.INTEGER, V.NUMBER):
            ok = isinstance(value, int) if otype == V.INTEGER else isinstance(value, int | float)
            if not ok or isinstance(value, bool):
                raise E.SchemaError(f"option {name!r} takes a number, got {value!r}")
            if ("min_value" in option and value < option["min_value"]) or \
                    ("max_value" in option and value > option["max_value"]):
                raise E.SchemaError(f"option {name!r}: {value} outside the registered range")
        elif otype == V.BOOLEAN:
            if not isinstance(value, bool):
                raise E.SchemaError(f"option {name!r} takes a boolean, got {value!r}")
        elif otype in (V.USER, V.MENTIONABLE) and not isinstance(value, Role):
            user = self.s.world.users.get(_id(value.user if isinstance(value, Member) else value))
            if user is None:
                raise E.SchemaError(f"option {name!r}: unknown user {value!r}")
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild is not None and user.id in guild.members:
                member = guild.members[user.id].payload(with_user=False)
                member["permissions"] = str(P.base_permissions(guild, user.id))
                resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        elif otype in (V.ROLE, V.MENTIONABLE):
            if guild is None or _id(value) not in guild.roles:
                raise E.SchemaError(f"option {name!r}: unknown role {value!r}")
            role = guild.roles[_id(value)]
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        elif otype == V.CHANNEL:
            found = self.s.world.find_channel(_id(value))
            if found is None:
                raise E.SchemaError(f"option {name!r}: unknown channel {value!r}")
            g, ch = found
            types = option.get("channel_types")
            if types and ch.type not in types:
                raise E.SchemaError(f"option {name!r}: #{ch.name} (type {ch.type}) is not one of "
                                    f"the registered channel types {types}")
            data = ch.payload()
            data["permissions"] = str(P.channel_permissions(g, ch, self.s.world.bot.id)
                                      if g else 0)
            resolved.setdefault("channels", {})[str(ch.id)] = data
            return str(ch.id)
        else:
            raise E.SchemaError(f"option type {otype} is not supported by the stand-in")
        choices = option.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise E.SchemaError(f"option {name!r}: {value!r} is not one of the choices")
        return value

    def build_component(self, message: Message, custom_id: str, user: User,
                        values: list[str] | None) -> InteractionRecord:
        found = self.s.world.find_channel(message.channel_id)
        assert found is not None
        guild, channel = found
        component = None
        for row in message.components:
            for comp in row.get("components", []):
                if comp.get("custom_id") == custom_id:
                    component = comp
        if component is None:
            raise E.SchemaError(f"message {message.id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise E.SchemaError(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == 2:
            if values:
                raise E.SchemaError("buttons have no values")
            if component.get("style") == 5:
                raise E.SchemaError("link buttons open a URL; they do not send interactions")
        else:
            picked = list(values or [])
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(picked) <= high:
                raise E.SchemaError(f"select {custom_id!r} takes {low}..{high} values")
            if component["type"] == 3:
                offered = [o["value"] for o in component.get("options", [])]
                if any(v not in offered for v in picked):
                    raise E.SchemaError(f"select {custom_id!r} offers only {offered}")
            data["values"] = picked
        if message.ephemeral and user.id != self._ephemeral_owner(message):
            raise E.SchemaError("only the invoking user can see an ephemeral message")
        return self._base(MESSAGE_COMPONENT, guild, channel, user, data, name=custom_id,
                          source=message)

    def _ephemeral_owner(self, message: Message) -> int | None:
        for record in self.records.values():
            if record.message is message or message in record.followups:
                return record.user.id
        return None

    def build_modal_submit(self, opened_by: InteractionRecord, values: dict[str, str],
                           user: User | None) -> InteractionRecord:
        modal = opened_by.modal
        if modal is None:
            raise E.SchemaError(f"interaction {opened_by.name} was not answered with a modal")
        user = user or opened_by.user
        inputs: dict[str, dict[str, Any]] = {}

        def walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for comp in components:
                if comp["type"] == 1:
                    out.append({"type": 1, "components": walk(comp.get("components", []))})
                elif comp["type"] == 18:
                    out.append({"type": 18, "id": comp.get("id", 0),
                                "component": walk([comp["component"]])[0]})
                elif comp["type"] == 4:
                    cid = comp["custom_id"]
                    inputs[cid] = comp
                    out.append({"type": 4, "custom_id": cid, "id": comp.get("id", 0),
                                "value": values.get(cid, comp.get("value") or "")})
                else:
                    raise E.SchemaError(f"modal component type {comp['type']} not supported")
            return out

        submitted = walk(modal.get("components", []))
        for cid in values:
            if cid not in inputs:
                raise E.SchemaError(f"modal {modal.get('custom_id')} has no input {cid!r}")
        for cid, comp in inputs.items():
            text = values.get(cid, comp.get("value") or "")
            if comp.get("required", True) and not text:
                raise E.SchemaError(f"modal input {cid!r} is required")
            if text and not comp.get("min_length", 0) <= len(text) <= comp.get("max_length", 4000):
                raise E.SchemaError(f"modal input {cid!r}: length outside its limits")
        data = {"custom_id": modal["custom_id"], "components": submitted}
        return self._base(MODAL_SUBMIT, opened_by.guild, opened_by.channel, user, data,
                          name=modal["custom_id"], source=opened_by.source_message)

    # -- the bot's side: callbacks, follow-ups, @original -----------------------------------------

    async def callback(self, call: Call) -> Any:
        s = self.s
        record = self.records.get(call.id("interaction_id"))
        if record is None or record.token != call.params["token"]:
            raise E.unknown_interaction()
        body = call.body if isinstance(call.body, dict) else {}
        try:
            return await self._callback(record, body, call)
        except E.DiscordError as err:
            record.rejected.append((err.status, err.body()))
            s.notify()
            raise

    async def _callback(self, record: InteractionRecord, body: dict[str, Any], call: Call) -> Any:
        s = self.s
        if time.monotonic() - record.created > s.interaction_response_deadline:
            raise E.unknown_interaction()
        if record.responded:
            raise E.DiscordError(400, 40060, "Interaction has already been acknowledged.")
        ctype = body.get("type")
        data = body.get("data") or {}
        if ctype not in ALLOWED_CALLBACKS[record.type]:
            raise E.invalid_form({"type": {"_errors": [
                {"code": "INTERACTION_RESPONSE_TYPE_INVALID",
                 "message": f"Interaction response type {ctype} is not valid here"}]}})
        response_id: int | None = None
        message: Message | None = None
        if ctype == MESSAGE:
            self._check_body(data, len(call.files), ("data",))
            message = await self._respond_message(record, data, call.files)
            response_id = message.id
        elif ctype == DEFERRED_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            message = await self._respond_message(record, {"content": "", "flags": flags}, [])
            response_id = message.id
        elif ctype == DEFERRED_UPDATE:
            # @original of a component interaction is the message the component is on.
            record.message = record.source_message
            response_id = record.source_message.id if record.source_message else None
        elif ctype == UPDATE_MESSAGE:
            source = record.source_message
            if source is None:
                raise E.unknown_message()
            errors = V.validate_message(data, prefix=("data",))
            if errors:
                raise E.invalid_form(errors.tree)
            await s.edit_message(source, data, record.guild)
            message = record.message = source
            response_id = source.id
        elif ctype == AUTOCOMPLETE_RESULT:
            errors = V.validate_choices(data.get("choices"))
            if errors:
                raise E.invalid_form(errors.tree)
            record.choices = list(data["choices"])
        elif ctype == MODAL:
            errors = V.validate_modal(data)
            if errors:
                raise E.invalid_form(errors.tree)
            record.modal = data
        record.callbacks.append(body)
        s.notify()
        if call.query.get("with_response") not in ("1", "true", "True"):
            return None
        interaction: dict[str, Any] = {
            "id": str(record.id), "type": record.type, "activity_instance_id": None,
            "response_message_id": str(response_id) if response_id else None,
            "response_message_loading": ctype == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            resource["message"] = s.message_payload(message, record.guild)
        return {"interaction": interaction, "resource": resource}

    def _check_body(self, data: dict[str, Any], files: int, prefix: tuple[str, ...]) -> None:
        errors = V.validate_message(data, prefix=prefix)
        if errors:
            raise E.invalid_form(errors.tree)
        if V.is_empty_message(data, files):
            raise E.DiscordError(400, 50006, "Cannot send an empty message")

    async def _respond_message(self, record: InteractionRecord, data: dict[str, Any],
                               files: list[dict[str, Any]]) -> Message:
        message = await self.s.create_message(
            record.guild, record.channel, self.s.world.bot, data, files=files,
            interaction=record)
        record.message = message
        return message

    def _record_for_webhook(self, call: Call) -> InteractionRecord:
        record = self.by_token.get(call.params["token"])
        if record is None or int(call.params["webhook_id"]) != self.s.world.application_id:
            raise E.unknown_webhook()
        if not record.responded or time.monotonic() - record.created > 15 * 60:
            raise E.unknown_webhook()
        return record

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            if record.message is None or record.deleted_original:
                raise E.unknown_message()
            return record.message
        for msg in [record.message, *record.followups]:
            if msg is not None and str(msg.id) == message_id and not msg.deleted:
                return msg
        raise E.unknown_message()

    async def followup(self, call: Call) -> Any:
        s = self.s
        record = self._record_for_webhook(call)
        data = call.body if isinstance(call.body, dict) else {}
        self._check_body(data, len(call.files), ())
        original = record.message
        if original is not None and original.flags & LOADING and not original.deleted:
            # The first follow-up after a "thinking" defer replaces the loading message.
            flags = int(data.get("flags") or 0) & ~EPHEMERAL
            await s.edit_message(original, {**data, "flags": flags}, record.guild)
            message = original
        else:
            message = await s.create_message(record.guild, record.channel, s.world.bot, data,
                                             files=call.files, interaction=record)
        record.followups.append(message)
        s.notify()
        if call.query.get("wait") not in ("1", "true", "True"):
            return None
        return s.message_payload(message, record.guild)

    async def get_webhook_message(self, call: Call) -> Any:
        record = self._record_for_webhook(call)
        msg = self._webhook_message(record, call.params["message_id"])
        return self.s.message_payload(msg, record.guild)

    async def edit_webhook_message(self, call: Call) -> Any:
        record = self._record_for_webhook(call)
        msg = self._webhook_message(record, call.params["message_id"])
        data = call.body if isinstance(call.body, dict) else {}
        errors = V.validate_message(data)
        if errors:
            raise E.invalid_form(errors.tree)
        await self.s.edit_message(msg, data, record.guild)
        return self.s.message_payload(msg, record.guild)

    async def delete_webhook_message(self, call: Call) -> Any:
        record = self._record_for_webhook(call)
        msg = self._webhook_message(record, call.params["message_id"])
        if call.params["message_id"] == "@original":
            record.deleted_original = True
        await self.s.delete_message(msg, by_bot=True)
