"""The /debug view as platform-neutral data: each renderer turns it into Discord Markdown,
Telegram HTML or a rich table. Kept narrow (short lines, few columns) so it reads on a phone."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import BaseModel

from bot.domain import Trace

SEVERITY_ICON = {"info": "ℹ️", "warn": "⚠️", "fail": "❌"}


class CandidateRow(BaseModel):
    rank: int
    used: bool
    dropped: str | None
    doc: str  # short doc name
    section: str
    lang: str
    dense: str  # "0.61 #2" or "–"
    lexical: str
    fused: str


class DiagnosticRow(BaseModel):
    icon: str
    code: str
    severity: str
    message: str


class DebugView(BaseModel):
    facts: list[tuple[str, str]]
    timings: list[tuple[str, float]]
    total_ms: float
    candidates: list[CandidateRow]
    diagnostics: list[DiagnosticRow]


def _short_doc(doc: str) -> str:
    return PurePosixPath(doc).stem


def _score(score: float | None, rank: int | None) -> str:
    if score is None or rank is None:
        return "–"
    return f"{score:.2f} #{rank}"


def _followup_line(trace: Trace) -> str:
    """How the message was read against its conversation, and where the turns were read from."""
    f = trace.followup
    where = f"memory: {f.memory}" if f.memory else ""
    if f.status == "followup":
        said = f"follow-up of turn {f.of_turn} ({f.why}) → “{f.condensed}”"
    elif f.status == "new-topic":
        said = f"new topic after turn {f.of_turn} ({f.why}): nothing carried over"
    elif f.status == "standalone":
        said = f"first question of the conversation ({f.why})"
    else:
        said = f"a follow-up with nothing to follow ({f.status}: {f.why})"
    return f"{said}; {where}" if where else said


def build_debug_view(trace: Trace, max_rows: int = 8) -> DebugView:
    lang = trace.language
    facts = [
        ("question", trace.question if len(trace.question) <= 200 else trace.question[:199] + "…"),
        ("searched", trace.searched if len(trace.searched) <= 200 else trace.searched[:199] + "…"),
        ("language", f"{lang.lang} ({lang.reason})"),
        ("answer", trace.answer_mode),
        ("cache", f"{trace.cache} [{trace.cache_backend}]"),
        ("store", trace.store or "–"),
        ("index", trace.index_id or "none"),
        ("embedder", trace.embed_model or "–"),
        ("llm", trace.llm_model or "none (extractive)"),
        ("prompt", trace.prompt_version or "–"),
        ("tokens", f"{trace.tokens_in} in / {trace.tokens_out} out"),
        ("cost", f"${trace.cost_usd:.5f}"),
        ("trace", trace.trace_id),
    ]
    check = trace.answer_check
    if check is not None and (check.attempts or check.breaker):
        first = f"{check.first_token_ms / 1000:.1f} s" if check.first_token_ms is not None else "none"
        calls = (f"{check.attempts} attempt{'s' if check.attempts != 1 else ''}, {check.llm_ms / 1000:.1f} s in all, "
                 f"first token: {first}")
        if check.retried:
            calls += f"; asked again ({check.retried})"
        if check.fallback:
            calls += f"; not shown ({check.fallback})"
        facts.insert(facts.index(("llm", trace.llm_model or "none (extractive)")) + 1, ("llm calls", calls))
        facts.insert(facts.index(("llm calls", calls)) + 1, ("llm breaker", check.breaker or "–"))
    if lang.note:
        facts.insert(2, ("note", lang.note))
    if trace.followup is not None:
        facts.insert(2, ("follow-up", _followup_line(trace)))
    diags = [
        DiagnosticRow(icon=SEVERITY_ICON.get(d.severity, "•"), code=d.code, severity=d.severity, message=d.message)
        for d in trace.diagnostics
    ]
    timings = list(trace.timings_ms.items())
    return DebugView(
        facts=facts,
        timings=timings,
        total_ms=round(sum(v for k, v in timings if k != "total") if "total" not in trace.timings_ms else trace.timings_ms["total"], 1),
        candidates=_candidate_rows(trace, max_rows),
        diagnostics=diags,
    )


def _candidate_rows(trace: Trace, max_rows: int) -> list[CandidateRow]:
    """The first ``max_rows`` candidates in fused order, with each channel's score and rank."""
    ranked = sorted(
        (c for c in trace.candidates if c.fused_rank is not None), key=lambda c: c.fused_rank or 0
    )[:max_rows]
    return [
        CandidateRow(
            rank=c.fused_rank or 0,
            used=c.used,
            dropped=c.dropped,
            doc=_short_doc(c.doc),
            section=c.section if len(c.section) <= 48 else c.section[:47] + "…",
            lang=c.lang,
            dense=_score(c.dense_score, c.dense_rank),
            lexical=_score(c.lexical_score, c.lexical_rank),
            fused=f"{c.fused_score:.3f}",
        )
        for c in ranked
    ]


def debug_lines(view: DebugView) -> list[str]:
    """Plain text lines, no markup: the common body that every renderer can escape and wrap."""
    lines = [f"{k}: {v}" for k, v in view.facts]
    lines.append("")
    lines.append("timings: " + ", ".join(f"{k} {v:.1f} ms" for k, v in view.timings))
    lines.append("")
    lines.append("candidates (fused rank · dense · lexical):")
    for r in view.candidates:
        mark = "✅" if r.used else f"✗ {r.dropped}" if r.dropped else "·"
        lines.append(f"#{r.rank} {mark} {r.doc} › {r.section} [{r.lang}]")
        lines.append(f"    dense {r.dense} · lex {r.lexical} · fused {r.fused}")
    lines.append("")
    if view.diagnostics:
        lines.append("diagnostics:")
        lines.extend(f"{d.icon} {d.code}: {d.message}" for d in view.diagnostics)
    else:
        lines.append("diagnostics: none")
    return lines
