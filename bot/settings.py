"""The one settings object. Every value comes from an ``ATLAS_``-prefixed environment variable
(or a ``.env`` file); ``.env.example`` lists them all. Secrets are ``SecretStr`` so they never
print in a repr or a log line."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class DiagnosticsConfig(BaseModel):
    """Every threshold a diagnostic uses. Settings exposes each as ``ATLAS_DIAG__<FIELD>``."""

    # FP1 missing content: warn when the evidence score is within this share of |threshold| above it.
    missing_content_margin: float = Field(0.15, ge=0)
    # FP2 missed top-ranked documents.
    rank_overlap_k: int = Field(5, ge=1)  # distinct docs per channel compared
    rank_overlap_min: float = Field(0.2, ge=0, le=1)  # shared docs / k below this: the channels disagree
    rank_overlap_min_docs: int = Field(3, ge=1)  # each channel needs this many docs to compare
    flat_top_n: int = Field(5, ge=2)  # fused scores compared for a flat profile
    flat_spread_max: float = Field(0.03, ge=0)  # (best - nth) / best below this: nothing stands out
    exact_term_max_share: float = Field(0.5, ge=0, le=1)  # a term in more of the keyword hits is not "exact"
    # FP3 not in context: a dropped candidate ranked this high in a channel was probably relevant.
    high_rank_max: int = Field(3, ge=1)
    lost_drop_reasons: list[str] = Field(default_factory=lambda: ["budget", "duplicate"])
    # FP4 not extracted / unsupported (LLM answers).
    unsupported_max: int = Field(0, ge=0)
    unmarked_max: int = Field(1, ge=0)
    copied_share_info: float = Field(0.5, ge=0, le=1)  # this share copied verbatim is worth a line (info)
    # FP6 incorrect specificity.
    vague_max_tokens: int = Field(2, ge=0)  # a question with at most this many content words is vague
    vague_top_k: int = Field(5, ge=1)
    vague_min_docs: int = Field(4, ge=2)  # ... when its top-k candidates come from this many docs
    # FP7 incomplete: a part of a multi-part question is covered when this share of its words is in context.
    part_min_overlap: float = Field(0.3, ge=0, le=1)
    part_min_tokens: int = Field(3, ge=1)  # parts with fewer content words ("what am I doing wrong") are not checked
    # Low-value context.
    near_duplicate_jaccard: float = Field(0.8, ge=0, le=1)
    link_share_max: float = Field(0.5, ge=0, le=1)  # share of a chunk's text inside Markdown links
    heading_share_max: float = Field(0.6, ge=0, le=1)  # share of a chunk's lines that are headings/link items
    twin_order_slack: int = Field(1, ge=0)  # twins' chunks this close in doc order are the same passage
    low_value_warn_slots: int = Field(2, ge=1)  # info below, warn from this many wasted slots
    # Language mismatch: fewer context chunks than this in the question's language.
    lang_support_min: int = Field(2, ge=1)
    # Stale index.
    index_age_info_days: float = Field(90.0, gt=0)
    index_age_warn_days: float = Field(180.0, gt=0)
    # Cost and latency.
    cost_budget_usd: float = Field(0.01, ge=0)
    tokens_budget: int = Field(6000, ge=0)
    stage_budget_ms: float = Field(1500.0, gt=0)
    # With an LLM configured, Settings sets "llm" to its llm_budget_s and "total" 5 s above it
    # (Settings._llm_latency_budget); 20 s is for extractive answers.
    stage_budgets_ms: dict[str, float] = Field(default_factory=lambda: {"llm": 60000.0, "total": 20000.0})
    # The answer-level verdict (bot/diagnostics/verdict.py): below this usefulness an answer is flagged and
    # shown with a caveat (bench/verdict_calibrate.py chooses it: ≤ 15 % of the good answers of the parts
    # it fits on are flagged); a low verdict names coverage or the doc margin when under these.
    verdict_threshold: float = Field(0.439, ge=0, le=1)
    verdict_min_coverage: float = Field(0.5, ge=0, le=1)
    verdict_min_margin: float = Field(0.15, ge=0)
    # Prompt injection: extra regular expressions (case-insensitive) that count as an attack string.
    injection_patterns_extra: list[str] = Field(default_factory=list)


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
    redis_retry_s: float = Field(2.0, gt=0, description="While Redis is away, how often to try it again.")
    key_prefix: str = Field("atlas", pattern=r"^[A-Za-z0-9_.-]+$",
                            description="Begins every Redis key: one per deployment sharing a Redis.")
    cache_ttl_s: int = 7 * 24 * 3600
    trace_ttl_s: int = 7 * 24 * 3600
    memory_turns: int = Field(6, ge=1, description="Turns of a conversation remembered for follow-ups.")
    memory_ttl_s: int = Field(6 * 3600, gt=0, description="A conversation is forgotten this long after its last turn.")
    lru_size: int = 2048

    # --- LLM (any OpenAI-compatible endpoint); empty base URL: extractive answers only -------
    llm_base_url: str | None = None
    llm_model: str = ""
    llm_api_key: SecretStr = SecretStr("")
    # Timeouts per phase of a streamed reply (see bot/answering/llm.py Timeouts); the budget covers every
    # attempt of one question, the corrective retry included, and is the LLM stage's latency budget too.
    llm_first_token_timeout_s: float = Field(20.0, gt=0, description="Request sent → first token (prompt reading).")
    llm_stall_timeout_s: float = Field(8.0, gt=0, description="Longest gap between two tokens.")
    llm_budget_s: float = Field(60.0, gt=0, description="All LLM calls of one question, retries included.")
    llm_max_retries: int = Field(1, ge=0, description="Extra attempts after a timeout, 429, 5xx or garbage.")
    llm_breaker_failures: int = Field(3, ge=1, description="Failed answers in a row that open the circuit breaker.")
    llm_breaker_cooldown_s: float = Field(60.0, gt=0, description="Open breaker: extractive answers for this long.")
    llm_probe_timeout_s: float = Field(10.0, gt=0, description="The breaker's one-token probe after the cool-down.")
    llm_max_tokens_en: int = Field(350, ge=16, description="Length cap of an English answer, in tokens.")
    llm_max_tokens_zh: int = Field(450, ge=16, description="Length cap of a Chinese answer, in tokens.")
    llm_context_passages: int = Field(3, ge=1, description="Passages in the prompt (small models do better with few).")
    llm_context_chars: int = Field(2400, ge=200, description="Characters of passages in the prompt, all together.")
    llm_temperature: float = 0.1
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0
    prompt_version: str = "v2"
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Folder of prompt versions (one subfolder each).")

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
    study_tick_s: float = Field(60.0, gt=0, description="How often the bots look for due group posts (rhythm).")

    @model_validator(mode="after")
    def _llm_latency_budget(self) -> Settings:
        """The latency diagnostic judges the LLM stage by the LLM's own budget unless a deployment set
        ``ATLAS_DIAG__STAGE_BUDGETS_MS`` itself: one number, so the two never disagree."""
        if self.llm_base_url and "stage_budgets_ms" not in self.diag.model_fields_set:
            budget_ms = self.llm_budget_s * 1000
            self.diag.stage_budgets_ms = {**self.diag.stage_budgets_ms, "llm": budget_ms, "total": budget_ms + 5000.0}
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
