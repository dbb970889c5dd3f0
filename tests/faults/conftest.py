"""Real services over the Atlas index and a private Redis the test controls; the platform stand-ins and
their fixtures come from the end-to-end tests."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_services
from bot.settings import Settings
from tests.conftest import make_settings
from tests.e2e import discord_standin as di
from tests.e2e.test_discord import discord_world, point_discord_at  # noqa: F401 - fixtures
from tests.e2e.test_telegram import bot, bot_settings, standin  # noqa: F401 - fixtures
from tests.pipeline import PrivateRedis

TELEGRAM_ADMIN = "telegram:42"  # ALICE in the Telegram tests
DISCORD_ADMIN = f"discord:{di.USER_ID}"


@pytest.fixture
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.stop()


@pytest.fixture
def service_settings(atlas_data_dir, redis_server) -> Settings:
    """Retry a lost Redis every 50 ms and give up on a call after 200 ms, so outages play out quickly."""
    return make_settings(atlas_data_dir, redis_url=redis_server.url, redis_retry_s=0.05, redis_timeout_s=0.2,
                         admin_user_ids=[TELEGRAM_ADMIN, DISCORD_ADMIN])


@pytest.fixture
def service(service_settings, use_embedder):
    """The real services (the name the Telegram ``bot`` fixture asks for); the adapters start and close them."""
    return build_services(service_settings, embedder=use_embedder)
