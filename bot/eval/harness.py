"""Run golden questions through the ask service and keep one record per question.

The same inputs give the same records and summary: questions run one at a time in file order, and
the JSON is written with sorted keys. Only ``latency_ms`` (and ``meta.created_at``) change between runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rich.console import Console

from bot.domain import Answer, Asker, IndexInfo
from bot.eval.compare import compare_runs, regressions
from bot.eval.metrics import compute_metrics, gold_docs, gold_rank
from bot.eval.report import report_path, summary_table, write_report
from bot.text.answer_shape import shape_problems
from bot.services import Services
from bot.services.asking import AskService

log = logging.getLogger(__name__)

REQUIRED = {"id": str, "lang": str, "question": str}


class EvalInputError(ValueError):
    """A golden set or baseline file that cannot be used; the message says where and why."""


@dataclass
class EvalRun:
    summary: dict
    records: list[dict]
    meta: dict

    def to_dict(self) -> dict:
        return {"summary": self.summary, "records": self.records, "meta": self.meta}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)


def load_questions(path: Path) -> list[dict]:
    """Read a JSONL golden set, checking the fields the metrics need."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalInputError(f"cannot read the question set {path}: {exc.strerror or exc}") from exc
    questions, seen = [], set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path} line {lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(item, dict):
            raise EvalInputError(f"{path} line {lineno}: expected a JSON object")
        for key, kind in REQUIRED.items():
            if not isinstance(item.get(key), kind) or not item[key]:
                raise EvalInputError(f"{path} line {lineno}: missing or empty field {key!r}")
        if item["lang"] not in ("en", "zh", "mixed"):
            raise EvalInputError(f"{path} line {lineno}: lang must be en, zh or mixed, not {item['lang']!r}")
        if item["id"] in seen:
            raise EvalInputError(f"{path} line {lineno}: duplicate id {item['id']!r}")
        if not all(isinstance(g, dict) and isinstance(g.get("doc"), str) for g in item.get("gold") or []):
            raise EvalInputError(f"{path} line {lineno}: each gold entry needs a 'doc' path")
        seen.add(item["id"])
        questions.append(item)
    if not questions:
        raise EvalInputError(f"{path}: no questions")
    return questions


def load_run(path: Path) -> dict:
    try:
        run = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalInputError(f"cannot read the baseline run {path}: {exc}") from exc
    if not isinstance(run, dict) or not {"summary", "records"} <= run.keys():
        raise EvalInputError(f"{path}: not an eval run (needs 'summary' and 'records')")
    return run


def ranked_docs(answer: Answer) -> list[str]:
    """Distinct docs of the candidates, best fused rank first (unranked candidates last). An answer
    from the Atlas map ("课程第三阶段都讲哪些内容？") searched no chunks: what it looked up are the docs
    it cites, in their order."""
    ordered = sorted(answer.trace.candidates, key=lambda c: (c.fused_rank is None, c.fused_rank or 0))
    docs: list[str] = []
    for c in ordered or answer.citations:
        doc = PurePosixPath(c.doc).as_posix().removeprefix("./")
        if doc not in docs:
            docs.append(doc)
    return docs


def _record(question: dict, answer: Answer | None, latency_ms: float, error: str | None) -> dict:
    docs = ranked_docs(answer) if answer else []
    return {
        "id": question["id"],
        "lang": question["lang"],
        "question": question["question"],
        "answerable": bool(question.get("answerable", True)),
        "gold": gold_docs(question),
        "docs": docs,
        "gold_rank": gold_rank(docs, question),
        "refused": bool(answer and answer.refused),
        "answer": answer.text if answer else "",
        "citations": [c.model_dump(mode="json") for c in answer.citations] if answer else [],
        "diagnostics": [{"code": d.code, "severity": d.severity} for d in answer.trace.diagnostics] if answer else [],
        "shape": shape_problems(answer.text) if answer else [],
        "facts_found": sum(f.lower() in answer.text.lower() for f in question.get("key_facts") or []) if answer else 0,
        "facts_total": len(question.get("key_facts") or []),
        "usefulness": _usefulness(answer),
        "latency_ms": round(latency_ms, 1),
        "error": error,
    }


def _usefulness(answer: Answer | None) -> float | None:
    """The answer-level verdict's usefulness (``bot.diagnostics.verdict``), when it was judged."""
    for d in answer.trace.diagnostics if answer else []:
        if d.code == "ANSWER_VERDICT":
            return d.data.get("usefulness")
    return None


async def run_eval(asking: AskService, questions: list[dict], *, about: Callable[[], IndexInfo | None] | None = None,
                   asker_platform: str = "eval") -> EvalRun:
    """Ask every question in order and score the answers."""
    records, first_trace = [], None
    for q in questions:
        asker = Asker(platform=asker_platform, user_id=f"eval-{q['id']}", space_id="eval", channel_id=f"eval-{q['id']}")
        started = time.perf_counter()
        try:
            answer, error = await asking.ask(q["question"], asker), None
        except Exception as exc:  # the service promises not to raise; one bad question must not end the run
            log.exception("question %s raised", q["id"])
            answer, error = None, f"{type(exc).__name__}: {exc}"
        records.append(_record(q, answer, (time.perf_counter() - started) * 1000, error))
        first_trace = first_trace or (answer.trace if answer else None)
    info = about() if about is not None else None
    meta = {
        "index_id": first_trace.index_id if first_trace else info.index_id if info else "",
        "embed_model": first_trace.embed_model if first_trace else info.embed_model if info else "",
        "prompt_version": first_trace.prompt_version if first_trace else "",
        "llm_model": first_trace.llm_model if first_trace else None,
        "created_at": time.time(),
        "questions": len(questions),
    }
    return EvalRun(summary=compute_metrics(records, questions), records=records, meta=meta)


async def evaluate(services: Services, set_path: Path, out_path: Path, baseline: Path | None, tolerance: float,
                   *, console: Console | None = None) -> int:
    """``atlas-bot eval``: run, write RUN.json + RUN.md + RUN.png, print a summary. Exit code 1 when a
    metric regressed against the baseline by more than ``tolerance``, 2 on unusable input, else 0."""
    console = console or Console()
    try:
        questions = load_questions(set_path)
        baseline_run = load_run(baseline) if baseline else None
    except EvalInputError as exc:
        console.print(f"[red]eval: {exc}[/red]")
        return 2
    run = await run_eval(services.asking, questions, about=services.admin.about)
    out_path = Path(out_path)
    comparison = compare_runs(run.to_dict(), baseline_run) if baseline_run else None
    await asyncio.to_thread(_write, run, out_path, comparison)
    console.print(summary_table(run.summary))
    failed = regressions(comparison.deltas, tolerance) if comparison else []
    md = report_path(out_path)
    console.print(f"run: {out_path}  report: {md}  chart: {md.with_suffix('.png')}")
    if failed:
        console.print(f"[red]regressed beyond {tolerance}: {', '.join(failed)}[/red]")
        return 1
    return 0


def _write(run: EvalRun, out_path: Path, comparison) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(run.to_json() + "\n", encoding="utf-8")
    write_report(run, report_path(out_path), comparison)
