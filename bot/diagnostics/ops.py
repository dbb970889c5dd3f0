"""Production problems: a stale index, cost and latency over budget, a missing cache, a failed LLM."""

from __future__ import annotations

import math

from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic

DAY_S = 86400.0


def stale_index(f: Facts) -> list[Diagnostic]:
    index, trace, out = f.inp.index, f.inp.answer.trace, []
    index_model = index.embed_model if index else trace.embed_model
    if index_model and f.inp.query_embed_model and index_model != f.inp.query_embed_model:
        data = {"query_model": f.inp.query_embed_model, "index_model": index_model}
        out.append(make("STALE_EMBED_MODEL", "fail", f.lang, data, **data))
    if f.inp.source_changed:
        out.append(make("STALE_SOURCE_CHANGED", "warn", f.lang, {"index_id": index.index_id if index else trace.index_id}))
    built_at = index.built_at if index else trace.index_built_at
    days = (f.now - built_at) / DAY_S if built_at else math.nan
    if math.isfinite(days):
        severity = "warn" if days > f.config.index_age_warn_days else "info" if days > f.config.index_age_info_days else None
        if severity:
            out.append(make("STALE_INDEX_AGE", severity, f.lang, {"age_days": round(days, 1)}, days=int(days)))
    return out


def cost(f: Facts) -> list[Diagnostic]:
    cfg, trace, out = f.config, f.inp.answer.trace, []
    if trace.cost_usd > cfg.cost_budget_usd:
        data = {"cost_usd": trace.cost_usd, "budget_usd": cfg.cost_budget_usd}
        out.append(make("COST_OVER_BUDGET", "warn", f.lang, data, cost=f"{trace.cost_usd:.4f}",
                        budget=f"{cfg.cost_budget_usd:.4f}"))
    tokens = trace.tokens_in + trace.tokens_out
    if tokens > cfg.tokens_budget:
        data = {"tokens_in": trace.tokens_in, "tokens_out": trace.tokens_out, "budget": cfg.tokens_budget}
        out.append(make("TOKENS_OVER_BUDGET", "warn", f.lang, data, tokens=tokens, budget=cfg.tokens_budget))
    return out


def latency(f: Facts) -> list[Diagnostic]:
    cfg = f.config
    slow = {
        stage: ms for stage, ms in f.inp.answer.trace.timings_ms.items()
        if ms > cfg.stage_budgets_ms.get(stage, cfg.stage_budget_ms)
    }
    if not slow:
        return []
    budgets = {stage: cfg.stage_budgets_ms.get(stage, cfg.stage_budget_ms) for stage in slow}
    stages = ", ".join(f"{stage} {ms:.0f}/{budgets[stage]:.0f} ms" for stage, ms in slow.items())
    return [make("LATENCY_OVER_BUDGET", "warn", f.lang, {"slow_ms": slow, "budget_ms": budgets}, stages=stages)]


def cache_unavailable(f: Facts) -> list[Diagnostic]:
    state = f.inp.answer.trace.cache
    if not state.startswith("unavailable"):
        return []
    why = state.partition(":")[2].strip() or "?"
    return [make("CACHE_UNAVAILABLE", "warn", f.lang, {"cache": state, "backend": f.inp.answer.trace.cache_backend},
                 why=why)]


def llm_fallback(f: Facts) -> list[Diagnostic]:
    """The extractive answer stands in for the LLM's: it failed, its breaker is open, or its answer
    failed the checks (after one corrective retry when there was time)."""
    trace = f.inp.answer.trace
    if trace.answer_mode != "fallback":
        return []
    check = trace.answer_check
    error = check.error if check and check.error else "?"
    data = {"error": error, "llm_model": trace.llm_model, "reason": check.fallback if check else None,
            "attempts": check.attempts if check else 0, "llm_ms": check.llm_ms if check else 0.0,
            "breaker": check.breaker if check else ""}
    if check is not None and check.fallback == "BREAKER_OPEN":
        return [make("LLM_FALLBACK", "warn", f.lang, data, "breaker", error=error)]
    if check is not None and check.fallback not in (None, "UNAVAILABLE"):
        retried = ", asked twice" if check.retried else ""
        if f.lang == "zh" and check.retried:
            retried = "，已重问一次"
        return [make("LLM_FALLBACK", "warn", f.lang, data, "checked", reason=check.fallback, retried=retried)]
    return [make("LLM_FALLBACK", "warn", f.lang, data, error=error)]


CHECKS = (stale_index, cost, latency, cache_unavailable, llm_fallback)
