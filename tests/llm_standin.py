"""A scriptable OpenAI-compatible chat server on loopback, for testing the LLM client over real HTTP.

    standin = LLMStandIn()
    base_url = await standin.start()          # http://127.0.0.1:<free port>/v1
    standin.script(Reply.rate_limited(1), Reply.ok("RAG retrieves text [1]."))
    ...
    await standin.close()

Each request takes the next scripted reply (then ``default``) and is recorded with its body, headers
and arrival time. A request with ``"stream": true`` gets server-sent events, one per word, as llama.cpp,
vLLM and OpenAI send them: ``first_token_s`` before the first, ``token_gap_s`` between the others,
``stall_after`` words and then nothing (until the client hangs up, which ``hung_up`` counts: a client
that abandons a request must close it so the server stops generating).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field, replace

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    status: int = 200
    text: str | None = "A stand-in answer."
    finish_reason: str = "stop"
    usage: dict | None = None  # omitted from the body when None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw_body: str | None = None  # sent verbatim instead of a completion
    echo_auth: bool = False  # put the request's Authorization header in an error body (a careless server)
    first_token_s: float = 0.0  # streaming: headers at once, the first word after this long
    token_gap_s: float = 0.0  # streaming: between words
    stall_after: int | None = None  # streaming: stop sending after this many words (and never finish)
    garbage_event: bool = False  # streaming: a line of non-JSON in the middle of the stream
    grounded: tuple[int, ...] = ()  # answer with the first sentence of each of these passages of the prompt

    @classmethod
    def from_passages(cls, *numbers: int) -> Reply:
        """A well-behaved model: restates the first sentence of passages ``numbers`` of the prompt it was
        sent, each cited — an answer the checks must let through, whatever the real index retrieved."""
        return cls(text=None, grounded=numbers or (1,))

    @classmethod
    def ok(cls, text: str, usage: dict | None = None, finish_reason: str = "stop") -> Reply:
        return cls(text=text, usage=usage, finish_reason=finish_reason)

    @classmethod
    def slow(cls, delay_s: float, text: str = "A late answer.") -> Reply:
        return cls(text=text, delay_s=delay_s)

    @classmethod
    def error(cls, status: int, headers: dict[str, str] | None = None, echo_auth: bool = False) -> Reply:
        return cls(status=status, headers=headers or {}, echo_auth=echo_auth)

    @classmethod
    def rate_limited(cls, retry_after_s: float) -> Reply:
        return cls.error(429, {"Retry-After": f"{retry_after_s:g}"})

    @classmethod
    def malformed(cls) -> Reply:
        return cls(raw_body='{"choices": [{"message": {"content": "cut off')

    @classmethod
    def no_choices(cls) -> Reply:
        return cls(raw_body=json.dumps({"id": "x", "object": "chat.completion", "choices": []}))

    @classmethod
    def empty_content(cls) -> Reply:
        return cls(text="")

    @classmethod
    def streamed(cls, text: str, first_token_s: float = 0.0, token_gap_s: float = 0.0,
                 finish_reason: str = "stop") -> Reply:
        return cls(text=text, first_token_s=first_token_s, token_gap_s=token_gap_s, finish_reason=finish_reason)

    @classmethod
    def stalled(cls, text: str = "RAG retrieves passages from a knowledge base and", after: int = 3) -> Reply:
        return cls(text=text, stall_after=after)

    @classmethod
    def hung(cls) -> Reply:
        """Accepts the request and never sends a word (a stuck server)."""
        return cls(text="never sent", stall_after=0)


@dataclass(frozen=True)
class RecordedRequest:
    body: dict
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


class LLMStandIn:
    def __init__(self, model: str = "standin-model", default: Reply | None = None) -> None:
        self.model = model
        self.default = default or Reply()
        self.requests: list[RecordedRequest] = []
        self.hung_up = 0  # streamed replies the client closed before the end
        self._script: deque[Reply] = deque()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    async def start(self) -> str:
        """Listen on a free loopback port in the running loop; return the OpenAI-style base URL."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self.base_url

    async def close(self) -> None:
        self._closing.set()  # releases replies still sleeping for a client that gave up
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response({"error": {"message": "request body is not JSON"}}, status=400)
        self.requests.append(RecordedRequest(body=body, headers=dict(request.headers), at=time.monotonic()))
        reply = self._script.popleft() if self._script else self.default
        if reply.delay_s:
            try:
                await asyncio.wait_for(self._closing.wait(), reply.delay_s)
            except TimeoutError:
                pass
        if reply.status != 200:
            message = f"stand-in error {reply.status}"
            if reply.echo_auth:
                message += f"; you sent {request.headers.get('Authorization', '')}"
            return web.json_response({"error": {"message": message}}, status=reply.status, headers=reply.headers)
        if reply.raw_body is not None:
            return web.Response(text=reply.raw_body, content_type="application/json")
        if reply.grounded:
            reply = replace(reply, text=_grounded_answer(body, reply.grounded))
        if body.get("stream"):
            return await self._stream(request, body, reply)
        completion = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason,
                }
            ],
        }
        if reply.usage is not None:
            completion["usage"] = reply.usage
        return web.json_response(completion)

    async def _stream(self, request: web.Request, body: dict, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        model = body.get("model", self.model)

        def event(delta: dict, finish: str | None = None) -> bytes:
            chunk = {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion.chunk", "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(chunk)}\n\n".encode()

        words = (reply.text or "").split(" ")
        try:
            await response.write(event({"role": "assistant"}))
            for i, word in enumerate(words):
                if reply.stall_after is not None and i >= reply.stall_after:
                    await self._wait_for_hang_up(request)
                    return response
                wait = reply.first_token_s if i == 0 else reply.token_gap_s
                if wait:
                    await asyncio.sleep(wait)
                if reply.garbage_event and i == len(words) // 2:
                    await response.write(b"data: {not json\n\n")
                await response.write(event({"content": word if i == 0 else " " + word}))
            await response.write(event({}, reply.finish_reason))
            if reply.usage is not None:
                usage_chunk = {"id": "u", "object": "chat.completion.chunk", "choices": [], "usage": reply.usage}
                await response.write(f"data: {json.dumps(usage_chunk)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
        except ConnectionResetError:  # the client closed the stream before the end
            self.hung_up += 1
        return response

    async def _wait_for_hang_up(self, request: web.Request) -> None:
        """Send nothing more; count the client closing the connection (or the stand-in closing)."""
        while not self._closing.is_set():
            if request.transport is None or request.transport.is_closing():
                self.hung_up += 1
                return
            await asyncio.sleep(0.02)


def _grounded_answer(body: dict, numbers: tuple[int, ...]) -> str:
    """The first prose sentence of each numbered passage in the last user message, cited."""
    prompt = next(m["content"] for m in body["messages"] if m["role"] == "user" and "<context>" in m["content"])
    blocks = dict(re.findall(r"^\[(\d+)\] [^\n]*\n(.*?)(?=^\[\d+\] |</context>)", prompt, re.S | re.M))
    out = []
    for n in numbers:
        lines = [re.sub(r"^[-*>\d.\s]+|\*\*", "", ln).strip() for ln in blocks.get(str(n), "").splitlines()
                 if not ln.strip().startswith(("#", "|", "`"))]
        lines = [ln for ln in lines if len(ln) > (12 if re.search("[\u4e00-\u9fff]", ln) else 30)]
        if lines:
            sentences = [re.split(r"(?<=[.!?。！？])\s*", lines[0])[0]]
            if n == numbers[0]:  # a good model keeps the first passage's key (bold) terms: the sentences holding them
                sentences += _key_sentences(blocks.get(str(n), ""), sentences[0])
            for sentence in sentences:
                sentence = sentence.rstrip(".。")
                out.append(f"{sentence} [{n}]" + ("。" if re.search("[\u4e00-\u9fff]", sentence) else "."))
    return " ".join(out) or "The stand-in found no passage to restate."


def _key_sentences(block: str, first: str, most: int = 2) -> list[str]:
    """Up to ``most`` sentences of ``block`` (bold marks removed) holding a bold term that ``first`` lacks."""
    out = []
    for line in block.splitlines():
        if re.fullmatch(r"\s*\*\*[^*]+\*\*\s*", line):
            continue  # a bold line is a heading
        for sentence in re.split(r"(?<=[.!?。！？])\s*", re.sub(r"^[-*>\d.\s]+", "", line.strip())):
            terms = re.findall(r"\*\*([^*]+)\*\*", sentence)
            plain = sentence.replace("**", "").strip()
            if terms and any(t not in first for t in terms) and plain not in out and plain != first:
                out.append(plain)
    return out[:most]
