"""The generative answer path: one OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server,
DeepSeek, OpenAI), retried within a latency budget, then checked.

Failure contract: ``LLMClient.complete`` returns an ``LLMResult`` or raises ``LLMUnavailable`` — never
anything else — so the pipeline can fall back to the extractive answer with one ``except``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, wait_exponential, wait_random

from bot.answering.checks import check_answer
from bot.answering.prompts import DEFAULT_MAX_CONTEXT_CHARS, PromptSet
from bot.domain import AnswerCheck, Chunk, Lang
from bot.text.script import CJK_WIDE
from bot.text.tokenizer import BilingualTokenizer
from bot.settings import Settings

logger = logging.getLogger(__name__)



class LLMUnavailable(Exception):
    """The LLM gave no usable answer; ``reason`` is safe to show in a trace (no secrets)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(f"{reason} (after {attempts} attempt{'s' if attempts != 1 else ''})")
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class LLMResult:
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    finish_reason: str | None
    attempts: int
    latency_ms: float


@dataclass(frozen=True)
class GeneratedAnswer:
    text: str  # with invalid citation markers removed
    check: AnswerCheck
    result: LLMResult
    context_ids: list[str]  # chunk behind marker [n] is context_ids[n - 1]
    left_out_ids: list[str] = field(default_factory=list)  # chunks the context budget had no room for


class _AttemptFailed(Exception):
    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class LLMClient:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr = SecretStr(""),
        timeout_s: float = 20.0,
        budget_s: float = 45.0,
        max_retries: int = 2,
        max_tokens: int = 600,
        temperature: float = 0.1,
        price_in_per_mtok: float = 0.0,
        price_out_per_mtok: float = 0.0,
        backoff_s: float = 0.5,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base URL must start with http:// or https://, got {base_url!r}")
        if not model:
            raise ValueError("LLM model name is empty")
        if timeout_s <= 0 or budget_s <= 0 or max_retries < 0 or max_tokens <= 0:
            raise ValueError("LLM timeout, budget and max_tokens must be positive; max_retries >= 0")
        self.model = model
        self.timeout_s = timeout_s
        self.budget_s = budget_s
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.price_in_per_mtok = price_in_per_mtok
        self.price_out_per_mtok = price_out_per_mtok
        self._backoff = wait_exponential(multiplier=backoff_s, max=backoff_s * 8) + wait_random(0, backoff_s)
        self._secret = api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        if not settings.llm_base_url:
            raise ValueError("no LLM configured: set ATLAS_LLM_BASE_URL")
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
            budget_s=settings.llm_budget_s,
            max_retries=settings.llm_max_retries,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            price_in_per_mtok=settings.price_in_per_mtok,
            price_out_per_mtok=settings.price_out_per_mtok,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, messages: list[dict[str, str]]) -> LLMResult:
        """One chat completion, retried on timeouts, connection errors, 429, 5xx and malformed
        replies while attempts and the latency budget last."""
        started = time.monotonic()
        attempts = 0
        retrying = AsyncRetrying(
            retry=_is_retryable,
            wait=self._wait,
            stop=self._should_stop,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    remaining = max(self.budget_s - (time.monotonic() - started), 0.01)
                    text, finish_reason, usage = await self._attempt(messages, min(self.timeout_s, remaining))
        except _AttemptFailed as exc:
            reason = exc.reason
            if exc.retryable and attempts <= self.max_retries:
                reason += f"; another try would overrun the {self.budget_s:g} s budget"
            logger.warning("LLM unavailable after %d attempt(s): %s", attempts, reason)
            raise LLMUnavailable(reason, attempts) from None

        tokens_in = _usage_int(usage, "prompt_tokens") or sum(estimate_tokens(m["content"]) for m in messages)
        tokens_out = _usage_int(usage, "completion_tokens") or estimate_tokens(text)
        cost = (tokens_in * self.price_in_per_mtok + tokens_out * self.price_out_per_mtok) / 1_000_000
        return LLMResult(
            text=text,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            finish_reason=finish_reason,
            attempts=attempts,
            latency_ms=(time.monotonic() - started) * 1000,
        )

    async def _attempt(self, messages: list[dict[str, str]], timeout: float) -> tuple[str, str | None, dict]:
        payload = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": False,
        }
        try:
            async with asyncio.timeout(timeout):
                response = await self._http.post("chat/completions", json=payload, timeout=timeout)
        except (TimeoutError, httpx.TimeoutException):
            raise _AttemptFailed(f"timed out after {timeout:.1f} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise _AttemptFailed(f"connection failed: {type(exc).__name__}", retryable=True) from None
        except httpx.RequestError as exc:
            raise _AttemptFailed(f"request failed: {type(exc).__name__}", retryable=True) from None

        status = response.status_code
        if status in (401, 403):
            raise _AttemptFailed(f"LLM rejected the API key (HTTP {status})", retryable=False)
        if status == 429:
            retry_after = _retry_after_s(response.headers.get("Retry-After"))
            hint = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
            raise _AttemptFailed(f"rate limited (HTTP 429{hint})", retryable=True, retry_after=retry_after)
        if status >= 500:
            raise _AttemptFailed(f"server error (HTTP {status})", retryable=True)
        if status >= 400:
            detail = self._redact(response.text[:200])
            raise _AttemptFailed(f"LLM rejected the request (HTTP {status}): {detail}", retryable=False)
        if status >= 300:
            raise _AttemptFailed(f"unexpected HTTP {status}: check the LLM base URL", retryable=False)
        return _parse_completion(response)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _AttemptFailed) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

    def _should_stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.max_retries:
            return True
        return (state.seconds_since_start or 0.0) + state.upcoming_sleep >= self.budget_s

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


async def generate_answer(
    client: LLMClient,
    prompts: PromptSet,
    question: str,
    lang: Lang,
    chunks: list[Chunk],
    tokenizer: BilingualTokenizer,
    max_context_chars: int = DEFAULT_MAX_CONTEXT_CHARS,
) -> GeneratedAnswer:
    """Render the prompt, ask the LLM, check the answer. Raises ``LLMUnavailable`` on failure."""
    prompt = prompts.render(question, lang, chunks, max_context_chars=max_context_chars)
    result = await client.complete(prompt.messages)
    text, check = await asyncio.to_thread(check_answer, result.text, lang, prompt.context_chunks, tokenizer,
                                         result.finish_reason)
    check.attempts = result.attempts
    return GeneratedAnswer(
        text=text, check=check, result=result, context_ids=prompt.context_ids, left_out_ids=prompt.left_out_ids
    )


def estimate_tokens(text: str) -> int:
    """Rough token count when the server reports no usage: a CJK character each, else 4 chars a token."""
    cjk = len(CJK_WIDE.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def _parse_completion(response: httpx.Response) -> tuple[str, str | None, dict]:
    try:
        body = response.json()
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
    return content.strip(), choices[0].get("finish_reason"), usage


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
