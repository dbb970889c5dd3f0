"""The answer cache with real Redis servers: hits, keys that follow the index, and a Redis that
disappears, comes back, or is flushed while the bot runs. Never Redis db 0."""

from __future__ import annotations

import asyncio
import shutil

import numpy as np
import pytest
import redis

from bot.bootstrap import build_services
from ingestion.job import run_ingest
from bot.domain import Asker
from tests.conftest import ATLAS, TEST_REDIS_URL, make_settings
from tests.pipeline import PrivateRedis, free_port, wait_until

pytestmark = pytest.mark.integration

ASKER = Asker(platform="telegram", user_id="42", space_id="chat-1", channel_id="chat-1")
QUESTION = "What is LoRA and why is it cheaper than full fine-tuning?"


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self.inner.encode(texts)


@pytest.fixture
def test_db() -> redis.Redis:
    """Redis db 14 of the shared server, empty before and after the test."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert client.connection_pool.connection_kwargs.get("db", 0) != 0, "tests must never use Redis db 0"
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


async def started(settings, embedder):
    pipeline = build_services(settings, embedder=embedder)
    await pipeline.start()
    return pipeline


async def test_a_repeated_question_is_a_cache_hit_whatever_its_case_and_spacing(atlas_data_dir, use_embedder, test_db):
    pipeline = await started(make_settings(atlas_data_dir, redis_url=TEST_REDIS_URL), use_embedder)
    try:
        first = await pipeline.asking.ask(QUESTION, ASKER)
        again = await pipeline.asking.ask("  what is LORA and why is it   cheaper than full fine-tuning?  ", ASKER)
    finally:
        await pipeline.close()
    assert first.trace.cache == "miss" and first.trace.cache_backend == "redis"
    assert again.trace.cache == "hit"
    assert again.text == first.text and again.citations == first.citations
    assert again.trace.trace_id != first.trace.trace_id
    assert len(test_db.keys("atlas:answer:v1:*")) == 1


async def test_a_second_miss_reuses_the_cached_query_embedding(atlas_data_dir, use_embedder, test_db):
    embedder = CountingEmbedder(use_embedder)
    pipeline = await started(make_settings(atlas_data_dir, redis_url=TEST_REDIS_URL), embedder)
    try:
        first = await pipeline.asking.ask(QUESTION, ASKER)
        assert test_db.keys("atlas:qvec:v1:*")
        for key in test_db.keys("atlas:answer:v1:*"):
            test_db.delete(key)
        second = await pipeline.asking.ask(QUESTION, ASKER)
    finally:
        await pipeline.close()
    assert second.trace.cache == "miss"
    assert embedder.encoded == 1
    assert [c.chunk_id for c in second.citations] == [c.chunk_id for c in first.citations]


async def test_a_reindex_changes_the_cache_key_and_never_serves_the_stale_answer(tmp_path, use_embedder, test_db):
    source = tmp_path / "atlas"
    for name in ("05_rag_principles", "06_hallucination"):
        for suffix in ("", "_zh"):
            (source / "docs" / "deep_dives").mkdir(parents=True, exist_ok=True)
            shutil.copy(ATLAS / "docs" / "deep_dives" / f"{name}{suffix}.md", source / "docs" / "deep_dives")
    settings = make_settings(tmp_path / "var", source_dir=source, redis_url=TEST_REDIS_URL)
    first_build = run_ingest(settings, progress=False, embedder=use_embedder)
    question = "How does the Quillwort check stop hallucination?"

    pipeline = await started(settings, use_embedder)
    try:
        before = await pipeline.asking.ask(question, ASKER)
        assert (await pipeline.asking.ask(question, ASKER)).trace.cache == "hit"
        doc = source / "docs" / "deep_dives" / "06_hallucination.md"
        doc.write_text(doc.read_text() + "\n\n## The Quillwort Check\n\nThe Quillwort check stops hallucination: "
                       "every generated sentence must quote a retrieved passage, or the Quillwort check rejects it.\n")
        second_build = await asyncio.to_thread(run_ingest, settings, progress=False, embedder=use_embedder)
        after = await pipeline.asking.ask(question, ASKER)
    finally:
        await pipeline.close()
    assert second_build.index_id != first_build.index_id
    assert before.trace.index_id == first_build.index_id
    assert after.trace.cache == "miss"
    assert after.trace.index_id == second_build.index_id
    assert "Quillwort" in after.text and after.text != before.text
    assert any(c.section == "The Quillwort Check" for c in after.citations)


async def test_redis_going_down_mid_run_caches_in_process_then_redis_resumes(atlas_data_dir, use_embedder,
                                                                             private_redis):
    settings = make_settings(atlas_data_dir, redis_url=private_redis.url, redis_retry_s=0.05)
    pipeline = await started(settings, use_embedder)
    try:
        assert (await pipeline.asking.ask(QUESTION, ASKER)).trace.cache == "miss"
        assert (await pipeline.asking.ask(QUESTION, ASKER)).trace.cache == "hit"

        private_redis.stop()
        down = await pipeline.asking.ask(QUESTION, ASKER)  # Redis's copy is out of reach
        assert down.trace.cache.startswith("unavailable") and down.trace.cache_backend == "lru"
        assert "CACHE_UNAVAILABLE" in [d.code for d in down.trace.diagnostics]
        assert down.citations and not down.refused and down.trace.answer_mode == "extractive"
        again = await pipeline.asking.ask(QUESTION, ASKER)
        assert again.trace.cache == "hit" and again.text == down.text  # cached in process meanwhile
        assert (await pipeline.asking.ask("幻觉怎么解决", ASKER)).citations  # still answering, in Chinese too

        private_redis.start()  # same port, empty
        await wait_until(lambda: pipeline.store.status == "ok", what="the store reconnecting")
        other = "How do I choose a chunk size?"
        back = await pipeline.asking.ask(other, ASKER)
        repeat = await pipeline.asking.ask(other, ASKER)
    finally:
        await pipeline.close()
    assert (back.trace.cache, back.trace.cache_backend, back.trace.store) == ("miss", "redis", "redis ok")
    assert repeat.trace.cache == "hit"
    assert private_redis.client().keys("atlas:answer:v1:*")


async def test_a_flushed_redis_means_one_miss_then_hits_again(atlas_data_dir, use_embedder, private_redis):
    pipeline = await started(make_settings(atlas_data_dir, redis_url=private_redis.url), use_embedder)
    try:
        caches = [(await pipeline.asking.ask(QUESTION, ASKER)).trace.cache for _ in range(2)]
        private_redis.client().flushdb()
        caches += [(await pipeline.asking.ask(QUESTION, ASKER)).trace.cache for _ in range(2)]
    finally:
        await pipeline.close()
    assert caches == ["miss", "hit", "miss", "hit"]


@pytest.mark.parametrize("redis_url", [None, "unreachable"])
async def test_without_a_reachable_redis_the_in_process_cache_is_used(atlas_data_dir, use_embedder, redis_url):
    url = f"redis://127.0.0.1:{free_port()}/0" if redis_url == "unreachable" else None
    pipeline = await started(make_settings(atlas_data_dir, redis_url=url, redis_timeout_s=0.2), use_embedder)
    try:
        first = await pipeline.asking.ask(QUESTION, ASKER)
        again = await pipeline.asking.ask(QUESTION, ASKER)
        last = await pipeline.traces.last(ASKER)
    finally:
        await pipeline.close()
    assert first.trace.cache_backend == again.trace.cache_backend == "lru"
    assert first.trace.cache == ("miss" if redis_url is None else "unavailable: ConnectionError")
    assert again.trace.cache == "hit"
    assert last.trace_id == again.trace.trace_id
