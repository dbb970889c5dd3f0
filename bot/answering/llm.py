"""The generative answer path: one OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server,
DeepSeek, OpenAI), retried within a latency budget, then checked.

Failure contract: ``LLMClient.complete`` returns an ``LLMResult`` or raises ``LLMUnavailable`` — never
anything else — so the pipeline can fall back to the extractive answer with one ``except``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, wait_exponential, wait_random

from bot.answering.breaker import CircuitBreaker
from bot.answering.checks import Verdict, check_answer, verdict
from bot.answering.prompts import DEFAULT_MAX_CONTEXT_CHARS, PromptSet
from bot.domain import AnswerCheck, Chunk, Lang
from bot.text.script import CJK_WIDE
from bot.text.tokenizer import BilingualTokenizer
from bot.settings import Settings

logger = logging.getLogger(__name__)


OnText = Callable[[str], None]


class LLMUnavailable(Exception):
    """The LLM gave no usable answer; ``reason`` is safe to show in a trace (no secrets)."""

    def __init__(self, reason: str, attempts: int, elapsed_ms: float = 0.0, breaker: str = "closed") -> None:
        super().__init__(f"{reason} (after {attempts} attempt{'s' if attempts != 1 else ''})")
        self.reason = reason
        self.attempts = attempts
        self.elapsed_ms = elapsed_ms
        self.breaker = breaker


@dataclass(frozen=True)
class LLMResult:
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    finish_reason: str | None
    attempts: int
    latency_ms: float
    first_token_ms: float | None = None  # from the call to the first streamed text


@dataclass(frozen=True)
class GeneratedAnswer:
    text: str  # as it may be shown: markers bound and checked, unsupported sentences out
    check: AnswerCheck
    result: LLMResult  # every call of the question together (the text is the last one's)
    context_ids: list[str]  # chunk behind marker [n] is context_ids[n - 1]
    left_out_ids: list[str] = field(default_factory=list)  # chunks the context budget had no room for
    verdict: Verdict = Verdict("show")  # show it, or the model's decline, or fall back (and why)


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
class _Completion:
    text: str
    finish_reason: str | None
    usage: dict
    first_token_s: float | None


class _AttemptFailed(Exception):
    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class LLMClient:
    """Streams chat completions (``stream=true``) so that a model producing tokens is never cut off and
    a stuck one is noticed after one short timeout; leaving the stream closes the connection, which
    tells the server to stop generating (llama.cpp and vLLM do), so a retry does not queue behind an
    abandoned request. A server that ignores ``stream`` and sends one JSON body is read as well."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr = SecretStr(""),
        timeouts: Timeouts = Timeouts(),
        budget_s: float = 60.0,
        max_retries: int = 1,
        max_tokens: int = 400,
        temperature: float = 0.1,
        price_in_per_mtok: float = 0.0,
        price_out_per_mtok: float = 0.0,
        backoff_s: float = 0.5,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base URL must start with http:// or https://, got {base_url!r}")
        if not model:
            raise ValueError("LLM model name is empty")
        if (min(timeouts.first_token_s, timeouts.stall_s, timeouts.probe_s) <= 0 or budget_s <= 0
                or max_retries < 0 or max_tokens <= 0):
            raise ValueError("LLM timeouts, budget and max_tokens must be positive; max_retries >= 0")
        self.model = model
        self.timeouts = timeouts
        self.budget_s = budget_s
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.price_in_per_mtok = price_in_per_mtok
        self.price_out_per_mtok = price_out_per_mtok
        self.breaker = breaker or CircuitBreaker()
        self._probe: asyncio.Task | None = None
        self._backoff = wait_exponential(multiplier=backoff_s, max=backoff_s * 8) + wait_random(0, backoff_s)
        self._secret = api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers,
                                       timeout=httpx.Timeout(None))  # the phases below bound every wait

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        if not settings.llm_base_url:
            raise ValueError("no LLM configured: set ATLAS_LLM_BASE_URL")
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeouts=Timeouts(first_token_s=settings.llm_first_token_timeout_s, stall_s=settings.llm_stall_timeout_s,
                              probe_s=settings.llm_probe_timeout_s),
            budget_s=settings.llm_budget_s,
            max_retries=settings.llm_max_retries,
            max_tokens=max(settings.llm_max_tokens_en, settings.llm_max_tokens_zh),
            temperature=settings.llm_temperature,
            price_in_per_mtok=settings.price_in_per_mtok,
            price_out_per_mtok=settings.price_out_per_mtok,
            breaker=CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_cooldown_s),
        )

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        await self._http.aclose()

    async def complete(self, messages: list[dict[str, str]], *, max_tokens: int | None = None,
                       deadline: float | None = None, on_text: OnText | None = None) -> LLMResult:
        """One chat completion, retried on timeouts, connection errors, 429, 5xx and malformed replies
        while attempts and the budget last (``deadline``, a ``time.monotonic()`` value, can shorten it).
        While the breaker is open it raises at once; it counts one failure per call, not per attempt.
        ``on_text`` gets the text streamed so far after each piece (unchecked: for a progressive display)."""
        started = time.monotonic()
        deadline = min(deadline or math.inf, started + self.budget_s)
        if not self.breaker.allows():
            if self.breaker.probe_due():
                self.breaker.start_probe()
                self._probe = asyncio.create_task(self._run_probe())
            raise LLMUnavailable(f"circuit breaker {self.breaker.describe()}", 0, 0.0, self.breaker.describe())
        attempts = 0
        retrying = AsyncRetrying(
            retry=_is_retryable,
            wait=self._wait,
            stop=lambda state: (state.attempt_number > self.max_retries
                                or time.monotonic() + state.upcoming_sleep >= deadline),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    done = await self._attempt(messages, max_tokens or self.max_tokens, deadline, on_text)
        except _AttemptFailed as exc:
            reason = exc.reason
            if exc.retryable and attempts <= self.max_retries:
                reason += f"; another try would overrun the {deadline - started:.3g} s budget"
            self.breaker.failure(reason)
            logger.warning("LLM unavailable after %d attempt(s): %s", attempts, reason)
            raise LLMUnavailable(reason, attempts, (time.monotonic() - started) * 1000,
                                 self.breaker.describe()) from None
        self.breaker.success()
        tokens_in = _usage_int(done.usage, "prompt_tokens") or sum(estimate_tokens(m["content"]) for m in messages)
        tokens_out = _usage_int(done.usage, "completion_tokens") or estimate_tokens(done.text)
        cost = (tokens_in * self.price_in_per_mtok + tokens_out * self.price_out_per_mtok) / 1_000_000
        first = None if done.first_token_s is None else (done.first_token_s - started) * 1000
        return LLMResult(text=done.text, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost,
                         finish_reason=done.finish_reason, attempts=attempts,
                         latency_ms=(time.monotonic() - started) * 1000, first_token_ms=first)

    async def _attempt(self, messages: list[dict[str, str]], max_tokens: int, deadline: float,
                       on_text: OnText | None = None) -> _Completion:
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
            raise _AttemptFailed(f"timed out: {what}", retryable=True) from None
        except httpx.TransportError as exc:
            raise _AttemptFailed(f"connection failed: {type(exc).__name__}", retryable=True) from None
        except httpx.RequestError as exc:
            raise _AttemptFailed(f"request failed: {type(exc).__name__}", retryable=True) from None
        text = "".join(parts).strip()
        if not text:
            raise _AttemptFailed("malformed response: the stream carried no text", retryable=True)
        return _Completion(text, finish_reason, usage, first_token)

    async def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        body = (await response.aread()).decode("utf-8", "replace")
        if status in (401, 403):
            raise _AttemptFailed(f"LLM rejected the API key (HTTP {status})", retryable=False)
        if status == 429:
            retry_after = _retry_after_s(response.headers.get("Retry-After"))
            hint = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
            raise _AttemptFailed(f"rate limited (HTTP 429{hint})", retryable=True, retry_after=retry_after)
        if status >= 500:
            raise _AttemptFailed(f"server error (HTTP {status})", retryable=True)
        if status >= 400:
            raise _AttemptFailed(f"LLM rejected the request (HTTP {status}): {self._redact(body[:200])}",
                                 retryable=False)
        raise _AttemptFailed(f"unexpected HTTP {status}: check the LLM base URL", retryable=False)

    async def _run_probe(self) -> None:
        """The breaker's probe: one token for a one-word prompt, within ``timeouts.probe_s``."""
        error = ""
        try:
            async with asyncio.timeout(self.timeouts.probe_s):
                await self._attempt([{"role": "user", "content": "ping"}], 1, time.monotonic() + self.timeouts.probe_s)
        except _AttemptFailed as exc:
            error = exc.reason
        except TimeoutError:
            error = f"probe timed out after {self.timeouts.probe_s:g} s"
        logger.info("LLM breaker probe: %s", error or "ok")
        self.breaker.probe_result(not error, error)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _AttemptFailed) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


