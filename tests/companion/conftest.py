"""A small own course indexed once per session, and the companion over it with a Redis of the test's own
(a key prefix per test on the shared test database, or a private ``redis-server`` the test can stop)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from bot.bootstrap import build_services
from bot.companion.records import Member
from tests.conftest import REPO, TEST_REDIS_URL, make_settings
from tests.e2e.test_discord import discord_world, point_discord_at  # noqa: F401 - fixtures
from tests.e2e.test_telegram import bot, bot_settings, standin  # noqa: F401 - fixtures
from tests.pipeline import PrivateRedis

COURSE = REPO / "tests" / "fixtures" / "study"


class Clock:
    """The companion's clock, moved by the test (FSRS due dates, weeks, streaks)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def study_data_dir(tmp_path_factory, use_embedder) -> Path:
    from ingestion.job import run_ingest

    data_dir = tmp_path_factory.mktemp("study-var")
    run_ingest(make_settings(data_dir, source_dir=COURSE), progress=False, embedder=use_embedder)
    return data_dir


@pytest.fixture
def prefix():
    """A key prefix of this test's own on the shared test database; its keys are removed after."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(TEST_REDIS_URL)
    for key in client.scan_iter(match=f"{name}:*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
async def services(study_data_dir, prefix, clock, use_embedder):
    built = build_services(make_settings(study_data_dir, source_dir=COURSE, redis_url=TEST_REDIS_URL, key_prefix=prefix),
                           embedder=use_embedder)
    built.companion.clock = clock
    await built.start()
    yield built
    await built.close()


@pytest.fixture
def companion(services):
    return services.companion


@pytest.fixture
def ann() -> Member:
    return Member(platform="telegram", user_id="1", space_id="-100", name="Ann")


@pytest.fixture
def bo() -> Member:
    return Member(platform="telegram", user_id="2", space_id="-100", name="Bo")


@pytest.fixture
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.stop()
