"""A run against a baseline run: per-question changes and metric deltas."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.eval.metrics import GROUPS, HIGHER_IS_BETTER, LOWER_IS_BETTER

LATENCY = ("latency_p50_ms", "latency_p95_ms")


@dataclass
class Comparison:
    deltas: dict[str, dict] = field(default_factory=dict)  # "zh.hit@5" -> {"baseline", "current", "delta"}
    newly_failing: list[dict] = field(default_factory=list)  # gold doc was in the top 5, is not any more
    newly_passing: list[dict] = field(default_factory=list)
    rank_changes: list[dict] = field(default_factory=list)  # rank of the first gold doc moved
    newly_refused: list[dict] = field(default_factory=list)
    no_longer_refused: list[dict] = field(default_factory=list)


def _passes(record: dict) -> bool:
    rank = record.get("gold_rank")
    return bool(record.get("answerable", True)) and rank is not None and rank <= 5


def compare_runs(current: dict, baseline: dict) -> Comparison:
    """Questions are matched by id; a question only in one run is ignored."""
    out = Comparison()
    for group in GROUPS:
        now, before = current["summary"].get(group, {}), baseline["summary"].get(group, {})
        for metric in HIGHER_IS_BETTER + LOWER_IS_BETTER:
            a, b = before.get(metric), now.get(metric)
            if a is None or b is None:
                continue
            out.deltas[f"{group}.{metric}"] = {"baseline": a, "current": b, "delta": round(b - a, 4)}
    old = {r["id"]: r for r in baseline["records"]}
    for rec in current["records"]:
        prev = old.get(rec["id"])
        if prev is None:
            continue
        row = {"id": rec["id"], "question": rec.get("question", ""), "baseline_rank": prev.get("gold_rank"),
               "current_rank": rec.get("gold_rank"), "top_docs": rec.get("docs", [])[:3]}
        if _passes(prev) and not _passes(rec):
            out.newly_failing.append(row)
        elif _passes(rec) and not _passes(prev):
            out.newly_passing.append(row)
        if rec.get("answerable", True) and row["baseline_rank"] != row["current_rank"]:
            out.rank_changes.append(row)
        if rec["refused"] and not prev["refused"]:
            out.newly_refused.append(row)
        elif prev["refused"] and not rec["refused"]:
            out.no_longer_refused.append(row)
    return out


def regressions(delta: dict[str, dict], tolerance: float, *, latency_tolerance: float = 0.5) -> list[str]:
    """Names of the metrics that got worse by more than ``tolerance`` (absolute, on 0-1 scores).
    A rising false_refusal is worse; latency is compared relatively: more than ``latency_tolerance``
    (0.5 = 50 % slower) counts, so timing noise does not fail a run."""
    failed = []
    for name, d in sorted(delta.items()):
        metric = name.split(".", 1)[1]
        before, now = d["baseline"], d["current"]
        if metric in LATENCY:
            if before > 0 and (now - before) / before > latency_tolerance:
                failed.append(name)
            continue
        worse = before - now if metric in HIGHER_IS_BETTER else now - before
        if round(worse, 9) > tolerance:
            failed.append(name)
    return failed
