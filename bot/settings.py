"""The one settings object. Every value comes from an ``ATLAS_``-prefixed environment variable
(or a ``.env`` file); ``.env.example`` lists them all. Secrets are ``SecretStr`` so they never
print in a repr or a log line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.diagnostics.inputs import DiagnosticsConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATLAS_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(Path("./var"), description="Everything the bot writes lives here.")
    sources_manifest: Path = REPO_ROOT / "content" / "sources.toml"
    source_dir: Path | None = Field(None, description="Override the docs folder of the manifest.")

    # --- embeddings & index --------------------------------------------------------------
    embed_model: str = Field(
        "use-multilingual-v3",
        description="'use-multilingual-v3' (ships in a package) or any sentence-transformers name/path.",
    )
    embed_batch_size: int = 64
    chunk_max_chars: int = 900
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of the embedded store.")
    chroma_port: int = 8000
    keep_generations: int = 2

    # --- retrieval -------------------------------------------------------------------------
    top_k: int = 5
    glossary_file: Path = REPO_ROOT / "content" / "glossary.toml"
    candidates: int = 40

    # --- cache -----------------------------------------------------------------------------
    redis_url: str | None = Field("redis://127.0.0.1:6379/0", description="Empty: in-process LRU.")
    redis_timeout_s: float = 0.25
    cache_ttl_s: int = 7 * 24 * 3600
    trace_ttl_s: int = 7 * 24 * 3600
    lru_size: int = 2048

    # --- LLM (any OpenAI-compatible endpoint); empty base URL: extractive answers only -------
    llm_base_url: str | None = None
    llm_model: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_s: float = 20.0
    llm_budget_s: float = 45.0
    llm_max_retries: int = 2
    llm_max_tokens: int = 600
    llm_temperature: float = 0.1
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0
    prompt_version: str = "v1"

    # --- diagnostics thresholds: ATLAS_DIAG__<FIELD>, e.g. ATLAS_DIAG__COST_BUDGET_USD ---------
    diag: DiagnosticsConfig = Field(default_factory=DiagnosticsConfig)

    # --- chat adapters ---------------------------------------------------------------------
    discord_token: SecretStr = SecretStr("")
    discord_guild_ids: list[int] = Field(default_factory=list, description="Sync commands per guild.")
    discord_allowed_channel_ids: list[int] = Field(default_factory=list)
    telegram_token: SecretStr = SecretStr("")
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_allowed_chat_ids: list[int] = Field(default_factory=list)
    admin_user_ids: list[str] = Field(default_factory=list, description="'platform:id' or bare id.")
    allowed_guild_ids: list[int] = Field(default_factory=list)
    rate_limit_per_user: int = 6
    rate_limit_window_s: int = 60
    daily_budget_per_space: int = 500
    gaps_max: int = 2000

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
