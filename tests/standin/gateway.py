"""The gateway: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME with replay, op 7/9."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.standin.server import StandIn

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

INTENT_GUILDS = 1 << 0
INTENT_MEMBERS = 1 << 1
INTENT_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_REACTIONS = 1 << 10
INTENT_DM_MESSAGES = 1 << 12
INTENT_DM_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED = INTENT_MEMBERS | INTENT_PRESENCES | INTENT_MESSAGE_CONTENT

# Which intent an event needs; events not listed are always sent.
EVENT_INTENTS = {
    "GUILD_CREATE": INTENT_GUILDS, "GUILD_DELETE": INTENT_GUILDS, "GUILD_UPDATE": INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": INTENT_GUILDS, "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_UPDATE": INTENT_GUILDS, "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_CREATE": INTENT_GUILDS, "THREAD_UPDATE": INTENT_GUILDS,
    "THREAD_DELETE": INTENT_GUILDS, "GUILD_MEMBER_UPDATE": INTENT_MEMBERS,
    "GUILD_MEMBER_ADD": INTENT_MEMBERS, "GUILD_MEMBER_REMOVE": INTENT_MEMBERS,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES, "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
}


@dataclass
class Session:
    """One gateway session; survives its connection so a RESUME can replay what was missed."""

    id: str
    intents: int
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    resumable: bool = True
    identifies: int = 1
    resumes: int = 0

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed


class Gateway:
    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.connections = 0
        self.close_codes: list[int] = []  # codes the stand-in closed sockets with
        self.sockets: set[web.WebSocketResponse] = set()
        self.heartbeat_interval_ms = 41250
        self.received: list[dict[str, Any]] = []
        self.connect_paths: list[str] = []

    # -- dispatch -----------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any], intent: int | None = None) -> None:
        """Send an event on the current session (buffered for replay if disconnected)."""
        session = self.current
        if session is None:
            return
        needed = intent if intent is not None else EVENT_INTENTS.get(event)
        if needed is not None and not session.intents & needed:
            return
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        del session.buffer[:-1000]
        if session.connected:
            assert session.ws is not None
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps(frame))

    # -- server-initiated disruptions ---------------------------------------------

    async def request_reconnect(self) -> None:
        """op 7: the client closes and RESUMEs; events from now on are buffered."""
        session = self._require_session()
        ws = session.ws
        session.ws = None
        if ws is not None and not ws.closed:
            await ws.send_str(json.dumps({"op": RECONNECT, "d": None}))

    async def close_with(self, code: int) -> None:
        """Close the socket with a code (4000 = unknown error, resumable)."""
        session = self._require_session()
        ws = session.ws
        session.ws = None
        if ws is not None and not ws.closed:
            await self._close(ws, code, b"stand-in closed the connection")

    def drop(self) -> None:
        """Abort the TCP connection without a close frame (network failure)."""
        session = self._require_session()
        request = session.request
        session.ws = None
        if request is not None and request.transport is not None:
            request.transport.abort()

    async def invalidate(self, *, resumable: bool = False) -> None:
        """op 9: with resumable False the client must IDENTIFY again."""
        session = self._require_session()
        ws = session.ws
        if not resumable:
            session.resumable = False
            self.sessions.pop(session.id, None)
        else:
            session.ws = None
        if ws is not None and not ws.closed:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": resumable}))

    def _require_session(self) -> Session:
        if self.current is None:
            raise RuntimeError("no bot has identified with the stand-in gateway")
        return self.current

    # -- the websocket handler ----------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        self.connect_paths.append(request.path)
        self.sockets.add(ws)
        session: Session | None = None
        try:
            await ws.send_str(json.dumps(
                {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.received.append(frame)
                op = frame.get("op")
                if op == HEARTBEAT:
                    await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    session = await self._identify(ws, request, frame.get("d") or {})
                elif op == RESUME:
                    session = await self._resume(ws, request, frame.get("d") or {})
                elif op == REQUEST_MEMBERS and session is not None:
                    await self._members_chunk(ws, session, frame.get("d") or {})
        finally:
            self.sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self.standin.notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, request: web.Request,
                        data: dict[str, Any]) -> Session | None:
        standin = self.standin
        if data.get("token") != standin.world.token:
            await self._close(ws, 4004, b"Authentication failed.")
            return None
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED & ~standin.privileged_intents:
            await self._close(ws, 4014, b"Disallowed intent(s).")
            return None
        session = Session(id=secrets.token_hex(16), intents=intents, ws=ws, request=request)
        if self.current is not None:
            session.identifies = self.current.identifies + 1
        self.sessions[session.id] = session
        self.current = session
        world = standin.world
        guilds = [g for g in world.guilds.values() if g.bot_present]
        await self._send(session, "READY", {
            "v": 10,
            "user": {**world.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": standin.resume_gateway_url,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "shard": [0, 1],
            "_trace": ["standin"],
        })
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", guild.create_payload())
        standin.notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, request: web.Request,
                      data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.standin.world.token:
            await self._close(ws, 4004, b"Authentication failed.")
            return None
        if session is None or not session.resumable:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        seq = int(data.get("seq") or 0)
        if seq > session.seq:
            await self._close(ws, 4007, b"Invalid seq.")
            return None
        session.ws = ws
        session.request = request
        session.resumes += 1
        self.current = session
        for frame in session.buffer:
            if frame["s"] > seq:
                await ws.send_str(json.dumps(frame))
        await self._send(session, "RESUMED", {"_trace": ["standin"]})
        self.standin.notify()
        return session

    async def _members_chunk(self, ws: web.WebSocketResponse, session: Session,
                             data: dict[str, Any]) -> None:
        guild = self.standin.world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        await self._send(session, "GUILD_MEMBERS_CHUNK", {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in guild.members.values()],
            "chunk_index": 0, "chunk_count": 1, "not_found": [],
            "nonce": data.get("nonce"),
        })

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        if event not in ("READY", "RESUMED"):
            session.buffer.append(frame)
        assert session.ws is not None
        await session.ws.send_str(json.dumps(frame))

    async def _close(self, ws: web.WebSocketResponse, code: int, message: bytes) -> None:
        self.close_codes.append(code)
        await ws.close(code=code, message=message)

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"stand-in shutting down"), 2)
