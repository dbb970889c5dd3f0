"""Compare embedding models on the dev set: the numbers behind the default in the README.

For each candidate: build an index of the Atlas with it (fresh data dir), then run the dev questions
through the real pipeline twice — hybrid (the shipped fusion) and dense only (lexical weight 0) —
and print hit@1 / hit@5 per language, mrr@10, build time and query-embedding latency.

    .venv/bin/python bench/embedders.py [--models use-multilingual-v3 minilm-l6-v2]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.bootstrap import build_services
from ingestion.job import run_ingest
from bot.eval.harness import load_questions, run_eval
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "eval" / "dev.jsonl"


async def _measure(settings: Settings, questions: list[dict], dense_only: bool) -> dict:
    pipeline = build_services(settings)
    if dense_only:
        pipeline.parts.weights = dataclasses.replace(pipeline.parts.weights, lexical=0.0)
    await pipeline.start()
    try:
        run = await run_eval(pipeline, questions)
        started = time.perf_counter()
        for q in questions[:40]:
            pipeline.parts.embedder.encode([q["question"]])
        embed_ms = (time.perf_counter() - started) * 1000 / 40
    finally:
        await pipeline.close()
    return {"summary": run.summary, "embed_ms": embed_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["use-multilingual-v3", "minilm-l6-v2"])
    parser.add_argument("--set", type=Path, default=DEV)
    args = parser.parse_args()
    questions = load_questions(args.set)
    table = Table(title=f"embedders on {args.set.name}")
    for col in ("model", "mode", "hit@1 en/zh/mixed", "hit@5 en/zh/mixed", "mrr@10", "build s", "query embed ms"):
        table.add_column(col)
    rows = []
    for model in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), embed_model=model, redis_url=None)
            started = time.perf_counter()
            run_ingest(settings, progress=False)
            build_s = time.perf_counter() - started
            for dense_only in (False, True):
                m = asyncio.run(_measure(settings, questions, dense_only))
                s = m["summary"]
                row = {
                    "model": model, "mode": "dense only" if dense_only else "hybrid",
                    "hit1": [s[k]["hit@1"] for k in ("en", "zh", "mixed")],
                    "hit5": [s[k]["hit@5"] for k in ("en", "zh", "mixed")],
                    "mrr": s["overall"]["mrr@10"], "build_s": build_s, "embed_ms": m["embed_ms"],
                }
                rows.append(row)
                table.add_row(model, row["mode"], " / ".join(f"{v:.2f}" for v in row["hit1"]),
                              " / ".join(f"{v:.2f}" for v in row["hit5"]), f"{row['mrr']:.3f}",
                              f"{build_s:.0f}", f"{row['embed_ms']:.1f}")
    Console().print(table)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
