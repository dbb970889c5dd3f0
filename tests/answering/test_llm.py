"""The LLM client and the generative answer, over real HTTP against a scripted stand-in server."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest
from pydantic import SecretStr

from bot.answering.llm import LLMClient, LLMUnavailable, Timeouts, estimate_tokens, generate_answer
from bot.answering.breaker import CircuitBreaker
from bot.answering.checks import Verdict
from bot.answering.prompts import DEFAULT_PROMPTS_DIR, PromptSet
from bot.settings import Settings
from tests.answering import sample_chunks
from tests.llm_standin import LLMStandIn, Reply
from tests.ingestion import shared_tokenizer

pytestmark = pytest.mark.integration

API_KEY = "sk-test-5f1c9e2a7b"


@pytest.fixture
async def make_client(llm_standin: LLMStandIn):
    clients: list[LLMClient] = []

    def make(**overrides) -> LLMClient:
        params = dict(
            base_url=llm_standin.base_url,
            model="llm_standin-model",
            api_key=SecretStr(API_KEY),
            timeouts=Timeouts(first_token_s=2.0, stall_s=2.0, probe_s=1.0),
            budget_s=10.0,
            max_retries=2,
            backoff_s=0.01,
            price_in_per_mtok=0.27,
            price_out_per_mtok=1.10,
        )
        params.update(overrides)
        client = LLMClient(**params)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def prompts() -> PromptSet:
    return PromptSet.load(DEFAULT_PROMPTS_DIR, "v1")


async def test_a_good_answer_comes_back_with_tokens_and_cost(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok(
        "RAG retrieves relevant passages from an external knowledge base and pastes them into the prompt [1].",
        usage={"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
    ))
    answer = await generate_answer(make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer())

    assert answer.verdict.action == "show" and len(llm_standin.requests) == 1
    assert answer.text.endswith("into the prompt [1].")
    assert (answer.result.tokens_in, answer.result.tokens_out) == (1000, 200)
    assert answer.result.cost_usd == pytest.approx((1000 * 0.27 + 200 * 1.10) / 1e6)
    assert answer.result.attempts == 1 and answer.check.attempts == 1
    assert answer.check.markers_dropped == [] and answer.check.unmarked_sentences == []
    assert answer.check.answer_lang == "en" and not answer.check.truncated
    assert answer.context_ids == ["rag-1", "vdb-zh-1", "leak-1"]

    sent = llm_standin.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.body["model"] == "llm_standin-model"
    assert "[1] 05. Why is RAG so Effective? › The RAG Solution" in sent.body["messages"][1]["content"]


async def test_tokens_are_estimated_when_the_server_reports_no_usage(llm_standin, make_client) -> None:
    llm_standin.script(Reply.ok("检索增强生成先检索再回答"))
    result = await make_client().complete([{"role": "user", "content": "RAG 是什么？" * 10}])
    assert result.tokens_out == 12  # one token per CJK character
    assert result.tokens_in == estimate_tokens("RAG 是什么？" * 10) > 0
    assert result.cost_usd > 0


async def test_a_wrong_language_answer_is_asked_again_and_the_second_answer_is_shown(llm_standin, make_client,
                                                                                       prompts) -> None:
    llm_standin.script(Reply.ok("Vector databases find similar passages with HNSW indexes [2][7]."),
                       Reply.ok("向量数据库用 HNSW 等近似最近邻索引快速找到语义相似的段落 [2]。"))
    answer = await generate_answer(make_client(), prompts, "向量数据库怎么找到相似段落？", "zh", sample_chunks(),
                                   shared_tokenizer())
    assert answer.verdict.action == "show"
    assert answer.check.retried == "WRONG_LANGUAGE" and answer.check.answer_lang == "zh"
    assert answer.text == "向量数据库用 HNSW 等近似最近邻索引快速找到语义相似的段落[2]。"
    correction = llm_standin.requests[1].body["messages"]
    assert correction[-2] == {"role": "assistant", "content": "Vector databases find similar passages with HNSW indexes [2][7]."}
    assert "简体中文" in correction[-1]["content"]
    assert answer.check.attempts == 2


async def test_an_answer_citing_nothing_twice_falls_back(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("Most teams fine-tune their models every Friday afternoon."),
                       Reply.ok("They plan the fine-tuning runs in a shared spreadsheet."))
    answer = await generate_answer(make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer())
    assert answer.verdict == Verdict("fallback", "NO_CITATION")
    assert answer.check.retried == "NO_CITATION" and answer.check.fallback == "NO_CITATION"
    assert "passage" in llm_standin.requests[1].body["messages"][-1]["content"]


async def test_markers_are_checked_against_the_chunks_that_fit_the_budget(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves relevant passages from an external knowledge base [1][3]."))
    answer = await generate_answer(
        make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer(), max_context_chars=300
    )
    assert answer.context_ids == ["rag-1"]
    assert answer.left_out_ids == ["vdb-zh-1", "leak-1"]
    assert answer.check.markers_dropped == [3]
    assert answer.text.endswith("knowledge base [1].")


async def test_at_most_max_passages_are_offered(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves relevant passages from an external knowledge base [1]."))
    answer = await generate_answer(make_client(), prompts, "What does RAG do?", "en", sample_chunks(),
                                   shared_tokenizer(), max_passages=2)
    assert answer.context_ids == ["rag-1", "vdb-zh-1"] and answer.left_out_ids == ["leak-1"]
    assert "[3]" not in llm_standin.requests[0].body["messages"][1]["content"]


async def test_a_cut_off_answer_loses_its_unfinished_sentence(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves relevant passages from an external knowledge base [1]. It pastes "
                                "them into the", finish_reason="length"))
    answer = await generate_answer(make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer())
    assert answer.result.finish_reason == "length" and answer.check.truncated
    assert answer.text == "RAG retrieves relevant passages from an external knowledge base [1]."


async def test_a_timeout_then_success_answers_on_the_second_attempt(llm_standin, make_client) -> None:
    llm_standin.script(Reply.slow(5.0), Reply.ok("RAG retrieves passages [1]."))
    result = await make_client(timeouts=Timeouts(first_token_s=0.3, stall_s=0.3)).complete([{"role": "user", "content": "What does RAG do?"}])
    assert result.text == "RAG retrieves passages [1]."
    assert result.attempts == 2


async def test_retry_after_is_honoured(llm_standin, make_client) -> None:
    llm_standin.script(Reply.rate_limited(1), Reply.ok("RAG retrieves passages [1]."))
    result = await make_client().complete([{"role": "user", "content": "What does RAG do?"}])
    assert result.attempts == 2
    first, second = llm_standin.requests
    assert second.at - first.at >= 1.0


async def test_a_retry_after_past_the_budget_gives_up_at_once(llm_standin, make_client) -> None:
    llm_standin.script(Reply.rate_limited(30))
    with pytest.raises(LLMUnavailable) as failure:
        await make_client(budget_s=5.0).complete([{"role": "user", "content": "What does RAG do?"}])
    assert failure.value.attempts == 1
    assert "rate limited (HTTP 429, Retry-After 30 s)" in failure.value.reason
    assert "5 s budget" in failure.value.reason
    assert len(llm_standin.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [Reply.error(500), Reply.error(503), Reply.malformed(), Reply.no_choices(), Reply.empty_content()],
    ids=["500", "503", "not-json", "no-choices", "empty-content"],
)
async def test_server_errors_and_malformed_replies_are_retried(llm_standin, make_client, failure: Reply) -> None:
    llm_standin.script(failure, Reply.ok("RAG retrieves passages [1]."))
    result = await make_client().complete([{"role": "user", "content": "What does RAG do?"}])
    assert result.text == "RAG retrieves passages [1]."
    assert result.attempts == 2


async def test_persistent_failure_raises_one_domain_error_after_every_retry(llm_standin, make_client) -> None:
    llm_standin.default = Reply.error(503)
    with pytest.raises(LLMUnavailable) as failure:
        await make_client(max_retries=2).complete([{"role": "user", "content": "What does RAG do?"}])
    assert failure.value.attempts == 3
    assert failure.value.reason == "server error (HTTP 503)"
    assert len(llm_standin.requests) == 3


async def test_the_budget_caps_retries_before_max_retries(llm_standin, make_client) -> None:
    llm_standin.default = Reply.slow(5.0)
    with pytest.raises(LLMUnavailable) as failure:
        await make_client(timeouts=Timeouts(first_token_s=0.3, stall_s=0.3), budget_s=0.5, max_retries=10).complete(
            [{"role": "user", "content": "What does RAG do?"}]
        )
    assert 1 <= failure.value.attempts <= 2
    assert len(llm_standin.requests) == failure.value.attempts
    assert failure.value.reason.startswith("timed out: no first token within")


async def test_an_unreachable_server_is_reported_as_a_connection_failure(make_client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}/v1", max_retries=1)
    with pytest.raises(LLMUnavailable) as failure:
        await client.complete([{"role": "user", "content": "What does RAG do?"}])
    assert failure.value.attempts == 2
    assert failure.value.reason.startswith("connection failed")


async def test_a_rejected_key_fails_at_once_without_leaking_it(llm_standin, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    llm_standin.script(Reply.error(401, echo_auth=True))
    with pytest.raises(LLMUnavailable) as failure:
        await make_client(max_retries=5).complete([{"role": "user", "content": "What does RAG do?"}])
    assert failure.value.reason == "LLM rejected the API key (HTTP 401)"
    assert failure.value.attempts == 1
    assert len(llm_standin.requests) == 1
    assert API_KEY not in str(failure.value) and API_KEY not in repr(failure.value)
    assert caplog.records and API_KEY not in caplog.text


async def test_other_client_errors_are_not_retried_and_echoed_keys_are_redacted(llm_standin, make_client) -> None:
    llm_standin.script(Reply.error(400, echo_auth=True))
    with pytest.raises(LLMUnavailable) as failure:
        await make_client().complete([{"role": "user", "content": "What does RAG do?"}])
    assert failure.value.attempts == 1
    assert failure.value.reason.startswith("LLM rejected the request (HTTP 400)")
    assert "Bearer ***" in failure.value.reason and API_KEY not in failure.value.reason


def test_a_missing_base_url_or_model_is_a_clear_configuration_error() -> None:
    with pytest.raises(ValueError, match="ATLAS_LLM_BASE_URL"):
        LLMClient.from_settings(Settings(_env_file=None, llm_base_url=None))
    with pytest.raises(ValueError, match="model name is empty"):
        LLMClient.from_settings(Settings(_env_file=None, llm_base_url="http://127.0.0.1:11434/v1", llm_model=""))


# ---- streaming, per-phase timeouts, cancellation, the circuit breaker -------------------------------
async def test_a_slow_but_steady_stream_is_not_cut_off(llm_standin, make_client) -> None:
    """Seen with a 1.5B model on 2 cores: 20 s to read the prompt, then 20 tokens/s. Total time is
    longer than either phase timeout; no attempt is wasted."""
    words = " ".join(["token"] * 12)
    llm_standin.script(Reply.streamed(words, first_token_s=0.4, token_gap_s=0.1))
    result = await make_client(timeouts=Timeouts(first_token_s=0.6, stall_s=0.3), budget_s=5.0).complete(
        [{"role": "user", "content": "go"}])
    assert result.text == words and result.attempts == 1
    assert result.latency_ms > 1000  # longer than both phase timeouts together
    assert 350 <= result.first_token_ms < 1000


async def test_a_stalled_stream_is_given_up_after_the_stall_timeout_and_closed(llm_standin, make_client) -> None:
    llm_standin.script(Reply.stalled(after=3))
    client = make_client(timeouts=Timeouts(first_token_s=2.0, stall_s=0.3), budget_s=10.0, max_retries=0)
    with pytest.raises(LLMUnavailable) as failure:
        await client.complete([{"role": "user", "content": "go"}])
    assert failure.value.reason.startswith("timed out: stalled for 0.3 s")
    assert failure.value.elapsed_ms < 1500
    await _eventually(lambda: llm_standin.hung_up == 1)  # the server is told to stop generating


async def test_a_server_that_never_starts_answering_is_abandoned_and_the_retry_does_not_queue(
        llm_standin, make_client) -> None:
    llm_standin.script(Reply.hung(), Reply.streamed("RAG retrieves passages [1]."))
    result = await make_client(timeouts=Timeouts(first_token_s=0.3, stall_s=0.3)).complete(
        [{"role": "user", "content": "go"}])
    assert result.attempts == 2 and result.text == "RAG retrieves passages [1]."
    await _eventually(lambda: llm_standin.hung_up == 1)


async def test_garbage_in_the_stream_is_retried(llm_standin, make_client) -> None:
    llm_standin.script(Reply(text="half an answer then noise", garbage_event=True), Reply.streamed("A clean answer."))
    result = await make_client().complete([{"role": "user", "content": "go"}])
    assert result.text == "A clean answer." and result.attempts == 2


async def test_the_breaker_opens_after_repeated_failures_and_a_probe_closes_it(llm_standin, make_client) -> None:
    llm_standin.default = Reply.hung()
    client = make_client(timeouts=Timeouts(first_token_s=0.2, stall_s=0.2, probe_s=0.5), max_retries=0,
                         breaker=CircuitBreaker(failures=2, cooldown_s=0.5))
    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            await client.complete([{"role": "user", "content": "go"}])
    sent = len(llm_standin.requests)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as failure:
        await client.complete([{"role": "user", "content": "go"}])
    assert time.monotonic() - started < 0.05 and len(llm_standin.requests) == sent  # no call while open
    assert failure.value.attempts == 0 and failure.value.breaker.startswith("open after 2 failures")

    llm_standin.default = Reply.streamed("pong")
    await asyncio.sleep(0.6)
    with pytest.raises(LLMUnavailable):  # the cool-down is over: this question starts the probe, and goes on
        await client.complete([{"role": "user", "content": "go"}])
    await _eventually(lambda: client.breaker.state == "closed")
    probe = llm_standin.requests[-1].body
    assert probe["max_tokens"] == 1
    result = await client.complete([{"role": "user", "content": "go"}])
    assert result.text == "pong"


async def test_a_failed_probe_keeps_the_breaker_open(llm_standin, make_client) -> None:
    llm_standin.default = Reply.error(500)
    client = make_client(max_retries=0, breaker=CircuitBreaker(failures=1, cooldown_s=0.2))
    with pytest.raises(LLMUnavailable):
        await client.complete([{"role": "user", "content": "go"}])
    await asyncio.sleep(0.25)
    with pytest.raises(LLMUnavailable):
        await client.complete([{"role": "user", "content": "go"}])
    await _eventually(lambda: client.breaker.state == "open" and not client.breaker.probing)
    assert "HTTP 500" in client.breaker.describe()


async def _eventually(condition, timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
