"""Why an answer may be wrong: the failure points of Barnett et al., "Seven Failure Points When
Engineering a RAG System" (2024), plus production problems (stale index, cost, latency, cache, LLM
fallback, prompt injection).

``diagnose`` runs every check on one answer and its trace. It never raises: a check that fails on
an odd trace is logged and reported as ``DIAGNOSTIC_ERROR`` instead.
"""

from __future__ import annotations

import logging

from bot.diagnostics import answer, context, ops, retrieval, safety
from bot.diagnostics.inputs import DiagnosisInput, DiagnosticsConfig, Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic

__all__ = ["DiagnosisInput", "DiagnosticsConfig", "diagnose"]

log = logging.getLogger(__name__)

CHECKS = safety.CHECKS + retrieval.CHECKS + context.CHECKS + answer.CHECKS + ops.CHECKS
_SEVERITY_ORDER = {"fail": 0, "warn": 1, "info": 2}


def diagnose(inp: DiagnosisInput, config: DiagnosticsConfig, now: float | None = None) -> list[Diagnostic]:
    """All diagnostics for one answer, most severe first (checks keep their order within a severity)."""
    try:
        facts = Facts.build(inp, config, now)
    except Exception:
        log.warning("cannot diagnose this answer", exc_info=True)
        return []
    found: list[Diagnostic] = []
    for check in CHECKS:
        try:
            found.extend(check(facts))
        except Exception:
            log.warning("diagnostic check %s failed", check.__name__, exc_info=True)
            found.append(make("DIAGNOSTIC_ERROR", "info", facts.lang, {"check": check.__name__}, check=check.__name__))
    return sorted(found, key=lambda d: _SEVERITY_ORDER[d.severity])
