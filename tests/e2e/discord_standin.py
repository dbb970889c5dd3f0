"""A small stand-in for Discord, for the real discord.py client over loopback.

It speaks just enough of the gateway (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and their
ACKs, pushed dispatch events) and of REST v10 (login, command sync, interaction callbacks, followup
webhooks, channel messages, threads, typing), and records every HTTP call the bot makes so tests can
assert on what a user would see. One guild with two text channels and one human user.

Point discord.py at it by patching ``discord.http.Route.BASE`` to ``api_base`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` to ``gateway_url``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import WSMsgType, web

APP_ID = 900000000000000001  # a bot user's id equals its application's id
GUILD_ID = 800000000000000001
CHANNEL_ID = 810000000000000001  # #general, where the bot is mentioned
OTHER_CHANNEL_ID = 810000000000000002
USER_ID = 700000000000000001
BOT_ROLE_ID = 820000000000000001  # the role Discord gives a bot on joining; "@Atlas" often completes to it

BOT_USER = {"id": str(APP_ID), "username": "atlas", "discriminator": "0", "global_name": "Atlas",
            "avatar": None, "bot": True}
HUMAN = {"id": str(USER_ID), "username": "alice", "discriminator": "0", "global_name": "Alice", "avatar": None}
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc).isoformat()
EPHEMERAL = 64


@dataclass
class Call:
    """One HTTP request the bot made."""

    method: str
    path: str  # after /api/v10
    body: Any = None  # the JSON body, or a multipart's payload_json
    files: list[tuple[str, bytes]] = field(default_factory=list)
    at: float = 0.0
    status: int = 0  # what the stand-in answered; 404 = a route it does not know

    @property
    def message(self) -> dict:
        """The message part of the body (an interaction callback nests it under ``data``)."""
        if not isinstance(self.body, dict):
            return {}
        return (self.body.get("data") or {}) if self.path.endswith("/callback") else self.body

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def flags(self) -> int:
        return int(self.message.get("flags") or 0)

    def custom_ids(self) -> list[str]:
        rows = self.message.get("components") or []
        return [c["custom_id"] for row in rows for c in row.get("components", []) if "custom_id" in c]


def _json(data: Any, status: int = 200) -> web.Response:
    """discord.py only parses a body whose Content-Type is exactly ``application/json``."""
    return web.Response(status=status, body=json.dumps(data).encode(), content_type="application/json")


def _text_channel(channel_id: int, name: str, position: int) -> dict:
    return {"id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": name, "position": position,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0}


class DiscordStandin:
    def __init__(self, *, heartbeat_interval_ms: int = 41250, reject_token: bool = False,
                 close_on_identify: int | None = None) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.reject_token = reject_token
        self.close_on_identify = close_on_identify  # e.g. 4004: the gateway refuses the token after REST took it
        self.calls: list[Call] = []
        self.heartbeats: list[float] = []  # monotonic arrival times
        self.commands: dict[int | None, list[dict]] = {}  # guild id (None = global) → synced commands
        self.messages: dict[int, dict] = {}  # every message the bot created, by id
        self.guild_created = asyncio.Event()
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1_100_000_000_000_000_001)
        self._seq = 0
        self._ws: web.WebSocketResponse | None = None
        self._live = False  # False between a RECONNECT and the RESUME: events wait in _missed
        self._missed: list[dict] = []
        self.resumes: list[dict] = []  # RESUME payloads received
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def next_id(self) -> int:
        return next(self._ids)

    # --- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame["op"] == 1:
                self.heartbeats.append(time.monotonic())
                await ws.send_json({"op": 11})
            elif frame["op"] == 2 and self.close_on_identify:
                await ws.close(code=self.close_on_identify, message=b"Authentication failed.")
            elif frame["op"] == 2:
                await self._ready()
            elif frame["op"] == 6:
                await self._resume(frame["d"])
        return ws

    async def reconnect(self) -> None:
        """Ask the bot to reconnect (opcode 7), as Discord does; events meanwhile are replayed on RESUME."""
        assert self._ws is not None
        self._live = False
        await self._ws.send_json({"op": 7, "d": None})

    async def _resume(self, payload: dict) -> None:
        self.resumes.append(payload)
        await self._send({"op": 0, "t": "RESUMED", "s": self._next_seq(), "d": {}})
        self._live = True
        missed, self._missed = self._missed, []
        for frame in missed:
            await self._send(frame)

    async def _ready(self) -> None:
        self._live = True
        await self.dispatch("READY", {
            "v": 10, "user": BOT_USER, "session_id": "standin-session", "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}], "private_channels": [],
            "application": {"id": str(APP_ID), "flags": 0},
        })
        await self.dispatch("GUILD_CREATE", {
            "id": str(GUILD_ID), "name": "Study Group", "owner_id": str(USER_ID), "unavailable": False,
            "member_count": 2, "large": False, "features": [], "emojis": [], "stickers": [],
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0},
                      {"id": str(BOT_ROLE_ID), "name": "Atlas", "permissions": "0", "position": 1, "color": 0,
                       "hoist": False, "managed": True, "mentionable": True, "flags": 0,
                       "tags": {"bot_id": str(APP_ID)}}],
            "channels": [_text_channel(CHANNEL_ID, "general", 0), _text_channel(OTHER_CHANNEL_ID, "random", 1)],
            "threads": [], "members": [], "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "joined_at": NOW,
        })
        self.guild_created.set()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def _send(self, frame: dict) -> None:
        """To the newest connection (a reconnecting bot opens a new one)."""
        assert self._ws is not None, "the bot is not connected"
        await self._ws.send_json(frame)

    async def dispatch(self, event: str, data: dict) -> None:
        """Push a DISPATCH event to the bot; while it is reconnecting, hold it for the RESUME."""
        frame = {"op": 0, "t": event, "s": self._next_seq(), "d": data}
        if self._live:
            await self._send(frame)
        else:
            self._missed.append(frame)

    # --- REST ----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        call = Call(request.method, path, at=time.monotonic())
        if request.content_type == "application/json":
            call.body = await request.json()
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.name == "payload_json":
                    call.body = json.loads(await part.text())
                else:
                    call.files.append((part.filename or "", await part.read()))
        self.calls.append(call)
        try:
            response = self._respond(call)
            call.status = response.status
            return response
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _respond(self, call: Call) -> web.Response:
        routes: list[tuple[str, str, Callable[..., web.Response]]] = [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/gateway(/bot)?", lambda c, *_: _json({"url": self.gateway_url, "shards": 1})),
            ("PUT", r"/applications/\d+/commands", self._sync),
            ("PUT", r"/applications/\d+/guilds/(\d+)/commands", self._sync),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/\d+/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/\d+/([^/]+)/messages/(@original|\d+)", self._edit_response),
            ("POST", r"/channels/(\d+)/messages", self._channel_message),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._thread),
            ("POST", r"/channels/(\d+)/typing", lambda c, *_: web.Response(status=204)),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, call.path)
            if method == call.method and match:
                return handler(call, *match.groups())
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _me(self, call: Call) -> web.Response:
        if self.reject_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(BOT_USER)

    def _application(self, call: Call) -> web.Response:
        return _json({"id": str(APP_ID), "name": "Atlas", "description": "", "icon": None, "bot_public": True,
                      "bot_require_code_grant": False, "owner": HUMAN, "verify_key": "0" * 64, "flags": 0,
                      "summary": "", "team": None})

    def _sync(self, call: Call, guild_id: str | None = None) -> web.Response:
        synced = [{**cmd, "id": str(self.next_id()), "application_id": str(APP_ID), "version": "1",
                   **({"guild_id": guild_id} if guild_id else {})} for cmd in call.body]
        self.commands[int(guild_id) if guild_id else None] = synced
        return _json(synced)

    def _callback(self, call: Call, interaction_id: str, token: str) -> web.Response:
        data = call.body.get("data") or {}
        if call.body["type"] == 4:  # an immediate message: keep it like a followup
            self._store_message(CHANNEL_ID, data, webhook=True)
        return _json({"interaction": {
            "id": interaction_id, "type": 2, "response_message_loading": call.body["type"] == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
        }})

    def _edit_response(self, call: Call, token: str, message_id: str) -> web.Response:
        """Edit the interaction's own message (the deferred "thinking…" one, or a follow-up)."""
        return _json(self._store_message(CHANNEL_ID, call.body or {}, webhook=True))

    def _followup(self, call: Call, token: str) -> web.Response:
        return _json(self._store_message(CHANNEL_ID, call.body or {}, webhook=True))

    def _channel_message(self, call: Call, channel_id: str) -> web.Response:
        return _json(self._store_message(int(channel_id), call.body or {}))

    def _thread(self, call: Call, channel_id: str, message_id: str) -> web.Response:
        """Like Discord: the thread takes the starter message's id, and THREAD_CREATE follows."""
        thread = {"id": message_id, "type": 11, "guild_id": str(GUILD_ID), "parent_id": channel_id,
                  "owner_id": str(APP_ID), "name": call.body["name"], "last_message_id": None,
                  "rate_limit_per_user": 0, "message_count": 0, "member_count": 1,
                  "thread_metadata": {"archived": False, "locked": False, "archive_timestamp": NOW,
                                      "auto_archive_duration": call.body.get("auto_archive_duration", 1440)}}
        asyncio.get_running_loop().create_task(self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}))
        return _json(thread)

    def _store_message(self, channel_id: int, body: dict, *, webhook: bool = False) -> dict:
        message = self.message_payload(channel_id, body.get("content") or "", author=BOT_USER,
                                       components=body.get("components") or [], flags=int(body.get("flags") or 0))
        if webhook:
            message["webhook_id"] = str(APP_ID)
        self.messages[int(message["id"])] = message
        return message

    # --- what the test pushes ------------------------------------------------------------

    def message_payload(self, channel_id: int, content: str, *, author: dict = HUMAN, mentions: list[dict] = (),
                        mention_roles: list[str] = (), components: list[dict] = (), flags: int = 0,
                        guild: bool = True) -> dict:
        message = {"id": str(self.next_id()), "channel_id": str(channel_id), "author": author, "content": content,
                   "timestamp": NOW, "edited_timestamp": None, "tts": False, "mention_everyone": False,
                   "mentions": list(mentions), "mention_roles": list(mention_roles), "attachments": [], "embeds": [],
                   "pinned": False, "type": 0, "flags": flags, "components": list(components)}
        if guild:
            message["guild_id"] = str(GUILD_ID)
            message["member"] = {"roles": [], "joined_at": NOW, "deaf": False, "mute": False, "flags": 0}
        return message

    async def post_message(self, content: str, *, channel_id: int = CHANNEL_ID, mention_bot: bool = False,
                           via_role: bool = False, guild: bool = True) -> dict:
        """A human writes a message (MESSAGE_CREATE); with ``mention_bot`` it starts with @Atlas — the
        bot user's mention, or with ``via_role`` the bot's role's."""
        mentions, roles = [], []
        if mention_bot and via_role:
            content, roles = f"<@&{BOT_ROLE_ID}> {content}", [str(BOT_ROLE_ID)]
        elif mention_bot:
            content = f"<@{APP_ID}> {content}"
            mentions = [{**BOT_USER, "member": {"roles": [], "joined_at": NOW, "deaf": False, "mute": False,
                                                "flags": 0}}]
        message = self.message_payload(channel_id, content, mentions=mentions, mention_roles=roles, guild=guild)
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    def _interaction(self, type_: int, data: dict, channel_id: int, user: dict) -> dict:
        interaction_id = self.next_id()
        return {"id": str(interaction_id), "application_id": str(APP_ID), "type": type_, "data": data,
                "token": f"itoken-{interaction_id}", "version": 1, "guild_id": str(GUILD_ID),
                "channel_id": str(channel_id), "channel": _text_channel(channel_id, "general", 0),
                "member": {"user": user, "roles": [], "joined_at": NOW, "deaf": False, "mute": False, "flags": 0,
                           "permissions": "2147483647"},
                "app_permissions": "2147483647", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
                "authorizing_integration_owners": {"0": str(GUILD_ID)}, "context": 0,
                "attachment_size_limit": 8 * 1024 * 1024}

    async def slash(self, name: str, channel_id: int = CHANNEL_ID, user: dict = HUMAN, **options: str) -> dict:
        """A user runs a slash command the bot synced (guild commands first, as Discord resolves them)."""
        synced = self.commands.get(GUILD_ID, []) + self.commands.get(None, [])
        command = next(c for c in synced if c["name"] == name)
        data = {"id": command["id"], "name": name, "type": 1,
                "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        interaction = self._interaction(2, data, channel_id, user)
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    async def click(self, custom_id: str, message: dict, user: dict = HUMAN) -> dict:
        """A user clicks a button on a message the bot sent."""
        interaction = self._interaction(3, {"custom_id": custom_id, "component_type": 2},
                                        int(message["channel_id"]), user)
        interaction["message"] = message
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    # --- what the test reads -------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[list[Call]], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate(calls)`` is truthy and return its value."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.calls)), timeout)
        return predicate(self.calls)

    def replies_to(self, interaction: dict) -> list[Call]:
        """The callback and the followups of one interaction, in order."""
        token = interaction["token"]
        return [c for c in self.calls if c.path.startswith(f"/interactions/{interaction['id']}/{token}/")
                or c.path.startswith(f"/webhooks/{APP_ID}/{token}")]

    def posts_in(self, channel_id: int | str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"]

    def sent_messages(self) -> list[Call]:
        """Every call that put text in front of a user."""
        return [c for c in self.calls if c.method == "POST" and (
            c.path.startswith("/webhooks/") or c.path.endswith("/messages")
            or (c.path.endswith("/callback") and c.body.get("type") == 4))]


@asynccontextmanager
async def running_bot(settings, services, monkeypatch):
    """The real discord.py client of the bot, connected to a fresh stand-in until the block ends
    (``monkeypatch`` points discord.py's REST and gateway at it and restores them after the test)."""
    import discord
    import yarl

    from bot.adapters.discord import AtlasBot

    standin = DiscordStandin()
    await standin.start()
    monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(standin.gateway_url))
    bot = AtlasBot(settings, services, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 20)
        yield standin
    finally:
        await bot.close()
        await task
        await standin.close()
