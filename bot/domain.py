"""Plain data shared by ingestion, the ask pipeline and the adapters. No I/O here.

Every model serialises to JSON (``model_dump(mode="json")``): the trace is what /debug shows and
what the eval harness stores.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["en", "zh"]
Severity = Literal["info", "warn", "fail"]
Vote = Literal["up", "down"]
# How an answer was made: from the docs' own sentences, by a checked LLM, by the extractive path after
# the LLM failed, a decline, from the Atlas's map (a navigation question), or no answer at all (empty
# question, no index yet). "unresolved": a follow-up with nothing to follow (no earlier turn, or the
# earlier one was declined).
AnswerMode = Literal["extractive", "llm", "fallback", "refused", "empty", "no-index", "navigation", "unresolved"]
DeclineReason = Literal["retrieval", "llm"]


class Chunk(BaseModel):
    """One retrievable piece of a doc, as stored in the index (immutable: safe to cache by)."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc: str  # path relative to the source folder, e.g. docs/deep_dives/05_rag_principles.md
    title: str  # the doc's first H1 (or file name)
    lang: Lang
    twin: str | None = None  # the other-language doc's path
    section_path: tuple[str, ...] = ()  # ("Chapter", "Section", "Subsection")
    anchor: str = ""  # GitHub-style slug of the innermost heading, without '#'
    text: str  # display text (cleaned Markdown)
    order: int = 0  # position within the doc
    boilerplate: bool = False  # table of contents / navigation-only chunk

    @property
    def section(self) -> str:
        return self.section_path[-1] if self.section_path else self.title

    def heading_line(self) -> str:
        """'Doc title › Section › Subsection' — what a citation shows."""
        parts = [self.title] + [p for p in self.section_path if p != self.title]
        return " › ".join(parts)


class Asker(BaseModel):
    """Who asks, and where. Adapters fill it; the core never looks at platform specifics."""

    platform: str = "cli"  # cli | discord | telegram | eval
    user_id: str = "local"
    space_id: str = "local"  # guild / chat id: the unit of the daily budget
    channel_id: str = "local"  # channel / thread / chat: where "your last answer" lives
    preferred_lang: Lang | None = None  # /lang en|zh
    last_lang: Lang | None = None  # language of the asker's previous question
    # The conversation this message belongs to (a chat session, a Discord thread or DM, a Telegram private
    # chat, one member in a group channel); None: no memory, every message stands alone (eval, one-shot ask).
    conversation: str | None = None
    reply_to: str | None = None  # the trace id of the bot answer this message replies to


class Admission(BaseModel):
    """Whether a question may be asked now (per-user rate limit, per-space daily budget)."""

    ok: bool
    reason: str | None = None  # "rate_limited" | "daily_budget"
    retry_after_s: int = 0


class Note(BaseModel):
    """A remark shown with an answer (not part of its text): a key of ``bot.messages`` and its values,
    so each renderer draws it in its own style and the asker's language."""

    key: str
    values: dict[str, str] = Field(default_factory=dict)


class Citation(BaseModel):
    n: int
    doc: str
    title: str
    section: str
    heading: str  # "Doc title › Section"
    url: str
    twin_url: str | None = None
    lang: Lang
    chunk_id: str


class Diagnostic(BaseModel):
    code: str  # stable, e.g. "FP1_MISSING_CONTENT"
    severity: Severity
    message: str  # one line, in the asker's language
    data: dict = Field(default_factory=dict)


class Candidate(BaseModel):
    """One chunk considered by retrieval, with where each channel ranked it (1-based)."""

    chunk_id: str
    doc: str
    section: str
    lang: Lang
    dense_score: float | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None
    fused_score: float = 0.0
    fused_rank: int | None = None
    used: bool = False
    dropped: str | None = None  # why it did not reach the answer: duplicate, twin, boilerplate, budget


class LanguageDecision(BaseModel):
    lang: Lang
    reason: str
    detected: str | None = None  # what langdetect said, if asked
    note: str | None = None  # e.g. "answered in English: the question looked French"


