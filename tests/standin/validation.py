"""Checks Discord applies to payloads, answered with 50035 Invalid Form Body.

Discord nests errors by JSON path: {"embeds": {"0": {"title": {"_errors":
[{"code": "BASE_TYPE_MAX_LENGTH", "message": ...}]}}}}. Limits are from
https://discord.com/developers/docs/resources/message#embed-object-embed-limits
and the application-command docs.
"""

from __future__ import annotations

import re
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
NONCE_MAX = 25
CHOICES_MAX = 25
OPTIONS_MAX = 25
MODAL_TITLE_MAX = 45

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)


class Errors:
    """Collects errors under JSON paths and renders Discord's nested error object."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.tree)

    def body(self) -> dict[str, Any]:
        return {"message": "Invalid Form Body", "code": 50035, "errors": self.tree}


def _max_len(errors: Errors, path: tuple[str | int, ...], value: Any, limit: int) -> int:
    if value is None:
        return 0
    text = str(value)
    if len(text) > limit:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return len(text)


def _url(errors: Errors, path: tuple[str | int, ...], value: Any, *, attachment: bool) -> None:
    if value is None:
        return
    schemes = ("http://", "https://", "attachment://") if attachment else ("http://", "https://")
    text = str(value)
    if not text.startswith(schemes) or len(text.split("://", 1)[1]) == 0:
        errors.add(
            path,
            "URL_TYPE_INVALID_URL",
            f"Not a well formed URL. Scheme must be one of {', '.join(s[:-3] for s in schemes)}.",
        )


def validate_embed(errors: Errors, path: tuple[str | int, ...], embed: Any) -> int:
    """Validate one embed; returns its counted length toward the 6000 total."""
    if not isinstance(embed, dict):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return 0
    total = _max_len(errors, (*path, "title"), embed.get("title"), 256)
    total += _max_len(errors, (*path, "description"), embed.get("description"), 4096)
    _url(errors, (*path, "url"), embed.get("url"), attachment=False)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, field in enumerate(fields):
        fpath = (*path, "fields", i)
        name, value = field.get("name"), field.get("value")
        if name is None or str(name) == "":
            errors.add((*fpath, "name"), "BASE_TYPE_REQUIRED", "This field is required")
        if value is None or str(value) == "":
            errors.add((*fpath, "value"), "BASE_TYPE_REQUIRED", "This field is required")
        total += _max_len(errors, (*fpath, "name"), name, 256)
        total += _max_len(errors, (*fpath, "value"), value, 1024)
    footer = embed.get("footer")
    if footer:
        total += _max_len(errors, (*path, "footer", "text"), footer.get("text"), 2048)
        _url(errors, (*path, "footer", "icon_url"), footer.get("icon_url"), attachment=True)
    author = embed.get("author")
    if author:
        if not author.get("name"):
            errors.add((*path, "author", "name"), "BASE_TYPE_REQUIRED", "This field is required")
        total += _max_len(errors, (*path, "author", "name"), author.get("name"), 256)
        _url(errors, (*path, "author", "url"), author.get("url"), attachment=False)
        _url(errors, (*path, "author", "icon_url"), author.get("icon_url"), attachment=True)
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        if media:
            _url(errors, (*path, key, "url"), media.get("url"), attachment=True)
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        errors.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    return total


def validate_message(payload: dict[str, Any], *, prefix: tuple[str | int, ...] = ()) -> Errors:
    """Validate a create/edit message body (content, embeds, nonce, allowed_mentions)."""
    errors = Errors()
    _max_len(errors, (*prefix, "content"), payload.get("content"), CONTENT_MAX)
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        errors.add((*prefix, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        total += validate_embed(errors, (*prefix, "embeds", i), embed)
    if total > EMBED_TOTAL_MAX:
        errors.add((*prefix, "embeds"), "MAX_EMBED_SIZE_EXCEEDED",
                   "Embed size exceeds maximum size of 6000")
    nonce = payload.get("nonce")
    if nonce is not None and len(str(nonce)) > NONCE_MAX:
        errors.add((*prefix, "nonce"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    am = payload.get("allowed_mentions")
    if am:
        parse = am.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and am.get(kind):
                errors.add(
                    (*prefix, "allowed_mentions"),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
        for kind in ("users", "roles"):
            if len(am.get(kind) or []) > 100:
                errors.add((*prefix, "allowed_mentions", kind), "BASE_TYPE_MAX_LENGTH",
                           "Must be 100 or fewer in length.")
    components = payload.get("components") or []
    if len(components) > 5 and not int(payload.get("flags") or 0) & (1 << 15):
        errors.add((*prefix, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(components):
        for j, comp in enumerate(row.get("components") or []):
            cpath = (*prefix, "components", i, "components", j)
            if comp.get("type") == 2:
                _max_len(errors, (*cpath, "label"), comp.get("label"), 80)
                if comp.get("style") == 5:
                    _url(errors, (*cpath, "url"), comp.get("url"), attachment=False)
                else:
                    cid = comp.get("custom_id")
                    if not cid:
                        errors.add((*cpath, "custom_id"), "BASE_TYPE_REQUIRED",
                                   "This field is required")
                    _max_len(errors, (*cpath, "custom_id"), cid, 100)
    return errors


def is_empty_message(payload: dict[str, Any], files: int = 0) -> bool:
    """Discord's 50006: nothing to show."""
    visible = ("title", "description", "fields", "image", "thumbnail", "author", "footer", "url")
    embeds = [e for e in payload.get("embeds") or [] if any(e.get(k) for k in visible)]
    return not (
        payload.get("content")
        or embeds
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or files
        or payload.get("attachments")
    )


