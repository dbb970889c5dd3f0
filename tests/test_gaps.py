"""Coverage gaps: kept in the Store (real Redis and the in-process fallback), bounded, grouped and
rendered as "what the Atlas should add next"."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from bot.domain import Answer, Asker, Candidate, Citation, LanguageDecision, Trace
from bot.services.gaps import GAPS_KEY, GapRecorder, group_gaps, render_gaps_report
from bot.store import Store, StoreUnavailable
from tests.conftest import TEST_REDIS_URL_2
from tests.ingestion import shared_tokenizer
from tests.pipeline import free_port

TOKENIZER = shared_tokenizer()

REDIS_URL = TEST_REDIS_URL_2
RAG_DOC = "docs/deep_dives/05_rag_principles.md"
RAG_ZH = "docs/deep_dives/05_rag_principles_zh.md"


def trace(question: str, lang: str = "en", docs: tuple[str, ...] = (RAG_DOC,), tid: str = "t1") -> Trace:
    candidates = [Candidate(chunk_id=f"c{i}", doc=doc, section=f"Section {i}", lang=lang, fused_score=1 - i / 10,
                            fused_rank=i + 1) for i, doc in enumerate(docs)][::-1]
    return Trace(trace_id=tid, question=question, created_at=0.0, language=LanguageDecision(lang=lang, reason="t"),
                 candidates=candidates)


def refused(question: str, lang: str = "en") -> Answer:
    cite = Citation(n=1, doc=RAG_DOC, title="RAG", section="The RAG Solution", heading="RAG › The RAG Solution",
                    url="https://example.org/rag#the-rag-solution", lang="en", chunk_id="c0")
    return Answer(text="The Atlas does not cover this.", lang=lang, refused=True, citations=[cite],
                  trace=trace(question, lang))


ALICE = Asker(platform="telegram", user_id="1", space_id="g", channel_id="g")
BOB = Asker(platform="discord", user_id="2", space_id="g", channel_id="g")


@pytest.fixture(params=["redis", "lru"])
async def recorder_factory(request):
    """Build recorders on a real Redis (the second test database, under a key prefix of this test's own)
    or on the in-process store."""
    if request.param == "lru":
        store = Store(None)
        yield lambda max_items=2000: GapRecorder(store, max_items)
        return
    prefix = f"test-{uuid.uuid4().hex}"
    store = Store(REDIS_URL, prefix=prefix)
    await store.connect()
    assert store.backend == "redis", "the test Redis on 127.0.0.1:6379 is not reachable"
    yield lambda max_items=2000: GapRecorder(store, max_items)
    client = aioredis.from_url(REDIS_URL)
    keys = await client.keys(f"{prefix}:*")
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await store.aclose()


async def test_a_refused_answer_is_kept_with_its_nearest_sections(recorder_factory):
    recorder = recorder_factory()
    await recorder.record(refused("How do I fine-tune on a TPU?"), "refused", ALICE)
    [entry] = await recorder.entries()
    assert entry["question"] == "How do I fine-tune on a TPU?" and entry["reason"] == "refused"
    assert entry["trace_id"] == "t1" and entry["lang"] == "en" and entry["ts"] > 0
    assert entry["nearest"][0] == {"doc": RAG_DOC, "section": "The RAG Solution",
                                   "url": "https://example.org/rag#the-rag-solution"}


async def test_a_downvoted_trace_takes_its_top_candidates(recorder_factory):
    recorder = recorder_factory()
    recorder.url_for = lambda doc, section: f"https://example.org/{doc}"
    docs = ("docs/a.md", "docs/b.md", "docs/a.md", "docs/c.md", "docs/d.md")
    await recorder.record(trace("向量数据库怎么选？", "zh", docs), "downvote", ALICE)
    [entry] = await recorder.entries()
    assert entry["lang"] == "zh" and entry["reason"] == "downvote"
    assert [(n["doc"], n["section"]) for n in entry["nearest"]] == [
        ("docs/a.md", "Section 0"), ("docs/b.md", "Section 1"), ("docs/a.md", "Section 2")]
    assert entry["nearest"][0]["url"] == "https://example.org/docs/a.md"


async def test_the_map_keeps_only_the_newest(recorder_factory):
    recorder = recorder_factory(max_items=3)
    for i in range(5):
        await recorder.record(trace(f"question {i}", tid=f"t{i}"), "downvote", ALICE)
    assert [e["question"] for e in await recorder.entries()] == ["question 4", "question 3", "question 2"]


async def test_one_entry_per_person_and_question_however_often_they_ask_or_vote(recorder_factory):
    recorder = recorder_factory()
    for _ in range(5):
        await recorder.record(trace("Is there a TPU chapter?"), "downvote", ALICE)
        await recorder.record(refused("is there a   TPU chapter?"), "refused", ALICE)  # folded like the cache
    await recorder.record(trace("Is there a TPU chapter?"), "downvote", BOB)
    entries = await recorder.entries()
    assert sorted(e["reason"] for e in entries) == ["downvote", "downvote", "refused"]
    assert "— 3 asked (2 👎, 1 refused)" in render_gaps_report(group_gaps(entries, TOKENIZER))


async def test_a_later_thumbs_up_withdraws_that_persons_thumbs_down(recorder_factory):
    recorder = recorder_factory()
    await recorder.record(trace("Is there a TPU chapter?"), "downvote", ALICE)
    await recorder.record(trace("Is there a TPU chapter?"), "downvote", BOB)
    await recorder.retract(trace("Is there a TPU chapter?", tid="another answer"), ALICE)
    assert len(await recorder.entries()) == 1


async def test_an_eval_run_records_no_gaps(recorder_factory):
    recorder = recorder_factory()
    assert await recorder.record(refused("Is there a TPU chapter?"), "refused", Asker(platform="eval")) is None
    assert await recorder.entries() == []


async def test_gaps_live_under_the_versioned_key():
    store = Store(None)
    await GapRecorder(store).record(refused("Is there a chapter on TPUs?"), "refused", ALICE)
    assert len(await store.fields("gaps:v2")) == 1


async def test_an_unreadable_entry_is_skipped():
    store = Store(None)
    recorder = GapRecorder(store)
    await recorder.record(refused("first"), "refused", ALICE)
    await store.put_field(GAPS_KEY, "junk", b"\xff not json")
    assert [e["question"] for e in await recorder.entries()] == ["first"]


async def test_while_redis_is_down_recording_waits_and_reading_says_so():
    store = Store(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    await store.connect()
    recorder = GapRecorder(store)
    await recorder.record(refused("anything"), "refused", ALICE)  # kept for when Redis returns
    with pytest.raises(StoreUnavailable):
        await recorder.entries()
    assert store.link.pending == 1
    await store.aclose()


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="max_items"):
        GapRecorder(Store(None), 0)


async def test_an_unknown_reason_is_rejected():
    with pytest.raises(ValueError, match="unknown gap reason"):
        await GapRecorder(Store(None)).record(refused("q"), "bored", ALICE)


def entry(question: str, lang: str, doc: str | None, section: str = "", ts: float = 1.0) -> dict:
    nearest = [{"doc": doc, "section": section, "url": f"https://example.org/{doc}"}] if doc else []
    return {"trace_id": "t", "question": question, "lang": lang, "reason": "refused", "nearest": nearest, "ts": ts}


GAPS = [
    entry("How do I deploy a RAG app on Kubernetes?", "en", RAG_DOC, "Deployment", ts=5),
    entry("RAG 应用怎么部署到 Kubernetes 上？", "zh", RAG_ZH, "部署", ts=4),
    entry("Kubernetes autoscaling for RAG?", "en", "docs/other.md", "Scaling", ts=3),
    entry("What is the best pizza topping?", "en", None, ts=2),
    entry("TPU 训练怎么做？", "zh", "docs/tpu_zh.md", "硬件", ts=1),
]


def test_questions_about_one_topic_group_across_languages():
    groups = group_gaps(GAPS, TOKENIZER)
    assert [g.count for g in groups] == [3, 1, 1]
    top = groups[0]
    assert "kubernetes" in top.terms and "rag" in top.terms
    assert top.examples("en") == ["How do I deploy a RAG app on Kubernetes?", "Kubernetes autoscaling for RAG?"]
    assert top.examples("zh") == ["RAG 应用怎么部署到 Kubernetes 上？"]


def test_questions_sharing_a_nearest_section_group_even_without_shared_words():
    groups = group_gaps([entry("Is there a TPU guide?", "en", "docs/hw.md", "Hardware"),
                         entry("硬件选型有推荐吗？", "zh", "docs/hw.md", "Hardware")], TOKENIZER)
    assert [g.count for g in groups] == [2]


def test_report_names_groups_examples_and_nearest_sections():
    report = render_gaps_report(group_gaps(GAPS, TOKENIZER))
    assert report.startswith("# Coverage gaps — what the Atlas should add next")
    assert "5 question(s) in 3 group(s)." in report
    assert "## 1. " in report and "— 3 asked (3 refused)" in report
    assert "- English: “How do I deploy a RAG app on Kubernetes?” · “Kubernetes autoscaling for RAG?”" in report
    assert "- 中文: “RAG 应用怎么部署到 Kubernetes 上？”" in report
    assert f"  - [{RAG_DOC} › Deployment](https://example.org/{RAG_DOC})" in report
    assert "- Nearest existing sections: none — a new page" in report


def test_an_empty_report_says_so():
    assert "No coverage gaps recorded yet." in render_gaps_report([])
