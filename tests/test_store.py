"""The store behind the cache, traces, votes and gaps: an in-process LRU and maps when there is no
Redis; with a real Redis (a private ``redis-server`` the test starts, stops and pauses), what each
kind of data does while Redis is away and when it returns (rules in ``bot.store``)."""

from __future__ import annotations

import logging

import pytest

import bot.store.link
import bot.store.memory
from bot.store import Store, StoreUnavailable
from tests.pipeline import PrivateRedis, free_port, wait_until


class FakeClock:
    """Stands in for the ``time`` module inside ``bot.store.memory`` so TTLs need no sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(bot.store.memory, "time", fake)
    return fake


@pytest.fixture
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.stop()


async def redis_store(server: PrivateRedis, **options) -> Store:
    store = Store(server.url, timeout_s=0.2, retry_after_s=0.05, **options)
    await store.connect()
    return store


def back_up(store: Store):
    return lambda: store.status == "ok"


# --- without Redis ------------------------------------------------------------------------------

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
async def test_an_lru_counter_expires_ttl_after_its_first_increment(clock):
    store = Store(None)
    assert await store.incr("rate", 60) == 1
    clock.now += 30
    assert await store.incr("rate", 60) == 2
    clock.now += 31  # 61 s after the first increment, however many came after it
    assert await store.incr("rate", 60) == 1


@pytest.mark.unit
async def test_in_process_maps_keep_the_newest_write_and_survive_cache_churn():
    store = Store(None, lru_size=2)
    await store.put_field("votes", "alice", "down")
    await store.put_field("votes", "alice", "up")  # the latest vote counts
    await store.put_field("votes", "bob", b"\xff")
    for i in range(10):  # cache traffic never evicts user data
        await store.set(f"answer:{i}", "x")
    assert await store.fields("votes") == {"alice": b"up", "bob": b"\xff"}
    await store.drop_field("votes", "bob")
    assert await store.fields("votes") == {"alice": b"up"}
    assert await store.fields("nothing") == {}


@pytest.mark.unit
async def test_a_bounded_map_keeps_its_most_recently_written_fields():
    store = Store(None)
    for name in ("a", "b", "c"):
        await store.put_field("gaps", name, name, max_len=2)
    await store.put_field("gaps", "b", "b again", max_len=2)  # rewriting makes "b" the newest
    await store.put_field("gaps", "d", "d", max_len=2)
    assert await store.fields("gaps") == {"b": b"b again", "d": b"d"}


@pytest.mark.unit
async def test_the_durable_store_without_redis_keeps_everything_for_the_process():
    store = Store(None, lru_size=2)
    for i in range(10):
        await store.durable.set(f"member:{i}", f"progress {i}")
    await store.durable.put_field("deck:alice", "card-1", "due tomorrow")
    assert [await store.durable.get(f"member:{i}") for i in range(10)] == [f"progress {i}".encode() for i in range(10)]
    await store.durable.delete("member:0")
    await store.durable.drop_field("deck:alice", "card-1")
    assert await store.durable.get("member:0") is None and await store.durable.fields("deck:alice") == {}
    assert "no Redis configured" in store.describe()


# --- with Redis -------------------------------------------------------------------------------

@pytest.mark.integration
async def test_every_key_carries_the_deployments_prefix(private_redis):
    first, second = await redis_store(private_redis, prefix="study-a"), await redis_store(private_redis, prefix="study-b")
    await first.set("answer:1", "from a", ttl=60)
    await first.put_field("gaps:v2", "q", "a's gap", max_len=10)
    await first.durable.set("member:alice", "a's progress")
    assert sorted(k.decode() for k in private_redis.client().keys("*")) == [
        "study-a:answer:1", "study-a:gaps:v2", "study-a:gaps:v2:order", "study-a:member:alice"]
    assert await second.get("answer:1") is None and await second.fields("gaps:v2") == {}
    await first.aclose()
    await second.aclose()


@pytest.mark.integration
async def test_while_redis_is_down_cache_and_counters_live_in_process_then_redis_resumes(private_redis):
    store = await redis_store(private_redis)
    await store.set("k", "before", ttl=60)
    assert await store.get("k") == b"before" and store.backend == "redis"

    private_redis.stop()
    assert await store.get("k") is None  # Redis's copy is out of reach; a miss, not an error
    assert store.status.startswith("unavailable: ") and store.backend == "lru"
    assert "redis unavailable for" in store.describe()
    await store.set("k", "during", ttl=60)
    assert await store.get("k") == b"during"
    assert [await store.incr("n", 60) for _ in range(3)] == [1, 2, 3]  # limits still count

    private_redis.start()  # same port, empty: no persistence
    await wait_until(back_up(store), what="the store reconnecting")
    assert store.backend == "redis" and store.describe() == "redis ok"
    await store.set("k", "after", ttl=60)
    assert private_redis.client().get("atlas:k") == b"after"
    assert await store.incr("n", 60) == 1  # counting in Redis again
    await store.aclose()


@pytest.mark.integration
async def test_user_data_written_while_redis_is_down_is_saved_when_it_returns_in_order(private_redis):
    store = await redis_store(private_redis)
    private_redis.stop()
    await store.get("probe")  # the store notices
    await store.put_field("feedback:v2:t1", "telegram:42", "down")
    await store.put_field("feedback:v2:t1", "telegram:42", "up")  # the latest vote counts
    await store.put_field("gaps:v2", "refused:q1", "first", max_len=10)
    await store.drop_field("gaps:v2", "refused:q1")
    await store.put_field("gaps:v2", "refused:q2", "second", max_len=10)
    assert "5 write(s) kept in process" in store.describe()
    with pytest.raises(StoreUnavailable):
        await store.fields("gaps:v2")  # never a partial answer

    private_redis.start()
    await wait_until(back_up(store), what="the store reconnecting")
    raw = private_redis.client()
    assert raw.hgetall("atlas:feedback:v2:t1") == {b"telegram:42": b"up"}
    assert raw.hgetall("atlas:gaps:v2") == {b"refused:q2": b"second"}
    assert await store.fields("gaps:v2") == {"refused:q2": b"second"}
    await store.aclose()


@pytest.mark.integration
async def test_a_hung_redis_costs_one_timeout_then_writes_wait_and_land_once(private_redis):
    store = await redis_store(private_redis)
    private_redis.pause()
    try:
        await store.put_field("gaps:v2", "downvote:alice:q", "entry", max_len=3)  # times out once: journaled
        assert store.status == "unavailable: TimeoutError"
        for i in range(20):  # no further timeouts: the store knows Redis is away
            await store.put_field("gaps:v2", f"downvote:user{i}:q", "entry", max_len=3)
            await store.set(f"answer:{i}", "cached")
        assert await store.get("answer:19") == b"cached"
    finally:
        private_redis.resume()
    await wait_until(back_up(store), what="the store reconnecting")
    fields = private_redis.client().hgetall("atlas:gaps:v2")
    assert set(fields) == {b"downvote:user17:q", b"downvote:user18:q", b"downvote:user19:q"}
    assert private_redis.client().zcard("atlas:gaps:v2:order") == 3
    await store.aclose()


@pytest.mark.integration
async def test_a_trace_mirrored_in_process_is_readable_through_an_outage_and_written_back(private_redis):
    store = await redis_store(private_redis)
    await store.set("trace:before", "kept before", ttl=60, mirror=True)
    private_redis.stop()
    await store.set("trace:during", "kept during", ttl=60, mirror=True)
    assert await store.get("trace:before") == b"kept before"
    assert await store.get("trace:during") == b"kept during"

    private_redis.start()  # empty
    await wait_until(back_up(store), what="the store reconnecting")
    assert private_redis.client().get("atlas:trace:during") == b"kept during"
    assert await store.get("trace:before") == b"kept before"  # Redis lost it; this process did not
    await store.aclose()


@pytest.mark.integration
async def test_a_mirrored_map_is_readable_through_an_outage_bounded_and_expiring(private_redis, clock):
    """Conversation turns: read from this process while Redis is away, journaled, and given a TTL in Redis."""
    store = await redis_store(private_redis)
    await store.put_field("convo:c1", "t1", "first", max_len=2, ttl=600, mirror=True)
    private_redis.stop()
    await store.put_field("convo:c1", "t2", "second", max_len=2, ttl=600, mirror=True)
    await store.put_field("convo:c1", "t3", "third", max_len=2, ttl=600, mirror=True)
    assert await store.fields("convo:c1", mirror=True) == {"t2": b"second", "t3": b"third"}
    with pytest.raises(StoreUnavailable):
        await store.fields("convo:c1")  # an unmirrored read still refuses a partial answer

    private_redis.start()  # empty
    await wait_until(back_up(store), what="the store reconnecting")
    raw = private_redis.client()
    assert raw.hgetall("atlas:convo:c1") == {b"t2": b"second", b"t3": b"third"}
    assert 0 < raw.ttl("atlas:convo:c1") <= 600 and 0 < raw.ttl("atlas:convo:c1:order") <= 600
    clock.now += 601  # this process's copy expires like Redis's
    raw.delete("atlas:convo:c1")
    assert await store.fields("convo:c1", mirror=True) == {}
    await store.aclose()


@pytest.mark.integration
async def test_a_store_started_without_redis_connects_when_redis_comes_up():
    server = PrivateRedis(port=free_port())  # not started yet
    store = Store(server.url, timeout_s=0.2, retry_after_s=0.05)
    await store.connect()
    try:
        assert store.status.startswith("unavailable") and store.backend == "lru"
        await store.put_field("feedback:v2:t1", "discord:7", "up")
        server.start()
        await wait_until(back_up(store), what="the store connecting")
        assert store.backend == "redis"
        assert server.client().hgetall("atlas:feedback:v2:t1") == {b"discord:7": b"up"}
    finally:
        await store.aclose()
        server.stop()


@pytest.mark.integration
async def test_the_durable_store_refuses_while_redis_is_down_and_keeps_nothing_for_later(private_redis):
    store = await redis_store(private_redis)
    await store.durable.set("member:alice", "day 3")
    private_redis.stop()
    with pytest.raises(StoreUnavailable):
        await store.durable.set("member:alice", "day 4")
    with pytest.raises(StoreUnavailable):
        await store.durable.get("member:alice")
    with pytest.raises(StoreUnavailable):
        await store.durable.put_field("deck:alice", "card-1", "due")

    private_redis.start()  # empty: what was refused must not appear
    await wait_until(back_up(store), what="the store reconnecting")
    assert await store.durable.get("member:alice") is None and await store.durable.fields("deck:alice") == {}
    await store.durable.set("member:alice", "day 4")
    assert private_redis.client().get("atlas:member:alice") == b"day 4"
    await store.aclose()


@pytest.mark.integration
async def test_shutting_down_while_redis_is_down_says_how_many_user_writes_are_lost(private_redis, caplog):
    store = await redis_store(private_redis)
    private_redis.stop()
    await store.put_field("feedback:v2:t1", "telegram:1", "up")
    await store.put_field("feedback:v2:t1", "telegram:2", "down")
    await store.set("trace:t1", "a trace copy", mirror=True)  # not user data: not counted
    await store.aclose()
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "2 user write(s)" in error.getMessage()
    assert store.link.lost == 2


@pytest.mark.integration
async def test_a_full_journal_drops_trace_copies_before_user_data(private_redis, monkeypatch):
    monkeypatch.setattr(bot.store.link, "JOURNAL_MAX", 3)
    store = await redis_store(private_redis)
    private_redis.stop()
    await store.put_field("feedback:v2:t1", "telegram:1", "up")
    await store.set("trace:t1", "copy", mirror=True)
    await store.put_field("feedback:v2:t1", "telegram:2", "down")
    await store.put_field("feedback:v2:t1", "telegram:3", "up")  # the fourth write: the trace copy goes
    private_redis.start()
    await wait_until(back_up(store), what="the store reconnecting")
    assert len(private_redis.client().hgetall("atlas:feedback:v2:t1")) == 3
    assert private_redis.client().get("atlas:trace:t1") is None
    assert await store.get("trace:t1") == b"copy" and store.link.lost == 0
    await store.aclose()
