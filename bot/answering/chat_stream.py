"""One chat completion over HTTP, as an OpenAI-compatible server streams it (server-sent events), read
within per-phase timeouts. A server that ignores ``stream`` and sends one JSON body is read as well.
Every failure is one ``AttemptFailed``; retries, the budget and the circuit breaker are
``bot.answering.llm``'s."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
from pydantic import SecretStr

OnText = Callable[[str], None]


@dataclass(frozen=True)
class Timeouts:
    """How long one attempt may take in each phase of a streamed reply. Reading the prompt comes before
    the first token and is the slow part for a small local model (12-23 s measured on 2 cores); once
    tokens flow, a gap longer than ``stall_s`` means the server is stuck, and a model that keeps
    producing tokens is only stopped by the overall budget."""

    first_token_s: float = 20.0
    stall_s: float = 8.0
    probe_s: float = 10.0  # the breaker's tiny probe request, whole


@dataclass
class Completion:
    """One reply as the server sent it; ``first_token_s``: when its first text arrived (``time.monotonic()``)."""

    text: str
    finish_reason: str | None
    usage: dict
    first_token_s: float | None


class AttemptFailed(Exception):
    """One attempt failed; ``retryable`` says whether another may succeed, ``retry_after`` when (a 429's header)."""

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class ChatStream:
    """Leaving the stream closes the connection, which tells the server to stop generating (llama.cpp and
    vLLM do), so a retry does not queue behind an abandoned request. The API key never appears in an
    error's text."""

    def __init__(self, *, base_url: str, model: str, api_key: SecretStr, timeouts: Timeouts,
                 temperature: float) -> None:
        self.model, self.timeouts, self.temperature = model, timeouts, temperature
        self._secret = api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers,
                                       timeout=httpx.Timeout(None))  # the phases below bound every wait

    async def aclose(self) -> None:
        await self._http.aclose()

    async def attempt(self, messages: list[dict[str, str]], max_tokens: int, deadline: float,
                      on_text: OnText | None = None) -> Completion:
        """One streamed reply within the phase timeouts and ``deadline`` (a ``time.monotonic()`` value)."""
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": self.temperature, "stream": True}
        sent = time.monotonic()
        first_token: float | None = None
        parts: list[str] = []
        phase_end = min(sent + self.timeouts.first_token_s, deadline)
        try:
            async with asyncio.timeout_at(_loop_time(phase_end)) as guard:
                async with self._http.stream("POST", "chat/completions", json=payload) as response:
                    await self._raise_for_status(response)
                    if not response.headers.get("content-type", "").startswith("text/event-stream"):
                        return _parse_completion(await response.aread())
                    finish_reason, usage = None, {}
                    async for line in response.aiter_lines():
                        event = _sse_data(line)
                        if event is None:
                            continue
                        text, finish, event_usage = event
                        if text:
                            parts.append(text)
                            first_token = first_token or time.monotonic()
                            guard.reschedule(_loop_time(min(time.monotonic() + self.timeouts.stall_s, deadline)))
                            if on_text is not None:
                                on_text("".join(parts))
                        finish_reason, usage = finish or finish_reason, event_usage or usage
        except TimeoutError:
            now = time.monotonic()
            if first_token is None:
                what = f"no first token within {now - sent:.1f} s"
            elif now >= deadline - 0.01:
                what = f"still answering when the budget ran out after {now - sent:.1f} s"
            else:
                what = f"stalled for {self.timeouts.stall_s:g} s after {len(parts)} chunks"
            raise AttemptFailed(f"timed out: {what}", retryable=True) from None
        except httpx.TransportError as exc:
            raise AttemptFailed(f"connection failed: {type(exc).__name__}", retryable=True) from None
        except httpx.RequestError as exc:
            raise AttemptFailed(f"request failed: {type(exc).__name__}", retryable=True) from None
        text = "".join(parts).strip()
        if not text:
            raise AttemptFailed("malformed response: the stream carried no text", retryable=True)
        return Completion(text, finish_reason, usage, first_token)

    async def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        body = (await response.aread()).decode("utf-8", "replace")
        if status in (401, 403):
            raise AttemptFailed(f"LLM rejected the API key (HTTP {status})", retryable=False)
        if status == 429:
            retry_after = _retry_after_s(response.headers.get("Retry-After"))
            hint = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
            raise AttemptFailed(f"rate limited (HTTP 429{hint})", retryable=True, retry_after=retry_after)
        if status >= 500:
            raise AttemptFailed(f"server error (HTTP {status})", retryable=True)
        if status >= 400:
            raise AttemptFailed(f"LLM rejected the request (HTTP {status}): {self.redact(body[:200])}",
                                 retryable=False)
        raise AttemptFailed(f"unexpected HTTP {status}: check the LLM base URL", retryable=False)

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


def _loop_time(monotonic: float) -> float:
    """A ``time.monotonic()`` instant on the running loop's clock (what ``asyncio.timeout_at`` takes)."""
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic - time.monotonic())


def _sse_data(line: str) -> tuple[str, str | None, dict] | None:
    """One server-sent event line → (text delta, finish reason, usage); None for comments, blank
    lines and ``[DONE]``. An error event or unreadable JSON fails the attempt."""
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if not data or data == "[DONE]":
        return None
    try:
        event = json.loads(data)
    except ValueError:
        raise AttemptFailed("malformed response: a stream event is not JSON", retryable=True) from None
    if not isinstance(event, dict) or "error" in event:
        raise AttemptFailed("malformed response: the stream reported an error", retryable=True)
    usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", None, usage  # the closing usage-only event
    delta = choices[0].get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    return text if isinstance(text, str) else "", choices[0].get("finish_reason"), usage


def _parse_completion(raw: bytes) -> Completion:
    try:
        body = json.loads(raw)
    except ValueError:
        raise AttemptFailed("malformed response: body is not JSON", retryable=True) from None
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AttemptFailed("malformed response: no choices", retryable=True)
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise AttemptFailed("malformed response: empty message content", retryable=True)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return Completion(content.strip(), choices[0].get("finish_reason"), usage, None)


def _retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
