"""One settings object, every field documented in .env.example, secrets never printed."""

from __future__ import annotations

import re

import pytest

from bot.settings import Settings
from tests.conftest import REPO

pytestmark = pytest.mark.unit


def test_env_example_lists_every_setting():
    listed = set(re.findall(r"^#?\s*ATLAS_([A-Z0-9_]+?)(?:__[A-Z0-9_]+)?=", (REPO / ".env.example").read_text(), re.M))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - listed == set(), "settings missing from .env.example"
    assert listed - fields == set(), ".env.example names settings that do not exist"


def test_settings_come_from_prefixed_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ATLAS_TOP_K", "3")
    monkeypatch.setenv("ATLAS_DIAG__COST_BUDGET_USD", "0.5")
    settings = Settings(_env_file=None)
    assert settings.data_dir == tmp_path
    assert settings.index_dir == tmp_path / "index"
    assert settings.top_k == 3
    assert settings.diag.cost_budget_usd == 0.5


def test_tokens_never_show_in_a_repr_or_a_dump(monkeypatch):
    monkeypatch.setenv("ATLAS_DISCORD_TOKEN", "discord-secret-123")
    monkeypatch.setenv("ATLAS_TELEGRAM_TOKEN", "123:telegram-secret")
    monkeypatch.setenv("ATLAS_LLM_API_KEY", "sk-secret")
    settings = Settings(_env_file=None)
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in ("discord-secret-123", "telegram-secret", "sk-secret"):
        assert secret not in shown
    assert settings.discord_token.get_secret_value() == "discord-secret-123"


def test_the_llm_latency_budget_is_the_llm_budget_unless_set_apart():
    """Issue #14: the LLM stage's latency diagnostic (15 s) disagreed with the LLM budget (45 s)."""
    settings = Settings(_env_file=None, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_budget_s=90)
    assert settings.diag.stage_budgets_ms["llm"] == 90_000 and settings.diag.stage_budgets_ms["total"] >= 90_000
    own = Settings(_env_file=None, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_budget_s=90,
                   diag={"stage_budgets_ms": {"llm": 30_000.0}})
    assert own.diag.stage_budgets_ms == {"llm": 30_000.0}
