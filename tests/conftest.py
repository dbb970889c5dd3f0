"""Shared fixtures: an index of the real Atlas (built once per test session), settings that never
read a developer's .env, and Redis databases private to the test run."""

from __future__ import annotations

import os
from pathlib import Path

import hypothesis  # noqa: F401
import pytest

from bot.settings import Settings

# hypothesis is imported above, at collection, and not lazily by its pytest plugin at session end: there,
# deep in the stack, pytest's rewrite of it fails on CPython 3.11.7 ("SystemError: AST constructor
# recursion depth mismatch") and turns a green run of a few test files into a crash.

REPO = Path(__file__).resolve().parent.parent
ATLAS = (REPO.parent / "shared" / "atlas").resolve()
DEV_SET = (REPO.parent / "shared" / "eval" / "dev.jsonl").resolve()
TEST_REDIS_URL = os.environ.get("ATLAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# a second private database, for tests that need two (set both when several test runs share one Redis)
TEST_REDIS_URL_2 = os.environ.get("ATLAS_TEST_REDIS_URL_2", "redis://127.0.0.1:6379/15")


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for a test: no .env file, a private data dir, no LLM unless given."""
    values = dict(data_dir=data_dir, source_dir=ATLAS, redis_url=None, llm_base_url=None)
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def use_embedder():
    from bot.corpus.embedders import load_embedder

    return load_embedder("use-multilingual-v3")


@pytest.fixture(scope="session")
def atlas_data_dir(tmp_path_factory, use_embedder) -> Path:
    """A data dir holding an index of ../shared/atlas (about 15-40 s, once per session)."""
    from ingestion.job import run_ingest

    data_dir = tmp_path_factory.mktemp("atlas-var")
    run_ingest(make_settings(data_dir), progress=False, embedder=use_embedder)
    return data_dir


@pytest.fixture
def atlas_settings(atlas_data_dir) -> Settings:
    return make_settings(atlas_data_dir)


@pytest.fixture
async def llm_standin():
    """A stand-in OpenAI-compatible server on a free loopback port (``tests/llm_standin.py``)."""
    from tests.llm_standin import LLMStandIn

    server = LLMStandIn()
    await server.start()
    yield server
    await server.close()
