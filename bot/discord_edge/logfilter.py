"""Keep member queries and interaction tokens out of the logs.

Lantern's own code logs counts and timings only. discord.py, at DEBUG, logs
raw gateway events and REST bodies; this filter blanks the parts that would
tie what a member typed to who they are.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?\s]+")
_PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook.async_")


class RedactInteractionPayloads(logging.Filter):
    """discord.py logs at DEBUG every raw gateway event (`discord.gateway`:
    INTERACTION_CREATE carries the member, their id and what they typed), every
    REST request and response body (`discord.http`: interaction callbacks and
    follow-ups echo the query) and interaction URLs, which hold the interaction
    token (`discord.http`, `discord.webhook.async_`). With LOG_LEVEL=DEBUG that
    would put queries next to user ids in the log. This keeps the records and
    blanks those payloads and tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        out = list(args)
        if record.name == "discord.gateway" and len(out) == 2 and isinstance(out[1], dict):
            event = out[1]
            if event.get("t") == "INTERACTION_CREATE":
                out[1] = {**{k: event.get(k) for k in ("op", "t", "s")}, "d": "<redacted>"}
        interaction_url = False
        for i, arg in enumerate(out):
            if isinstance(arg, str) and ("/interactions/" in arg or "/webhooks/" in arg):
                out[i] = _TOKEN.sub(r"\1<token>", arg)
                interaction_url = True
        if record.name == "discord.http" and interaction_url and len(out) >= 3:
            out[2] = "<redacted>"  # the request or response body
        record.args = tuple(out)
        return True


_REDACTOR = RedactInteractionPayloads()


def redact_discord_debug_logs() -> None:
    """Install the filter on discord.py's payload-logging loggers (once per process)."""
    for name in _PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