class AnswerCheck(BaseModel):
    """What the post-generation checks found in an LLM answer and what was done about it (None for
    extractive answers). Sentences are listed as the model wrote them, markers removed."""

    markers_dropped: list[int] = Field(default_factory=list)  # [n] that pointed to no source
    unmarked_sentences: list[str] = Field(default_factory=list)  # sentences the model cited nothing for
    unsupported_sentences: list[str] = Field(default_factory=list)  # their cited passages do not support them
    outside_knowledge: list[str] = Field(default_factory=list)  # no passage supports them: dropped
    contradictions: list[str] = Field(default_factory=list)  # flip a negation / number of the passage: dropped
    repeated_sentences: list[str] = Field(default_factory=list)  # said twice: dropped
    recited: int = 0  # sentences moved to the passage that supports them
    markers_checked: int = 0  # markers the model bound to a sentence ...
    markers_supported: int = 0  # ... whose passage supports it (citation precision of the model)
    judged_sentences: int = 0  # sentences long enough to test
    supported_sentences: int = 0  # ... shown, each with a passage that supports it
    cited_any: bool = True  # the model cited at least one valid passage
    copy_share: float = 0.0  # share of the shown answer copied verbatim from the passages
    answer_chars: int = 0  # length of the shown answer, markers left out
    missing_items: list[str] = Field(default_factory=list)  # what the docs' first passage lists/counts and the
    # answer leaves out (``bot.answering.completeness``)
    declined: bool = False  # the model said the passages do not answer
    answer_lang: Lang | None = None  # language the answer is actually written in
    truncated: bool = False  # the model stopped at its token limit
    retried: str | None = None  # why the model was asked once more (a Verdict reason)
    fallback: str | None = None  # why the extractive answer was shown instead (a Verdict reason, UNAVAILABLE,
    # BREAKER_OPEN)
    attempts: int = 0  # HTTP attempts over every call of this question
    llm_ms: float = 0.0  # time spent waiting for the LLM, all calls
    first_token_ms: float | None = None  # from the first call to its first streamed text
    breaker: str = ""  # the circuit breaker's state after the answer
    error: str | None = None  # last error before a fallback
    raw: str = ""  # the model's last reply as it came, before the checks (cut at 4000 characters)


class EvidenceReport(BaseModel):
    """The numbers behind the decision to answer or decline (Barnett et al.'s FP1)."""

    score: float = 0.0
    threshold: float = 0.0
    decline: bool = False
    reason: DeclineReason | None = None  # who declined: the retrieval threshold or the LLM
    best_lexical: float = 0.0
    best_dense: float = 0.0
    coverage: float = 0.0
    unknown_terms: list[str] = Field(default_factory=list)


class Followup(BaseModel):
    """How a message was read against its conversation (what /debug shows)."""

    status: Literal["followup", "new-topic", "standalone", "no-context", "after-decline"]
    why: str  # e.g. "refers back ('it')", "new topic: 'btw'", "names its own subject"
    of_turn: str | None = None  # the trace id of the turn it follows
    condensed: str | None = None  # the standalone question searched instead of the message
    subject: str = ""  # the terms carried (a follow-up) or asked about (a new question)
    memory: str = ""  # where the turns were read: "redis", "in process (Redis unavailable)", …


class Trace(BaseModel):
    trace_id: str
    question: str  # as the asker sent it
    searched: str = ""  # as searched: markup, mentions and orders to the bot out, typos corrected
    # a question word written as a chat word (评估) → the tokens of the docs' word for it (评测): either answers it
    equivalents: dict[str, list[str]] = Field(default_factory=dict)
    created_at: float
    language: LanguageDecision
    timings_ms: dict[str, float] = Field(default_factory=dict)
    candidates: list[Candidate] = Field(default_factory=list)
    context_ids: list[str] = Field(default_factory=list)  # chunk ids that went into the answer
    cache: str = "miss"  # hit | miss | off (lru) | unavailable: <why>
    cache_backend: str = "redis"
    store: str = ""  # the store's state when answered, e.g. "redis unavailable for 12 s (ConnectionError)"
    index_id: str = ""
    index_built_at: float | None = None
    embed_model: str = ""
    prompt_version: str = ""
    llm_model: str | None = None
    answer_mode: AnswerMode = "extractive"
    evidence: EvidenceReport | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    answer_check: AnswerCheck | None = None
    notes: list[str] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    followup: Followup | None = None  # set in a conversation


class Answer(BaseModel):
    text: str
    lang: Lang
    refused: bool = False
    citations: list[Citation] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)  # shown above the text, in the answer's language
    trace: Trace


class IndexInfo(BaseModel):
    """What /about shows."""

    index_id: str
    built_at: float
    source: str
    commit: str | None
    embed_model: str
    embed_dim: int
    chunks: int
    docs: int
    llm_model: str | None = None
    prompt_version: str = ""
