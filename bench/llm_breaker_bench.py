"""A hung LLM and the circuit breaker: answer time of sequential questions when the LLM endpoint accepts
requests and never answers (issue #14: each question used to wait the whole 45 s budget).

    .venv/bin/python bench/llm_breaker_bench.py --data-dir DIR [--questions 10] [--runs 3]
                                               [--first-token-timeout 20] [--retries 1] [--failures 3]

A loopback HTTP server that reads each request and then stays silent stands in for the hung LLM; the
real ask pipeline (default settings apart from the options) answers dev questions one after another.
Prints each question's time, and per run the p95 before and after the breaker opened (medians over runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp import web  # noqa: E402

from bot.bootstrap import build_services  # noqa: E402
from bot.domain import Asker  # noqa: E402
from bot.eval.metrics import percentile  # noqa: E402
from bot.settings import Settings  # noqa: E402

DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"


async def hung_server() -> tuple[web.AppRunner, str]:
    async def chat(request: web.Request) -> web.StreamResponse:
        await request.read()
        await asyncio.sleep(3600)
        return web.Response()

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/v1"


async def one_run(args, questions: list[str]) -> tuple[list[float], int | None]:
    runner, url = await hung_server()
    settings = Settings(_env_file=None, data_dir=args.data_dir, redis_url=None, llm_base_url=url, llm_model="hung",
                        llm_first_token_timeout_s=args.first_token_timeout, llm_max_retries=args.retries,
                        llm_breaker_failures=args.failures)
    services = build_services(settings)
    await services.start()
    times, opened_at = [], None
    try:
        for i, question in enumerate(questions):
            started = time.perf_counter()
            answer = await services.asking.ask(question, Asker(platform="eval", user_id=f"b{i}", space_id="b",
                                                               channel_id="b"))
            times.append(time.perf_counter() - started)
            check = answer.trace.answer_check
            if opened_at is None and check is not None and check.fallback == "BREAKER_OPEN":
                opened_at = i
            print(f"  q{i + 1}: {times[-1]:6.2f} s  {answer.trace.answer_mode}"
                  f" ({check.fallback if check else '-'}; breaker: {check.breaker if check else '-'})")
    finally:
        await services.close()
        await runner.cleanup()
    return times, opened_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--first-token-timeout", type=float, default=20.0)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--failures", type=int, default=3)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines()[: args.questions]]
    before, after, totals = [], [], []
    for run in range(args.runs):
        print(f"run {run + 1}")
        times, opened = asyncio.run(one_run(args, questions))
        cut = opened if opened is not None else len(times)
        before.append(percentile(times[:cut], 95) or 0.0)
        after.append(percentile(times[cut:], 95) or 0.0)
        totals.append(sum(times))
        print(f"  breaker open from question {cut + 1}; p95 before {before[-1]:.2f} s, after {after[-1]:.3f} s, "
              f"all {len(times)} questions {totals[-1]:.1f} s")
    print(f"median over {args.runs} runs: p95 before the breaker opened {statistics.median(before):.2f} s; "
          f"p95 once open {statistics.median(after):.3f} s; total {statistics.median(totals):.1f} s")


if __name__ == "__main__":
    main()