async def generate_answer(
    client: LLMClient,
    prompts: PromptSet,
    question: str,
    lang: Lang,
    chunks: list[Chunk],
    tokenizer: BilingualTokenizer,
    *,
    max_context_chars: int = DEFAULT_MAX_CONTEXT_CHARS,
    max_passages: int | None = None,
    max_tokens: int | None = None,
    idf: Callable[[str], float] | None = None,
    encode=None,
    decline_ok: bool = False,
    on_text: OnText | None = None,
) -> GeneratedAnswer:
    """Render the prompt, ask the LLM, check the answer; when the checks want it, ask once more with a
    correction (within the same budget) and check that. ``decline_ok``: the retrieval evidence was weak,
    so a "not covered" from the model is taken as it is. ``on_text`` sees each call's text as it streams
    (the display must say it is unchecked). The returned ``verdict`` is ``show``,
    ``decline`` or ``fallback``. Raises ``LLMUnavailable`` when the first call gets no answer."""
    prompt = prompts.render(question, lang, chunks, max_context_chars=max_context_chars, max_passages=max_passages)
    deadline = time.monotonic() + client.budget_s

    async def ask(messages: list[dict[str, str]]) -> tuple[LLMResult, str, AnswerCheck]:
        result = await client.complete(messages, max_tokens=max_tokens, deadline=deadline, on_text=on_text)
        text, check = await asyncio.to_thread(check_answer, result.text, lang, prompt.context_chunks, tokenizer,
                                             result.finish_reason, idf=idf, encode=encode, question=question)
        return result, text, check

    first, text, check = await ask(prompt.messages)
    results, judged = [first], verdict(check, lang)
    if judged.action == "retry" and judged.reason == "LLM_DECLINED" and decline_ok:
        judged = Verdict("decline", judged.reason)
    elif judged.action == "retry":
        reason = judged.reason
        if deadline - time.monotonic() < client.timeouts.stall_s:
            check.error = f"no time left in the {client.budget_s:g} s budget to ask again"
            judged = Verdict("fallback", reason)
        else:
            correction = [{"role": "assistant", "content": first.text},
                          {"role": "user", "content": prompts.correction(reason, lang)}]
            try:
                second, text, check = await ask(prompt.messages + correction)
                results.append(second)
                again = verdict(check, lang)
                judged = Verdict("show") if again.action == "show" else Verdict("fallback", again.reason)
            except LLMUnavailable as exc:
                check.error = exc.reason
                judged = Verdict("fallback", reason)
            check.retried = reason
    if judged.action == "fallback":
        check.fallback = judged.reason
    check.attempts = sum(r.attempts for r in results)
    check.llm_ms = round(sum(r.latency_ms for r in results), 1)
    check.first_token_ms = None if first.first_token_ms is None else round(first.first_token_ms, 1)
    check.breaker = client.breaker.describe()
    total = LLMResult(text=results[-1].text, tokens_in=sum(r.tokens_in for r in results),
                      tokens_out=sum(r.tokens_out for r in results), cost_usd=sum(r.cost_usd for r in results),
                      finish_reason=results[-1].finish_reason, attempts=check.attempts, latency_ms=check.llm_ms,
                      first_token_ms=first.first_token_ms)
    return GeneratedAnswer(text=text, check=check, result=total, context_ids=prompt.context_ids,
                           left_out_ids=prompt.left_out_ids, verdict=judged)


