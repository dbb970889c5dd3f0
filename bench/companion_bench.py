"""Latency of the companion's commands without an LLM: the service calls the adapters make, over the
index in ATLAS_DATA_DIR and a real Redis (a key prefix of its own, removed afterwards).

    python bench/companion_bench.py --runs 3 [--redis-url redis://127.0.0.1:6379/14] [--n 40]

Each run: a fresh service (the question bank built once, before timing), ``--n`` members each doing
quiz → answer → review → flashcards → next → module → progress → leaderboard → plan. Prints p50 / p95 per
command and over all, per run, and the medians of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import build_services  # noqa: E402
from bot.companion.records import Member  # noqa: E402
from bot.settings import Settings  # noqa: E402

TOPICS = ["RAG", "LoRA", "向量数据库", "quantization", "prompt injection", "embeddings", "智能体", "12"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_run(settings: Settings, n: int) -> dict[str, list[float]]:
    services = build_services(settings)
    await services.start()
    companion = services.companion
    await companion.warm_up()
    timings: dict[str, list[float]] = {}

    async def timed(name: str, call):
        start = time.perf_counter()
        result = await call
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return result

    try:
        for i in range(n):
            lang = "zh" if i % 2 else "en"
            member = Member(platform="bench", user_id=str(i), space_id="g", name=f"m{i}")
            topic = TOPICS[i % len(TOPICS)]
            reply = await timed("quiz", companion.quiz(member, lang, topic))
            if reply.quiz:
                await timed("open_quiz", companion.open_quiz("bench", reply.quiz.quiz_id, reply.quiz.question, "g"))
                await timed("answer", companion.answer("bench", reply.quiz.quiz_id, member, i % 4))
            await timed("review", companion.review(member, lang))
            await timed("flashcards", companion.flashcards(member, lang, topic))
            await timed("next", companion.next_module(member, lang))
            await timed("module", companion.module(lang, 1 + i % 30))
            await timed("progress", companion.progress(member, lang))
            await timed("leaderboard", companion.leaderboard(member, lang))
            await timed("plan", companion.plan(member, lang, 2))
        await companion.restore({})  # the bench's own prefix only
    finally:
        await services.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    runs = []
    for r in range(args.runs):
        settings = Settings(redis_url=args.redis_url, key_prefix=f"bench-{uuid.uuid4().hex[:8]}", llm_base_url=None)
        timings = asyncio.run(one_run(settings, args.n))
        every = [t for values in timings.values() for t in values]
        timings["all"] = every
        runs.append(timings)
        print(f"run {r + 1}: " + "  ".join(f"{k} {pct(v, .5):.1f}/{pct(v, .95):.1f}" for k, v in timings.items()))
    print("\nmedian of runs, ms (p50 / p95):")
    for name in runs[0]:
        p50 = statistics.median(pct(run[name], .5) for run in runs)
        p95 = statistics.median(pct(run[name], .95) for run in runs)
        print(f"  {name:<12} {p50:7.2f} {p95:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
