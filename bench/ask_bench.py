"""Benchmark of the ask pipeline over the 120 dev questions: cache-miss and cache-hit latency in a warm
process, cold start to the first answer, peak RSS. Extractive answers (no LLM).

Goals: miss p50 <= 30 ms, miss p95 <= 100 ms, hit p50 <= 3 ms, cold start <= 10 s, peak RSS <= 1.5 GB.

    .venv/bin/python bench/ask_bench.py --runs 3 [--data-dir DIR] [--redis-url redis://127.0.0.1:6379/14]
                                       [--blas-threads N]

Each run builds a fresh pipeline (empty answer cache *and* empty query-embedding cache) in this
process, warms it with one question outside the set, asks every question once (misses), then again
(hits). Cold start runs in a fresh interpreter: imports, ``build_services``, ``start`` and the first
ask, timed from process start to the answer. Without ``--data-dir`` an index of the Atlas is built
into a temporary folder first. "miss CPU" is the process's CPU time per miss, all threads: less
moved by other jobs on a shared machine than the wall-clock time. ``--blas-threads`` caps numpy/BLAS threads while asking (threadpoolctl);
on 2 shared cores they otherwise contend with the embedder's threads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"
WARM_UP = "What does the Atlas say about transformers?"
GOALS = {"miss p50 ms": 30.0, "miss p95 ms": 100.0, "hit p50 ms": 3.0, "cold start s": 10.0, "peak RSS MB": 1536.0}
log = logging.getLogger("ask_bench")


def _settings(data_dir: Path, redis_url: str | None):
    from bot.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir, redis_url=redis_url, llm_base_url=None)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _flush(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("refusing to flush Redis db 0: pass a private db such as redis://127.0.0.1:6379/14")
    client.flushdb()
    client.close()


async def _one_run(data_dir: Path, redis_url: str | None, questions: list[str], embedder, blas_threads: int | None):
    from threadpoolctl import threadpool_limits

    from bot.bootstrap import build_services
    from bot.domain import Asker

    if redis_url:
        _flush(redis_url)
    pipeline = build_services(_settings(data_dir, redis_url), embedder=embedder)
    await pipeline.start()
    asker = Asker(platform="bench", user_id="bench", space_id="bench", channel_id="bench")
    misses, hits, cpu, refused = [], [], [], 0
    limit = threadpool_limits(limits=blas_threads) if blas_threads else nullcontext()
    try:
        with limit:
            await pipeline.asking.ask(WARM_UP, asker)
            for question in questions:
                started, cpu_started = time.perf_counter(), time.process_time()
                answer = await pipeline.asking.ask(question, asker)
                misses.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                refused += answer.refused
                if answer.trace.cache != "miss":
                    raise RuntimeError(f"expected a cache miss, got {answer.trace.cache!r} for {question!r}")
            for question in questions:
                started = time.perf_counter()
                answer = await pipeline.asking.ask(question, asker)
                hits.append((time.perf_counter() - started) * 1000)
                if answer.trace.cache != "hit":
                    raise RuntimeError(f"expected a cache hit, got {answer.trace.cache!r} for {question!r}")
    finally:
        await pipeline.close()
    return {"miss p50 ms": statistics.median(misses), "miss p95 ms": _percentile(misses, 95),
            "miss CPU p50 ms": statistics.median(cpu),
            "miss max ms": max(misses), "hit p50 ms": statistics.median(hits), "hit p95 ms": _percentile(hits, 95),
            "refused": refused}


def _cold_child(data_dir: Path) -> None:
    """Runs in a fresh interpreter: everything a bot does before its first answer."""
    started = time.perf_counter()
    from bot.bootstrap import build_services
    from bot.domain import Asker

    async def first_answer():
        pipeline = build_services(_settings(data_dir, None))
        await pipeline.start()
        try:
            return await pipeline.asking.ask("How does LoRA make fine-tuning cheaper?", Asker(platform="bench"))
        finally:
            await pipeline.close()

    answer = asyncio.run(first_answer())
    sys.stdout.write(json.dumps({"in_process_s": time.perf_counter() - started, "cited": len(answer.citations)}) + "\n")


def _cold_start(data_dir: Path) -> tuple[float, float]:
    """(seconds from spawning the interpreter to the first answer, the child's peak RSS in MB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--cold-child", str(data_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env, cwd=REPO)
    line = child.stdout.readline()
    wall = time.perf_counter() - started
    child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not line:
        raise RuntimeError("the cold-start child failed")
    if not json.loads(line)["cited"]:
        raise RuntimeError("the cold-start child's answer cites nothing")
    return wall, usage.ru_maxrss / 1024


def _build_index(into: Path, embedder) -> None:
    from ingestion.job import run_ingest
    from tests.conftest import ATLAS

    log.info("building an index of %s into %s", ATLAS, into)
    run_ingest(_settings(into, None).model_copy(update={"source_dir": ATLAS}), progress=False, embedder=embedder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="A data dir with a built index (default: build one in tmp).")
    parser.add_argument("--redis-url", help="A private Redis db for the cache (default: in-process LRU).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    parser.add_argument("--blas-threads", type=int, help="Cap numpy/BLAS threads while asking (threadpoolctl).")
    parser.add_argument("--cold-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        _cold_child(args.cold_child)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("bot", "chromadb", "jieba", "bm25s", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    from bot.corpus.embedders import load_embedder

    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    embedder = load_embedder("use-multilingual-v3")
    with tempfile.TemporaryDirectory(prefix="ask-bench-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "var"
            _build_index(data_dir, embedder)
        runs = []
        for n in range(args.runs):
            result = asyncio.run(_one_run(data_dir, args.redis_url, questions, embedder, args.blas_threads))
            result["cold start s"], result["cold child RSS MB"] = _cold_start(data_dir)
            log.info("run %d: %s", n + 1, {k: round(v, 2) for k, v in result.items()})
            runs.append(result)
        result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        result["peak RSS MB"] = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                    max(r["cold child RSS MB"] for r in runs))
        _report(result, len(questions), args)


def _report(result: dict, n_questions: int, args) -> None:
    table = Table(title=f"ask pipeline, {n_questions} questions, median of {args.runs} run(s), "
                        f"cache {'redis' if args.redis_url else 'lru'}, BLAS threads {args.blas_threads or 'default'}")
    for column in ("measure", "value", "goal", ""):
        table.add_column(column)
    for key, value in result.items():
        goal = GOALS.get(key)
        verdict = "" if goal is None else ("ok" if value <= goal else "MISSED")
        table.add_row(key, f"{value:.2f}", "" if goal is None else f"<= {goal:g}", verdict)
    Console().print(table)


if __name__ == "__main__":
    main()
