"""Retrieval and answer metrics over golden questions, exactly as /work/shared/eval/README.md
defines them: docs are the DISTINCT docs of the retrieved chunks, best first; a gold doc matches by
exact path (so in the same language); ``twin@5`` also accepts the other-language twin."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from bot.corpus.twins import twin_path
from bot.text.markdown import FENCED_BLOCK, INLINE_CODE

LANGS = ("en", "zh", "mixed")
GROUPS = LANGS + ("overall",)
HIGHER_IS_BETTER = ("hit@1", "hit@3", "hit@5", "mrr@10", "twin@5", "refusal_recall", "key_fact_recall",
                    "citation_valid", "cited_gold_share")
LOWER_IS_BETTER = ("false_refusal", "shape_problems", "latency_p50_ms", "latency_p95_ms")
MARKER = re.compile(r"\[(\d+)\]")


def gold_docs(question: dict) -> list[str]:
    return [g["doc"] for g in question.get("gold") or []]


def first_rank(docs: list[str], targets: Iterable[str]) -> int | None:
    """1-based rank of the first of ``targets`` in ``docs``, or None."""
    wanted = set(targets)
    return next((i + 1 for i, doc in enumerate(docs) if doc in wanted), None)


def gold_rank(docs: list[str], question: dict) -> int | None:
    return first_rank(docs, gold_docs(question))


def markers_resolve(text: str, citations: list[dict]) -> bool:
    """Every [n] in the text points to a citation; ``choices[0]`` inside code is not a marker."""
    numbers = {c.get("n") for c in citations}
    return all(int(n) in numbers for n in MARKER.findall(INLINE_CODE.sub("", FENCED_BLOCK.sub("", text))))


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _share(hits: Iterable[bool]) -> float | None:
    hits = list(hits)
    return round(sum(hits) / len(hits), 4) if hits else None


def _group_metrics(pairs: list[tuple[dict, dict]]) -> dict:
    """Metrics for (record, question) pairs of one group."""
    answerable = [(r, q) for r, q in pairs if q.get("answerable", True)]
    unanswerable = [(r, q) for r, q in pairs if not q.get("answerable", True)]
    ranks = [gold_rank(r["docs"], q) for r, q in answerable]
    twin_ranks = [first_rank(r["docs"], gold_docs(q) + [twin_path(d) for d in gold_docs(q)]) for r, q in answerable]
    facts = [(fact.lower() in (r.get("answer") or "").lower()) for r, q in answerable for fact in q.get("key_facts") or []]
    answered = [r for r, _ in pairs if not r["refused"]]
    cited = [(c["doc"] in gold_docs(q)) for r, q in answerable if not r["refused"]
             for c in {c["doc"]: c for c in r.get("citations") or []}.values()]
    latencies = [r["latency_ms"] for r, _ in pairs if r.get("latency_ms") is not None]
    metrics = {
        "n": len(pairs),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        **{f"hit@{k}": _share(rank is not None and rank <= k for rank in ranks) for k in (1, 3, 5)},
        "mrr@10": round(sum(1 / rank for rank in ranks if rank and rank <= 10) / len(ranks), 4) if ranks else None,
        "twin@5": _share(rank is not None and rank <= 5 for rank in twin_ranks),
        "refusal_recall": _share(r["refused"] for r, _ in unanswerable),
        "false_refusal": _share(r["refused"] for r, _ in answerable),
        "key_fact_recall": _share(facts),
        "citation_valid": _share(markers_resolve(r.get("answer") or "", r.get("citations") or []) for r in answered),
        "cited_gold_share": _share(cited),
        "latency_p50_ms": _round(percentile(latencies, 50)),
        "latency_p95_ms": _round(percentile(latencies, 95)),
        "diagnostics": dict(sorted(Counter(d["code"] for r, _ in pairs for d in r.get("diagnostics") or []).items())),
        "shape_problems": _share(bool(r.get("shape")) for r in answered),
        **verdict_metrics([r for r, _ in answerable if not r["refused"]]),
        "shapes": dict(sorted(Counter(code for r, _ in pairs for code in r.get("shape") or []).items())),
    }
    return metrics


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def compute_metrics(records: list[dict], questions: list[dict]) -> dict:
    """``{"en": {...}, "zh": {...}, "mixed": {...}, "overall": {...}}``; a metric whose denominator
    is empty (e.g. refusal_recall with no unanswerable question) is None."""
    by_id = {q["id"]: q for q in questions}
    pairs = [(r, by_id[r["id"]]) for r in records if r["id"] in by_id]
    summary = {lang: _group_metrics([(r, q) for r, q in pairs if q["lang"] == lang]) for lang in LANGS}
    summary["overall"] = _group_metrics(pairs)
    return summary


def fact_label(record: dict) -> str | None:
    """An answer holding none of its question's key facts is "useless", two thirds or more "good"."""
    total = record.get("facts_total") or 0
    if not total or record.get("refused"):
        return None
    found = record.get("facts_found") or 0
    return "useless" if found == 0 else "good" if found >= 2 / 3 * total else None


def _auc(useless: list[float], good: list[float]) -> float | None:
    """Probability that a useless answer is judged less useful than a good one."""
    if not useless or not good:
        return None
    wins = sum((u < g) + 0.5 * (u == g) for u in useless for g in good)
    return round(wins / (len(useless) * len(good)), 4)


def verdict_metrics(records: list[dict], threshold: float | None = None) -> dict:
    """How well the answer-level verdict tells useless answers from good ones: ROC AUC, and the share of
    each flagged (a warn-level ANSWER_VERDICT)."""
    labelled = [(fact_label(r), r) for r in records]
    useless = [r for label, r in labelled if label == "useless" and r.get("usefulness") is not None]
    good = [r for label, r in labelled if label == "good" and r.get("usefulness") is not None]

    def flagged(r: dict) -> bool:
        return any(d["code"] == "ANSWER_VERDICT" and d["severity"] == "warn" for d in r.get("diagnostics") or [])

    return {
        "verdict_auc": _auc([r["usefulness"] for r in useless], [r["usefulness"] for r in good]),
        "verdict_flags_useless": _share(flagged(r) for r in useless),
        "verdict_flags_good": _share(flagged(r) for r in good),
    }


def code_signal(records: list[dict]) -> dict[str, tuple[float | None, float | None, float | None]]:
    """For each diagnostic code (warn/fail), how often it fires on useless vs good answers, and on the
    answers given to questions the Atlas does not cover (a failure the key facts cannot label)."""
    labelled = [(fact_label(r), r) for r in records if not r.get("refused")]
    useless = [r for label, r in labelled if label == "useless"]
    good = [r for label, r in labelled if label == "good"]
    made_up = [r for r in records if not r.get("answerable", True) and not r.get("refused")]
    codes = sorted({d["code"] for r in useless + good + made_up for d in r.get("diagnostics") or []
                    if d["severity"] != "info"})

    def rate(group: list[dict], code: str) -> float | None:
        return _share(any(d["code"] == code and d["severity"] != "info" for d in r.get("diagnostics") or [])
                      for r in group)

    return {code: (rate(useless, code), rate(good, code), rate(made_up, code)) for code in codes}
