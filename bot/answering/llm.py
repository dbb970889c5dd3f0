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
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, wait_exponential, wait_random

from bot.answering.breaker import CircuitBreaker
from bot.answering.chat_stream import AttemptFailed, ChatStream, OnText, Timeouts
from bot.answering.checks import Verdict, check_answer, verdict
from bot.answering.completeness import missing_items
from bot.answering.prompts import DEFAULT_MAX_CONTEXT_CHARS, PromptSet
from bot.domain import AnswerCheck, Chunk, Lang
from bot.text.script import CJK_WIDE
from bot.text.tokenizer import BilingualTokenizer
from bot.settings import Settings

logger = logging.getLogger(__name__)


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


class LLMClient:
    """Streams chat completions (``bot.answering.chat_stream``) so that a model producing tokens is never
    cut off and a stuck one is noticed after one short timeout; retries within the budget; stops asking
    while its circuit breaker is open, and probes the server to close it again."""

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
        self._stream = ChatStream(base_url=base_url, model=model, api_key=api_key, timeouts=timeouts,
                                  temperature=temperature)

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
        await self._stream.aclose()

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
                    done = await self._stream.attempt(messages, max_tokens or self.max_tokens, deadline, on_text)
        except AttemptFailed as exc:
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

    async def _run_probe(self) -> None:
        """The breaker's probe: one token for a one-word prompt, within ``timeouts.probe_s``."""
        error = ""
        try:
            async with asyncio.timeout(self.timeouts.probe_s):
                await self._stream.attempt([{"role": "user", "content": "ping"}], 1, time.monotonic() + self.timeouts.probe_s)
        except AttemptFailed as exc:
            error = exc.reason
        except TimeoutError:
            error = f"probe timed out after {self.timeouts.probe_s:g} s"
        logger.info("LLM breaker probe: %s", error or "ok")
        self.breaker.probe_result(not error, error)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, AttemptFailed) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

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
        if prompt.context_chunks and not check.declined:
            check.missing_items = missing_items(text, prompt.context_chunks[0].text, question,
                                               tokenizer.content_terms)
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
            fix = prompts.correction(reason, lang)
            if reason == "INCOMPLETE":  # name what is missing: a small model follows a list better than a hint
                fix += " " + ("；".join(check.missing_items) if lang == "zh" else "; ".join(check.missing_items))
            correction = [{"role": "assistant", "content": first.text}, {"role": "user", "content": fix}]
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
    return GeneratedAnswer(text=text, check=check, result=_account(check, results, client),
                           context_ids=prompt.context_ids, left_out_ids=prompt.left_out_ids, verdict=judged)


def _account(check: AnswerCheck, results: list[LLMResult], client: LLMClient) -> LLMResult:
    """Every call of one question together: counted in ``check`` and summed in one result (whose text is
    the last call's)."""
    first = results[0]
    check.attempts = sum(r.attempts for r in results)
    check.llm_ms = round(sum(r.latency_ms for r in results), 1)
    check.first_token_ms = None if first.first_token_ms is None else round(first.first_token_ms, 1)
    check.breaker = client.breaker.describe()
    return LLMResult(text=results[-1].text, tokens_in=sum(r.tokens_in for r in results),
                     tokens_out=sum(r.tokens_out for r in results), cost_usd=sum(r.cost_usd for r in results),
                     finish_reason=results[-1].finish_reason, attempts=check.attempts, latency_ms=check.llm_ms,
                     first_token_ms=first.first_token_ms)


def estimate_tokens(text: str) -> int:
    """Rough token count when the server reports no usage: a CJK character each, else 4 chars a token."""
    cjk = len(CJK_WIDE.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def _usage_int(usage: dict, key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and value > 0 else None


def _is_retryable(state: RetryCallState) -> bool:
    exc = state.outcome.exception() if state.outcome else None
    return isinstance(exc, AttemptFailed) and exc.retryable


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    logger.warning("LLM attempt %d failed (%s); retrying in %.2f s", state.attempt_number, exc, state.upcoming_sleep)
