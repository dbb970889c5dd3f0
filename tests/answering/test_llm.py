"""The LLM client and the generative answer, over real HTTP against a scripted stand-in server."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import SecretStr

from bot.answering.llm import LLMClient, LLMUnavailable, estimate_tokens, generate_answer
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
            timeout_s=2.0,
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


async def test_markers_pointing_nowhere_and_a_wrong_language_reach_the_check(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves passages from an external knowledge base [1][7]. Vector databases use HNSW."))
    answer = await generate_answer(make_client(), prompts, "RAG 是什么？", "zh", sample_chunks(), shared_tokenizer())
    assert "[7]" not in answer.text
    assert answer.check.markers_dropped == [7]
    assert answer.check.unmarked_sentences == ["Vector databases use HNSW."]
    assert answer.check.answer_lang == "en"


async def test_markers_are_checked_against_the_chunks_that_fit_the_budget(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves relevant passages from an external knowledge base [1][3]."))
    answer = await generate_answer(
        make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer(), max_context_chars=300
    )
    assert answer.context_ids == ["rag-1"]
    assert answer.left_out_ids == ["vdb-zh-1", "leak-1"]
    assert answer.check.markers_dropped == [3]


async def test_a_cut_off_answer_is_marked_truncated(llm_standin, make_client, prompts) -> None:
    llm_standin.script(Reply.ok("RAG retrieves relevant passages from an external", finish_reason="length"))
    answer = await generate_answer(make_client(), prompts, "What does RAG do?", "en", sample_chunks(), shared_tokenizer())
    assert answer.result.finish_reason == "length"
    assert answer.check.truncated


async def test_a_timeout_then_success_answers_on_the_second_attempt(llm_standin, make_client) -> None:
    llm_standin.script(Reply.slow(5.0), Reply.ok("RAG retrieves passages [1]."))
    result = await make_client(timeout_s=0.3).complete([{"role": "user", "content": "What does RAG do?"}])
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
        await make_client(timeout_s=0.3, budget_s=0.5, max_retries=10).complete(
            [{"role": "user", "content": "What does RAG do?"}]
        )
    assert 1 <= failure.value.attempts <= 2
    assert len(llm_standin.requests) == failure.value.attempts
    assert failure.value.reason.startswith("timed out after")


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
