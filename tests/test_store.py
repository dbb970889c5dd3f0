"""The store behind the cache, traces and limits: an LRU when there is no Redis, and a Redis that may
fail at any moment without the bot noticing more than a miss."""

from __future__ import annotations

import pytest

import bot.store
from bot.store import Store
from tests.pipeline import PrivateRedis, free_port


class FakeClock:
    """Stands in for the ``time`` module inside ``bot.store`` so TTLs and retry windows need no sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(bot.store, "time", fake)
    return fake


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.mark.unit
async def test_lru_values_expire_after_their_ttl(clock):
    store = Store(None)
    await store.set("answer", "cached", ttl=60)
    await store.set("forever", "kept")
    clock.now += 59
    assert await store.get("answer") == b"cached"
    clock.now += 2
    assert await store.get("answer") is None
    assert await store.get("forever") == b"kept"


@pytest.mark.unit
async def test_lru_evicts_the_least_recently_used_key():
    store = Store(None, lru_size=3)
    for key in ("a", "b", "c"):
        await store.set(key, key)
    assert await store.get("a") == b"a"  # "a" is now the most recent; "b" the least
    await store.set("d", "d")
    assert await store.get("b") is None
    assert [await store.get(k) for k in ("a", "c", "d")] == [b"a", b"c", b"d"]
    assert store.backend == "lru"


@pytest.mark.unit
async def test_lru_counters_lists_and_binary_values():
    store = Store(None)
    assert [await store.incr("n", 60) for _ in range(3)] == [1, 2, 3]
    for vote in ("up", "down", "up"):
        await store.push("votes", vote, max_len=2)
    assert await store.items("votes") == [b"up", b"down"]
    await store.set("vec", b"\x00\x01\xff")
    assert await store.get("vec") == b"\x00\x01\xff"


@pytest.mark.unit
async def test_an_lru_counter_expires_ttl_after_its_first_increment(clock):
    store = Store(None)
    assert await store.incr("rate", 60) == 1
    clock.now += 30
    assert await store.incr("rate", 60) == 2
    clock.now += 31  # 61 s after the first increment, however many came after it
    assert await store.incr("rate", 60) == 1


@pytest.mark.integration
async def test_unreachable_redis_at_start_falls_back_to_the_lru():
    store = Store(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    await store.connect()
    assert store.backend == "lru"
    await store.set("k", "v", ttl=60)
    assert await store.get("k") == b"v"
    assert store.status == "ok"
    await store.aclose()


@pytest.mark.integration
async def test_redis_failing_mid_run_reports_unavailable_then_recovers(private_redis):
    store = Store(private_redis.url, timeout_s=0.2, retry_after_s=0.0)
    await store.connect()
    assert store.backend == "redis"
    await store.set("k", "v", ttl=60)
    assert await store.get("k") == b"v"

    private_redis.stop()
    assert await store.get("k") is None
    assert store.status.startswith("unavailable: ")
    assert await store.incr("n", 60) is None
    await store.push("votes", "up", 10)  # a no-op, not an error
    assert await store.items("votes") == []

    private_redis.start()  # same port, empty: no persistence
    await store.set("k", "again", ttl=60)
    assert store.status == "ok"
    assert await store.get("k") == b"again"
    assert store.backend == "redis"
    await store.aclose()


@pytest.mark.integration
async def test_after_a_failure_redis_is_not_called_until_the_retry_window_passes(private_redis, clock):
    store = Store(private_redis.url, timeout_s=0.2, retry_after_s=5.0)
    await store.connect()
    private_redis.stop()
    await store.get("k")
    assert store.status.startswith("unavailable")
    private_redis.start()
    await store.set("k", "v")
    assert store.status.startswith("unavailable")  # still inside the window: skipped, not retried
    assert private_redis.client().get("k") is None
    clock.now += 5
    await store.set("k", "v")
    assert store.status == "ok"
    assert private_redis.client().get("k") == b"v"
    await store.aclose()
