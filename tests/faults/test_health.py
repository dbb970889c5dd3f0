"""``atlas-bot health``, the command compose's healthcheck runs: one line per part, and a non-zero exit
only when the bot cannot answer (no readable index). Run as the console script, in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CLI = [str(Path(sys.executable).parent / "atlas-bot")]


def health(data_dir: Path, redis_url: str, cwd: Path, **env: str) -> tuple[int, dict[str, str]]:
    """Exit code and {part: its line}; no developer .env is read (empty working folder)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    clean.update(ATLAS_DATA_DIR=str(data_dir), ATLAS_REDIS_URL=redis_url, ATLAS_REDIS_TIMEOUT_S="0.2", **env)
    done = subprocess.run(CLI + ["health"], capture_output=True, text=True, env=clean, cwd=cwd, timeout=100)
    assert "Traceback" not in done.stdout + done.stderr
    return done.returncode, {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}


def test_a_healthy_deployment_reports_every_part_and_exits_zero(atlas_data_dir, redis_server, tmp_path):
    code, lines = health(atlas_data_dir, redis_server.url, tmp_path)
    assert code == 0
    assert list(lines) == ["index", "redis", "chroma", "llm"]
    assert lines["index"].split()[1] == "ok" and "chunks from AI Model Atlas" in lines["index"]
    assert " ago, " in lines["index"]  # the index's age
    assert lines["redis"].split()[1:] == ["ok", "redis", "ok"]
    assert lines["chroma"].split()[1] == "ok" and "embedded:" in lines["chroma"] and "vectors" in lines["chroma"]
    assert "not configured: extractive answers" in lines["llm"]


def test_redis_down_is_degraded_not_failing_and_a_configured_llm_names_its_breaker(atlas_data_dir, tmp_path):
    code, lines = health(atlas_data_dir, f"redis://127.0.0.1:{free_port()}/0", tmp_path,
                         ATLAS_LLM_BASE_URL="http://127.0.0.1:9/v1", ATLAS_LLM_MODEL="qwen2.5-1.5b")
    assert code == 0  # the bot still answers without Redis
    assert lines["redis"].split()[1] == "degraded" and "redis unavailable" in lines["redis"]
    assert lines["llm"].split()[1] == "ok" and "qwen2.5-1.5b; breaker:" in lines["llm"]


def test_no_index_fails_the_check(redis_server, tmp_path):
    empty = tmp_path / "var"
    empty.mkdir()
    code, lines = health(empty, redis_server.url, tmp_path)
    assert code == 1
    assert lines["index"].split()[1] == "FAIL" and "atlas-bot ingest" in lines["index"]
    assert lines["redis"].split()[1] == "ok"