def validate_thread_name(errors: Errors, path: tuple[str | int, ...], name: Any) -> None:
    if name is None or not str(name).strip():
        errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
    elif len(str(name)) > THREAD_NAME_MAX:
        errors.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def validate_commands(commands: Any) -> Errors:
    """Validate a bulk-overwrite body as Discord does at sync time."""
    errors = Errors()
    if not isinstance(commands, list):
        errors.add((), "ARRAY_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return errors
    if len(commands) > 100:
        errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        ctype = int(command.get("type", 1))
        name = command.get("name", "")
        key = (ctype, str(name))
        if key in seen:
            errors.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                       f"Application command names must be unique: {name}")
        seen.add(key)
        validate_command(errors, (i,), command, ctype)
    return errors


def _check_name(errors: Errors, path: tuple[str | int, ...], name: Any, *, chat: bool) -> None:
    text = "" if name is None else str(name)
    if chat:
        if not COMMAND_NAME.match(text):
            errors.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME",
                       "Command name is invalid")
        elif text != text.lower():
            errors.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME",
                       "Command name must be lower case")
    elif not 1 <= len(text) <= 32:
        errors.add((*path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")


def _check_description(errors: Errors, path: tuple[str | int, ...], desc: Any) -> None:
    text = "" if desc is None else str(desc)
    if not 1 <= len(text) <= 100:
        errors.add((*path, "description"), "BASE_TYPE_BAD_LENGTH",
                   "Must be between 1 and 100 in length.")


def validate_command(errors: Errors, path: tuple[str | int, ...], command: dict[str, Any],
                     ctype: int) -> None:
    chat = ctype == 1
    _check_name(errors, path, command.get("name"), chat=chat)
    if chat:
        _check_description(errors, path, command.get("description"))
        _validate_options(errors, path, command.get("options") or [], depth=0)
    elif command.get("description"):
        errors.add((*path, "description"), "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                   "Context menu commands cannot have description")


def _validate_options(errors: Errors, path: tuple[str | int, ...], options: list[dict[str, Any]],
                      depth: int) -> None:
    if len(options) > OPTIONS_MAX:
        errors.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    has_sub = any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options)
    for i, option in enumerate(options):
        opath = (*path, "options", i)
        otype = option.get("type")
        _check_name(errors, opath, option.get("name"), chat=True)
        _check_description(errors, opath, option.get("description"))
        if option.get("name") in names:
            errors.add((*opath, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                       "Command option names must be unique")
        names.add(option.get("name"))
        if otype in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if (otype == SUB_COMMAND_GROUP and depth >= 1) or (otype == SUB_COMMAND and depth >= 2):
                errors.add((*opath, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                           "Sub-command and sub-command group option types are mutually exclusive")
            child = option.get("options") or []
            if otype == SUB_COMMAND_GROUP and any(c.get("type") != SUB_COMMAND for c in child):
                errors.add((*opath, "options"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                           "Sub-command groups may only contain sub-commands")
            _validate_options(errors, opath, child, depth + 1)
            continue
        if has_sub:
            errors.add((*opath, "type"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                       "Sub-command and sub-command group option types are mutually exclusive "
                       "to all other types")
        if otype not in range(STRING, ATTACHMENT + 1):
            errors.add((*opath, "type"), "BASE_TYPE_CHOICES", "Value must be one of {3..11}.")
        required = bool(option.get("required"))
        if required and seen_optional:
            errors.add((*opath, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                       "Required options must be placed before non-required options")
        seen_optional = seen_optional or not required
        choices = option.get("choices")
        if choices:
            if otype not in (STRING, INTEGER, NUMBER):
                errors.add((*opath, "choices"), "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                           "Only string, integer and number options may have choices")
            if len(choices) > CHOICES_MAX:
                errors.add((*opath, "choices"), "BASE_TYPE_MAX_LENGTH",
                           "Must be 25 or fewer in length.")
            for j, choice in enumerate(choices):
                cname = str(choice.get("name", ""))
                if not 1 <= len(cname) <= 100:
                    errors.add((*opath, "choices", j, "name"), "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 100 in length.")
            if option.get("autocomplete"):
                errors.add((*opath, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                           "Autocomplete cannot be set on options with choices")
        if option.get("autocomplete") and otype not in (STRING, INTEGER, NUMBER):
            errors.add((*opath, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                       "Autocomplete is only for string, integer and number options")


def validate_choices(choices: Any) -> Errors:
    """Autocomplete result (callback type 8)."""
    errors = Errors()
    if not isinstance(choices, list):
        errors.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        return errors
    if len(choices) > CHOICES_MAX:
        errors.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name = str(choice.get("name", ""))
        if not 1 <= len(name) <= 100:
            errors.add(("data", "choices", i, "name"), "BASE_TYPE_BAD_LENGTH",
                       "Must be between 1 and 100 in length.")
        if len(str(choice.get("value", ""))) > 100:
            errors.add(("data", "choices", i, "value"), "BASE_TYPE_MAX_LENGTH",
                       "Must be 100 or fewer in length.")
    return errors


def validate_modal(data: Any) -> Errors:
    """Modal (callback type 9)."""
    errors = Errors()
    if not isinstance(data, dict):
        errors.add(("data",), "BASE_TYPE_REQUIRED", "This field is required")
        return errors
    if not data.get("custom_id"):
        errors.add(("data", "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    title = str(data.get("title") or "")
    if not 1 <= len(title) <= MODAL_TITLE_MAX:
        errors.add(("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH",
                   "Must be between 1 and 5 in length.")
    return errors
