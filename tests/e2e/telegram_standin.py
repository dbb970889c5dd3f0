"""A loopback stand-in for the Telegram Bot API, to drive the real python-telegram-bot client.

It runs an aiohttp server on 127.0.0.1 in its own thread (so sync tests can call the blocking
``run()`` while it serves), answers ``/bot<token>/<method>`` like Telegram (form or multipart in,
``{"ok": ..., "result": ...}`` out), records every call, long-polls ``getUpdates`` on updates a test
pushes, checks HTML like Telegram does, and can fail the next call of a method on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

BOT_TOKEN = "123456:TEST-standin-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Atlas", "username": "atlas_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_CHARS = 4096

# --- Telegram's HTML parse mode ------------------------------------------------------------------

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                "code", "pre", "blockquote", "tg-emoji"}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))*)\s*>")
_ATTR = re.compile(r"([A-Za-z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


class TelegramHTMLError(ValueError):
    """What Telegram answers with 400 "Bad Request: can't parse entities: ..."."""


def _check_attrs(name: str, attrs: dict[str, str], parent: str | None, at: int) -> None:
    if name == "a" and "href" not in attrs:
        raise TelegramHTMLError(f'Tag "a" must have attribute "href" at byte offset {at}')
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise TelegramHTMLError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if name == "tg-emoji" and "emoji-id" not in attrs:
        raise TelegramHTMLError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
    if name == "code" and "class" in attrs and (parent != "pre" or not attrs["class"].startswith("language-")):
        raise TelegramHTMLError(f"Unexpected class on code at byte offset {at}")


def _check_nesting(name: str, stack: list[str], at: int) -> None:
    parent = stack[-1] if stack else None
    if parent == "code" or (parent == "pre" and name != "code"):
        raise TelegramHTMLError(f'Can\'t nest "{name}" inside "{parent}" at byte offset {at}')
    if name in stack and name in {"a", "pre", "code", "blockquote"}:
        raise TelegramHTMLError(f'Can\'t nest "{name}" inside itself at byte offset {at}')
    if name in {"code", "pre"} and any(t in {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del"}
                                       for t in stack):
        raise TelegramHTMLError(f'Can\'t put "{name}" inside a formatting entity at byte offset {at}')


def parse_telegram_html(text: str) -> str:
    """The visible text of a parse_mode=HTML message; raises TelegramHTMLError where Telegram would."""
    visible: list[str] = []
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        at = len(text[:pos].encode())
        if ch == "<":
            m = _TAG.match(text, pos)
            if not m:
                raise TelegramHTMLError(f"Unclosed start tag at byte offset {at}")
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise TelegramHTMLError(f'Unsupported start tag "{name}" at byte offset {at}')
            if closing:
                if not stack or stack[-1] != name:
                    expected = stack[-1] if stack else ""
                    raise TelegramHTMLError(f'Unmatched end tag at byte offset {at}, expected "</{expected}>"')
                stack.pop()
            else:
                attrs = {a.group(1).lower(): html.unescape(a.group(2) or a.group(3) or "")
                         for a in _ATTR.finditer(m.group(3))}
                _check_nesting(name, stack, at)
                _check_attrs(name, attrs, stack[-1] if stack else None, at)
                stack.append(name)
            pos = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, pos)
            if not m:
                raise TelegramHTMLError(f"Character entity expected at byte offset {at}")
            visible.append(html.unescape(m.group(0)))
            pos = m.end()
        else:
            visible.append(ch)
            pos += 1
    if stack:
        raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(visible)


# --- the server ----------------------------------------------------------------------------------

_JSON_FIELDS = {"reply_markup", "link_preview_options", "reply_parameters", "commands", "scope", "entities",
                "allowed_updates", "options", "correct_option_ids"}
# sendPoll's limits (Bot API 9.6): question 1-300 characters, 2-12 options of 1-100, explanation 0-200
# characters of visible text with at most 2 line feeds.
POLL_QUESTION, POLL_OPTIONS, POLL_OPTION, POLL_EXPLANATION = 300, 12, 100, 200


@dataclass
class ApiCall:
    method: str
    params: dict
    ok: bool
    result: object = None
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    when: Callable[[dict], bool]


class TelegramStandIn:
    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self.chats: dict[int, dict] = {}
        self.commands: dict[str, list] = {}
        self.webhook: dict = {}
        self.polls_started = 0  # getUpdates calls received (a call is recorded only when it returns)
        self.polls: dict[str, dict] = {}  # quiz polls sent, by poll id
        self._poll_ids = itertools.count(9000)
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, name="telegram-standin", daemon=True)
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("stand-in did not start")

    def stop(self) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def push_update(self, update: dict) -> int:
        """Queue an update (``update_id`` is assigned) for the next getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        for key in ("message", "edited_message"):
            if key in update:
                self.chats[update[key]["chat"]["id"]] = update[key]["chat"]
        self._loop.call_soon_threadsafe(self._add_update, update)
        return update["update_id"]

    def answer_poll(self, poll_id: str, user: dict, option_ids: list[int]) -> int:
        """A member's vote in a non-anonymous poll, as the ``poll_answer`` update Telegram sends."""
        return self.push_update({"poll_answer": {"poll_id": poll_id, "user": user, "option_ids": option_ids,
                                                 "option_persistent_ids": [f"o{i}" for i in option_ids]}})

    def revoke_token(self) -> None:
        """As @BotFather's /revoke: every later call with the old token gets 401, and a waiting long poll
        returns at once."""
        self.token = "revoked"
        self._loop.call_soon_threadsafe(self._new_update.set)

    def fail_next(self, method: str, error_code: int, description: str, retry_after: int | None = None,
                  when: Callable[[dict], bool] = lambda params: True) -> None:
        """The next call of ``method`` (matching ``when``) gets this error instead of a result."""
        with self._lock:
            self._failures.append(_Failure(method, error_code, description, retry_after, when))

    def calls_of(self, method: str, ok: bool | None = True) -> list[ApiCall]:
        return [c for c in list(self.calls) if c.method == method and (ok is None or c.ok == ok)]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Successful calls of ``method`` once there are at least ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.calls_of(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method}: {len(self.calls_of(method))} of {count} calls arrived")
            await asyncio.sleep(0.02)
        return self.calls_of(method)

    def wait_for_sync(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        deadline = time.monotonic() + timeout
        while len(self.calls_of(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method}: {len(self.calls_of(method))} of {count} calls arrived")
            time.sleep(0.02)
        return self.calls_of(method)

    # --- serving ---------------------------------------------------------------------------------
    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.SockSite(runner, self._sock).start())
        self._ready.set()
        self._loop.run_forever()
        self._new_update.set()  # wake pending long polls so they answer before the server goes
        self._loop.run_until_complete(runner.cleanup())
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def _add_update(self, update: dict) -> None:
        self._updates.append(update)
        self._new_update.set()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._decode(request)
        if request.match_info["token"] != self.token:
            return self._reply(ApiCall(method, params, False), 401, {"description": "Unauthorized"})
        failure = self._take_failure(method, params)
        if failure:
            extra = {"parameters": {"retry_after": failure.retry_after}} if failure.retry_after else {}
            return self._reply(ApiCall(method, params, False, files=files), failure.error_code,
                               {"description": failure.description, **extra})
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._reply(ApiCall(method, params, False), 404, {"description": "Not Found: method not found"})
        try:
            result = await handler(params)
        except TelegramHTMLError as exc:
            return self._reply(ApiCall(method, params, False), 400,
                               {"description": f"Bad Request: can't parse entities: {exc}"})
        except ValueError as exc:
            return self._reply(ApiCall(method, params, False), 400, {"description": f"Bad Request: {exc}"})
        self.calls.append(ApiCall(method, params, True, result, files))
        return web.json_response({"ok": True, "result": result})

    def _reply(self, call: ApiCall, code: int, body: dict) -> web.Response:
        self.calls.append(call)
        return web.json_response({"ok": False, "error_code": code, **body}, status=code)

    def _take_failure(self, method: str, params: dict) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.when(params):
                    self._failures.remove(failure)
                    return failure
        return None

    @staticmethod
    async def _decode(request: web.Request) -> tuple[dict, dict[str, bytes]]:
        if request.content_type == "application/json":
            return await request.json(), {}
        form = await request.post()
        params, files = {}, {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            elif key in _JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        return params, files

    def _message(self, params: dict, **content: object) -> dict:
        chat_id = int(params["chat_id"])
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"})
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": BOT_USER, **content}
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    @staticmethod
    def _text(params: dict) -> str:
        text = params.get("text", "")
        visible = parse_telegram_html(text) if params.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise ValueError("message text is empty")
        if len(visible) > MAX_CHARS:
            raise ValueError("message is too long")
        return visible

    # --- Bot API methods -------------------------------------------------------------------------
    async def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        self.polls_started += 1
        offset = int(params.get("offset", 0))
        timeout = float(params.get("timeout", 0))
        limit = int(params.get("limit", 100))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return self._updates[:limit]

    async def _api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    async def _api_sendMessage(self, params: dict) -> dict:
        return self._message(params, text=self._text(params))

    async def _api_editMessageText(self, params: dict) -> dict:
        return {**self._message(params, text=self._text(params)), "message_id": int(params["message_id"])}

    async def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        return {**self._message(params, text="…"), "message_id": int(params["message_id"])}

    async def _api_sendPhoto(self, params: dict) -> dict:
        photo = {"file_id": "photo-1", "file_unique_id": "p1", "width": 660, "height": 400}
        return self._message(params, photo=[photo])

    async def _api_sendPoll(self, params: dict) -> dict:
        question, options = params.get("question", ""), params.get("options", [])
        texts = [o if isinstance(o, str) else o.get("text", "") for o in options]
        if not 1 <= len(question) <= POLL_QUESTION:
            raise ValueError("poll question length must be 1-300")
        if not 2 <= len(texts) <= POLL_OPTIONS or any(not 1 <= len(t) <= POLL_OPTION for t in texts):
            raise ValueError("poll options must be 2-12 of 1-100 characters")
        correct = params.get("correct_option_ids")
        if params.get("type") == "quiz" and (not correct or any(not 0 <= int(i) < len(texts) for i in correct)):
            raise ValueError("wrong correct_option_ids specified")
        explanation = params.get("explanation", "")
        visible = parse_telegram_html(explanation) if params.get("explanation_parse_mode") == "HTML" else explanation
        if len(visible) > POLL_EXPLANATION or visible.count("\n") > 2:
            raise ValueError("explanation is too long")
        poll = {"id": str(next(self._poll_ids)), "question": question, "total_voter_count": 0, "is_closed": False,
                "options": [{"text": t, "voter_count": 0, "persistent_id": f"o{i}"} for i, t in enumerate(texts)], "type": params.get("type", "regular"),
                "is_anonymous": params.get("is_anonymous", "true") not in ("false", "False", False),
                "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
                "correct_option_ids": [int(i) for i in correct or []],
                "explanation": visible}
        message = self._message(params, poll=poll)
        self.polls[poll["id"]] = {**poll, "message_id": message["message_id"]}
        return message

    async def _api_stopPoll(self, params: dict) -> dict:
        poll = next((p for p in self.polls.values() if p["message_id"] == int(params["message_id"])), None)
        if poll is None or poll["is_closed"]:
            raise ValueError("poll has already been closed")
        poll["is_closed"] = True
        return poll

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    async def _api_sendChatAction(self, params: dict) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict) -> bool:
        self.commands[params.get("language_code", "")] = params["commands"]
        return True

    async def _api_deleteMyCommands(self, params: dict) -> bool:
        self.commands.pop(params.get("language_code", ""), None)
        return True

    async def _api_getMyCommands(self, params: dict) -> list:
        return self.commands.get(params.get("language_code", ""), [])


@contextlib.asynccontextmanager
async def running_bot(settings, services, standin: TelegramStandIn | None = None):
    """The real python-telegram-bot application of the bot, polling a stand-in until the block ends: a
    fresh one, or ``standin`` (which the caller started and stops)."""
    from bot.adapters.telegram import build_application

    own = standin is None
    standin = standin or TelegramStandIn()
    if own:
        standin.start()
    app = build_application(settings, services, base_url=standin.base_url)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield standin
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
        if own:
            standin.stop()
