"""Why an answer may be wrong: the failure points of Barnett et al., "Seven Failure Points When
Engineering a RAG System" (2024), plus production problems (stale index, cost, latency, cache, LLM
fallback, prompt injection).

``diagnose`` runs every check on one answer and its trace. It never raises: a check that fails on
an odd trace is logged and reported as ``DIAGNOSTIC_ERROR`` instead.
"""

from __future__ import annotations

import logging

from bot.diagnostics import answer, context, ops, retrieval, safety, verdict
from bot.diagnostics.inputs import DiagnosisInput, DiagnosticsConfig, Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic

__all__ = ["OPS_CHECKS", "OPS_CODES", "DiagnosisInput", "DiagnosticsConfig", "diagnose"]

log = logging.getLogger(__name__)

CHECKS = safety.CHECKS + retrieval.CHECKS + context.CHECKS + answer.CHECKS + verdict.CHECKS + ops.CHECKS
# What depends on the request rather than on (question, index, answer): rerun on a cache hit.
OPS_CHECKS = ops.CHECKS
OPS_CODES = frozenset({"STALE_EMBED_MODEL", "STALE_SOURCE_CHANGED", "STALE_INDEX_AGE", "COST_OVER_BUDGET",
                       "TOKENS_OVER_BUDGET", "LATENCY_OVER_BUDGET", "CACHE_UNAVAILABLE", "LLM_FALLBACK"})
_SEVERITY_ORDER = {"fail": 0, "warn": 1, "info": 2}


def diagnose(inp: DiagnosisInput, config: DiagnosticsConfig, now: float | None = None,
             checks: tuple = CHECKS) -> list[Diagnostic]:
    """Diagnostics for one answer (every check, or the given ones), most severe first (checks keep
    their order within a severity)."""
    try:
        facts = Facts.build(inp, config, now)
    except Exception:
        log.warning("cannot diagnose this answer", exc_info=True)
        return []
    found: list[Diagnostic] = []
    for check in checks:
        try:
            found.extend(check(facts))
        except Exception:
            log.warning("diagnostic check %s failed", check.__name__, exc_info=True)
            found.append(make("DIAGNOSTIC_ERROR", "info", facts.lang, {"check": check.__name__}, check=check.__name__))
    return sorted(found, key=lambda d: _SEVERITY_ORDER[d.severity])
