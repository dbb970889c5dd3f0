"""``atlas-bot eval --llm``: the generative path on a subset of golden questions, each also answered
extractively, so the LLM is judged against what the bot would have said without it (issue #15):

- key-fact recall of the answer shown, and how many answers hold more than one key fact fewer than
  the extractive answer to the same question;
- citation precision: of the markers the model bound to a sentence, the share whose passage supports
  it (``model``); and of the markers in the answer shown, re-checked (``shown``);
- declines: how often the model said "not covered" to an answerable question, and how often that
  reached the user as a refusal;
- fallbacks (by reason), corrective retries, the share copied verbatim, and (p50 / p95) the answer
  time and two waits, measured from the question as the adapters see them: ``first visible text`` —
  the first thing a chat adapter can show (the docs' own answer handed over while the LLM writes, else
  the LLM's first streamed text) — and ``first LLM token`` (the model's first streamed text).

Only answerable questions are used (the decline decision for the others is retrieval's, measured by
the plain eval). The subset is stratified by language and drawn with a fixed seed.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from bot.answering.checks import check_answer
from bot.domain import Answer, Asker
from bot.eval.metrics import LANGS, percentile
from bot.services.asking import AskService


def pick_subset(questions: list[dict], n: int, seed: int = 15) -> list[dict]:
    """``n`` answerable questions, about 40 % English, 40 % Chinese, 20 % code-switched."""
    rng = random.Random(seed)
    quota = {"en": round(n * 0.4), "zh": round(n * 0.4)}
    quota["mixed"] = n - quota["en"] - quota["zh"]
    picked: list[dict] = []
    for lang in LANGS:
        pool = [q for q in questions if q["lang"] == lang and q.get("answerable", True) and q.get("key_facts")]
        picked += rng.sample(pool, min(quota[lang], len(pool)))
    return picked


def _facts(answer: Answer, question: dict) -> int:
    return sum(fact.lower() in answer.text.lower() for fact in question.get("key_facts") or [])


async def _ask(service: AskService, question: dict, tag: str) -> tuple[Answer, float, dict[str, float]]:
    """The answer, its time (ms), and when (ms from the question) the docs' answer was handed over
    (``preview``) and the LLM's first text came (``llm``), as an adapter would see them."""
    asker = Asker(platform="eval", user_id=f"eval-{tag}-{question['id']}", space_id="eval",
                  channel_id=f"eval-{tag}-{question['id']}")
    started = time.perf_counter()
    seen: dict[str, float] = {}

    def saw(what: str) -> None:
        seen.setdefault(what, round((time.perf_counter() - started) * 1000, 1))

    answer = await service.ask(question["question"], asker, on_draft=lambda _: saw("llm"),
                               on_preview=lambda _: saw("preview"))
    return answer, (time.perf_counter() - started) * 1000, seen


def _shown_precision(service: AskService, answer: Answer) -> tuple[int, int]:
    """(supported, checked) markers of an LLM answer as shown, checked again against its passages."""
    if answer.trace.answer_mode != "llm":
        return 0, 0
    index = service.reader.current()
    chunks = [index.by_id[cid] for cid in answer.trace.context_ids if cid in index.by_id]
    _, check = check_answer(answer.text, answer.lang, chunks, service.retriever.tokenizer, idf=index.idf,
                            encode=service.retriever.embedder.encode, question=answer.trace.searched)
    return check.markers_supported, check.markers_checked


async def run_llm_eval(llm: AskService, extractive: AskService, questions: list[dict], *, progress=None) -> dict:
    """One record per question, and a summary per language (``en``, ``zh``, ``mixed``, ``overall``)."""
    records = []
    for i, q in enumerate(questions, 1):
        answer, latency, seen = await _ask(llm, q, "llm")
        base, _, _ = await _ask(extractive, q, "extractive")
        check = answer.trace.answer_check
        supported, checked = _shown_precision(llm, answer)
        records.append({
            "id": q["id"], "lang": q["lang"], "question": q["question"], "mode": answer.trace.answer_mode,
            "refused_by_llm": answer.refused and answer.trace.evidence is not None
            and answer.trace.evidence.reason == "llm",
            "model_declined": bool(check and (check.declined or "LLM_DECLINED" in (check.retried, check.fallback))),
            "fallback": check.fallback if check else None, "retried": check.retried if check else None,
            "facts_total": len(q.get("key_facts") or []), "facts_llm": _facts(answer, q),
            "facts_extractive": _facts(base, q),
            "model_markers": [check.markers_supported, check.markers_checked] if check else [0, 0],
            "shown_markers": [supported, checked],
            "copy_share": check.copy_share if check and answer.trace.answer_mode == "llm" else None,
            "latency_ms": round(latency, 1),
            "first_visible_text_ms": min(seen.values(), default=round(latency, 1)),
            "first_llm_token_ms": seen.get("llm"),
            "answer": answer.text, "extractive": base.text, "raw": check.raw if check else "",
            "dropped": {"outside": check.outside_knowledge, "contradictions": check.contradictions,
                        "repeated": check.repeated_sentences} if check else {},
        })
        if progress:
            progress(i, len(questions), records[-1])
    summary = {lang: _summary([r for r in records if r["lang"] == lang]) for lang in LANGS}
    summary["overall"] = _summary(records)
    return {"summary": summary, "records": records}


def _summary(records: list[dict]) -> dict:
    if not records:
        return {"n": 0}
    total = sum(r["facts_total"] for r in records) or 1
    model = [sum(r["model_markers"][k] for r in records) for k in (0, 1)]
    shown = [sum(r["shown_markers"][k] for r in records) for k in (0, 1)]
    copies = [r["copy_share"] for r in records if r["copy_share"] is not None]
    latencies = [r["latency_ms"] for r in records]
    visible = [r["first_visible_text_ms"] for r in records]
    tokens = [r["first_llm_token_ms"] for r in records if r["first_llm_token_ms"] is not None]
    return {
        "n": len(records),
        "llm_shown": sum(r["mode"] == "llm" for r in records),
        "fallbacks": dict(Counter(r["fallback"] for r in records if r["mode"] == "fallback")),
        "corrective_retries": sum(r["retried"] is not None for r in records),
        "model_declines": sum(r["model_declined"] for r in records),
        "declines_shown": sum(r["refused_by_llm"] for r in records),
        "key_fact_recall_llm": round(sum(r["facts_llm"] for r in records) / total, 3),
        "key_fact_recall_extractive": round(sum(r["facts_extractive"] for r in records) / total, 3),
        "worse_by_more_than_one_fact": sum(r["facts_llm"] < r["facts_extractive"] - 1 for r in records),
        "citation_precision_model": round(model[0] / model[1], 3) if model[1] else None,
        "citation_precision_shown": round(shown[0] / shown[1], 3) if shown[1] else None,
        "copy_share_mean": round(sum(copies) / len(copies), 3) if copies else None,
        "latency_p50_ms": percentile(latencies, 50), "latency_p95_ms": percentile(latencies, 95),
        "first_visible_text_p50_ms": percentile(visible, 50), "first_visible_text_p95_ms": percentile(visible, 95),
        "first_llm_token_p50_ms": percentile(tokens, 50), "first_llm_token_p95_ms": percentile(tokens, 95),
    }
