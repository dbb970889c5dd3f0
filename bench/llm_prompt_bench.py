"""Prompt reading on a real local LLM: how long the server takes to read each question's prompt (the
wait before the first token), with and without the fixed part of the prompt already in its cache.

    .venv/bin/python bench/llm_prompt_bench.py --data-dir DIR --llm-url http://127.0.0.1:8088/v1 \
        [--model qwen2.5-1.5b] [--questions 12] [--runs 3] [--passages 2] [--chars 1400]

The real ask pipeline builds each question's prompt (a loopback stand-in records it and fails, so no
answer is generated); every prompt is then sent to the server with ``max_tokens=1``, in three orders:

- ``cold``: a one-word request before each question, so nothing of the prompt is cached;
- ``grouped``: the questions one after another, English first, then Chinese: each reuses the fixed
  prefix (system prompt, example, start of the user message) of the one before;
- ``alternating``: English and Chinese questions in turn (what a bilingual group chat sends).

llama.cpp's server (and llama-cpp-python's) keeps the last prompt's KV cache and reuses its longest common
prefix; ``--cache-prompt`` adds the request field ``cache_prompt: true`` (llama.cpp's ``llama-server``;
llama-cpp-python ignores it). Prints per order the median of the per-question medians over runs, p95,
and the prompt tokens the server reported.
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

import httpx  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.bootstrap import build_services  # noqa: E402
from bot.domain import Asker  # noqa: E402
from bot.eval.harness import load_questions  # noqa: E402
from bot.eval.llm_eval import pick_subset  # noqa: E402
from bot.eval.metrics import percentile  # noqa: E402
from bot.settings import Settings  # noqa: E402

DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"


async def recorded_prompts(args, questions: list[dict]) -> list[tuple[str, list[dict]]]:
    """(answer language, messages) of each question, as the pipeline would send them."""
    seen: list[dict] = []

    async def chat(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.Response(status=400, text="recorded")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    settings = Settings(_env_file=None, data_dir=args.data_dir, redis_url=None,
                        llm_base_url=f"http://{host}:{port}/v1", llm_model=args.model, llm_max_retries=0,
                        llm_breaker_failures=1000, llm_context_passages=args.passages,
                        llm_context_chars=args.chars)
    services = build_services(settings)
    await services.start()
    out = []
    try:
        for i, q in enumerate(questions):
            before = len(seen)
            answer = await services.asking.ask(q["question"], Asker(platform="eval", user_id=f"p{i}",
                                                                    space_id="p", channel_id=f"p{i}"))
            if len(seen) > before:
                out.append((answer.lang, seen[-1]["messages"]))
    finally:
        await services.close()
        await runner.cleanup()
    return out


async def read_time(http: httpx.AsyncClient, args, messages: list[dict]) -> tuple[float, int]:
    payload = {"model": args.model, "messages": messages, "max_tokens": 1, "temperature": 0}
    if args.cache_prompt:
        payload["cache_prompt"] = True
    started = time.perf_counter()
    response = await http.post("chat/completions", json=payload)
    response.raise_for_status()
    return time.perf_counter() - started, response.json().get("usage", {}).get("prompt_tokens", 0)


async def one_order(http, args, prompts, order: str) -> list[tuple[float, int]]:
    if order == "alternating":
        en = [p for p in prompts if p[0] == "en"]
        zh = [p for p in prompts if p[0] == "zh"]
        prompts = [p for pair in zip(en, zh) for p in pair] + en[len(zh):] + zh[len(en):]
    else:
        prompts = sorted(prompts, key=lambda p: p[0])
    out = []
    for _, messages in prompts:
        if order == "cold":
            await read_time(http, args, [{"role": "user", "content": "ping"}])
        out.append(await read_time(http, args, messages))
    return out


async def main_async(args) -> None:
    questions = pick_subset(load_questions(DEV_SET), args.questions)
    prompts = await recorded_prompts(args, questions)
    print(f"{len(prompts)} prompts ({sum(p[0] == 'en' for p in prompts)} en, {sum(p[0] == 'zh' for p in prompts)} zh), "
          f"{args.passages} passages / {args.chars} chars")
    async with httpx.AsyncClient(base_url=args.llm_url.rstrip("/") + "/", timeout=600) as http:
        for order in ("cold", "grouped", "alternating"):
            runs = [await one_order(http, args, prompts, order) for _ in range(args.runs)]
            per_q = [statistics.median(run[i][0] for run in runs) for i in range(len(prompts))]
            tokens = [runs[0][i][1] for i in range(len(prompts))]
            print(json.dumps({"order": order, "read_s_p50": round(statistics.median(per_q), 2),
                              "read_s_p95": round(percentile(per_q, 95), 2),
                              "prompt_tokens_p50": statistics.median(tokens),
                              "tokens_per_s": round(sum(tokens) / sum(per_q), 1),
                              "runs": [[round(t, 2) for t, _ in run] for run in runs]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--llm-url", required=True)
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--passages", type=int, default=2)
    parser.add_argument("--chars", type=int, default=1400)
    parser.add_argument("--cache-prompt", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
