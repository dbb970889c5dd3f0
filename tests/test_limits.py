"""Per-user rate limit and per-space daily budget, as a chat user meets them."""

from __future__ import annotations

import pytest

from bot.domain import Asker
from bot.services.limits import Limiter
from bot.store import Store
from tests.pipeline import PrivateRedis, free_port

NOW = 1_700_000_010.0  # 10 s into a 60 s window


def user(user_id: str, space: str = "guild-1") -> Asker:
    return Asker(platform="discord", user_id=user_id, space_id=space, channel_id="c1")


@pytest.mark.unit
async def test_a_user_is_rate_limited_after_n_questions_in_the_window():
    limiter = Limiter(Store(None), per_user=3, window_s=60, daily_per_space=100)
    results = [await limiter.admit(user("alice"), now=NOW + i) for i in range(4)]
    assert [r.ok for r in results] == [True, True, True, False]
    assert results[-1].reason == "rate_limited"
    assert 0 < results[-1].retry_after_s <= 61
    assert (await limiter.admit(user("bob"), now=NOW + 3)).ok  # someone else is not affected
    assert (await limiter.admit(user("alice"), now=NOW + 60)).ok  # the next window starts fresh


@pytest.mark.unit
async def test_a_space_runs_out_of_its_daily_budget_across_users():
    limiter = Limiter(Store(None), per_user=100, window_s=60, daily_per_space=5)
    admitted = [(await limiter.admit(user(f"u{i}"), now=NOW)).ok for i in range(5)]
    refused = await limiter.admit(user("u9"), now=NOW)
    assert all(admitted)
    assert not refused.ok and refused.reason == "daily_budget"
    assert 0 < refused.retry_after_s <= 86400
    assert (await limiter.admit(user("u9", space="guild-2"), now=NOW)).ok
    assert (await limiter.admit(user("u9"), now=NOW + 86400)).ok  # tomorrow


@pytest.mark.unit
async def test_the_cli_is_never_limited():
    limiter = Limiter(Store(None), per_user=1, window_s=60, daily_per_space=1)
    assert all([(await limiter.admit(Asker(platform="cli"), now=NOW)).ok for _ in range(5)])


@pytest.mark.integration
async def test_limits_are_shared_by_two_bot_processes_through_redis():
    server = PrivateRedis().start()
    try:
        first, second = Store(server.url), Store(server.url)
        await first.connect()
        await second.connect()
        discord_bot = Limiter(first, per_user=2, window_s=60, daily_per_space=100)
        other_replica = Limiter(second, per_user=2, window_s=60, daily_per_space=100)
        assert (await discord_bot.admit(user("alice"), now=NOW)).ok
        assert (await other_replica.admit(user("alice"), now=NOW)).ok
        assert (await discord_bot.admit(user("alice"), now=NOW)).reason == "rate_limited"
        assert server.client().ttl(f"atlas:rate:discord:alice:{int(NOW // 60)}") > 0  # counters expire
        await first.aclose()
        await second.aclose()
    finally:
        server.stop()


@pytest.mark.integration
async def test_while_redis_is_down_the_process_keeps_counting_alone():
    store = Store(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)  # never reachable
    await store.connect()
    limiter = Limiter(store, per_user=2, window_s=60, daily_per_space=100)
    results = [(await limiter.admit(user("alice"), now=NOW)).ok for _ in range(3)]
    assert results == [True, True, False]  # an outage neither silences the bot nor lifts the limit
    assert store.status.startswith("unavailable")
    await store.aclose()
