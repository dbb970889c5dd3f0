"""The compose file is valid and wires the services the README promises (no Docker engine here:
Debian's docker-compose validates it, `make test` installs it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration

COMPOSE = shutil.which("docker-compose")


@pytest.fixture(scope="module")
def config() -> dict:
    if COMPOSE is None:
        pytest.skip("docker-compose is not installed (make test installs it)")
    env = {**os.environ, "ATLAS_DISCORD_TOKEN": "x", "ATLAS_TELEGRAM_TOKEN": "y"}
    args = [COMPOSE, "-f", str(REPO / "docker-compose.yml"), "--profile", "discord", "--profile", "telegram"]
    check = subprocess.run([*args, "config", "-q"], capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr
    resolved = subprocess.run([*args, "config"], capture_output=True, text=True, env=env, check=True)
    import yaml

    return yaml.safe_load(resolved.stdout)


def test_compose_file_is_valid_and_has_every_service(config):
    assert set(config["services"]) == {"redis", "chroma", "ingest", "discord", "telegram"}


def test_storage_services_persist_and_report_health(config):
    for name in ("redis", "chroma"):
        service = config["services"][name]
        assert service.get("volumes"), f"{name} keeps no data"
        assert service["healthcheck"]["test"], f"{name} has no healthcheck"
    assert config["services"]["chroma"]["image"].split(":")[1][0].isdigit(), "chroma image must be pinned"


def test_bots_start_after_a_completed_ingest_and_a_healthy_redis(config):
    for bot in ("discord", "telegram"):
        service = config["services"][bot]
        assert service["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["restart"] == "on-failure"  # a revoked token exits non-zero: restarted, or alerted
        assert service["healthcheck"]["test"] == ["CMD", "atlas-bot", "health"]
    assert config["services"]["ingest"]["depends_on"]["chroma"]["condition"] == "service_healthy"


def test_tokens_come_from_the_environment_not_the_file(config):
    raw = (REPO / "docker-compose.yml").read_text()
    assert "ATLAS_DISCORD_TOKEN: ${ATLAS_DISCORD_TOKEN" in raw
    assert "ATLAS_TELEGRAM_TOKEN: ${ATLAS_TELEGRAM_TOKEN" in raw
    assert json.dumps(config).count('"x"') >= 1  # the value given in the environment reached the service