def estimate_tokens(text: str) -> int:
    """Rough token count when the server reports no usage: a CJK character each, else 4 chars a token."""
    cjk = len(CJK_WIDE.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


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
        raise _AttemptFailed("malformed response: a stream event is not JSON", retryable=True) from None
    if not isinstance(event, dict) or "error" in event:
        raise _AttemptFailed("malformed response: the stream reported an error", retryable=True)
    usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "", None, usage  # the closing usage-only event
    delta = choices[0].get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    return text if isinstance(text, str) else "", choices[0].get("finish_reason"), usage


def _parse_completion(raw: bytes) -> _Completion:
    try:
        body = json.loads(raw)
    except ValueError:
        raise _AttemptFailed("malformed response: body is not JSON", retryable=True) from None
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _AttemptFailed("malformed response: no choices", retryable=True)
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise _AttemptFailed("malformed response: empty message content", retryable=True)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return _Completion(content.strip(), choices[0].get("finish_reason"), usage, None)


def _usage_int(usage: dict, key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and value > 0 else None


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


def _is_retryable(state: RetryCallState) -> bool:
    exc = state.outcome.exception() if state.outcome else None
    return isinstance(exc, _AttemptFailed) and exc.retryable


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    logger.warning("LLM attempt %d failed (%s); retrying in %.2f s", state.attempt_number, exc, state.upcoming_sleep)
