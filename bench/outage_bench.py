"""What a Redis outage costs a running bot: the real services (default settings: 0.25 s Redis timeout,
a retry every 2 s) over the Atlas index, and a private ``redis-server`` this script starts, kills,
pauses (SIGSTOP, a hung Redis) and restarts.

Per run, 20 different dev questions per phase (so no phase gets another's cache hits):
- ask latency with Redis up, killed, and hung (the first question meets the timeout, the rest do not);
- after Redis comes back: seconds until a vote given during the outage is in Redis, and until the
  store reports "ok" after a hang;
- the size of one kept trace (what each in-process trace copy costs);
- wall time of ``atlas-bot health`` (a fresh process, as compose's healthcheck runs it).

    .venv/bin/python bench/outage_bench.py --runs 3 --data-dir DIR    (DIR: an ingested data dir)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tests.pipeline import PrivateRedis  # noqa: E402 - the same throwaway redis-server the fault suite uses

DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"
PER_PHASE = 20


async def _ask_all(services, questions: list[str], asker) -> list[float]:
    """Milliseconds per question, in order."""
    out = []
    for question in questions:
        started = time.perf_counter()
        await services.asking.ask(question, asker)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def _seconds_until(condition, timeout: float = 30.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def one_run(data_dir: Path, questions: list[str]) -> dict[str, float]:
    from bot.bootstrap import build_services
    from bot.domain import Asker
    from bot.settings import Settings

    server = PrivateRedis().start()
    services = build_services(Settings(_env_file=None, data_dir=data_dir, redis_url=server.url, llm_base_url=None))
    await services.start()
    asker = Asker(platform="telegram", user_id="bench", space_id="bench", channel_id="bench")
    phases = [questions[i * PER_PHASE:(i + 1) * PER_PHASE] for i in range(3)]
    try:
        await services.asking.ask("What does the Atlas say about transformers?", asker)  # warm up
        up = await _ask_all(services, phases[0], asker)

        server.stop()
        down = await _ask_all(services, phases[1], asker)
        trace = await services.traces.last(asker)
        await services.traces.vote(trace.trace_id, asker, "down")
        server.start()
        client = server.client()
        vote_lands = await _seconds_until(lambda: client.hgetall(f"atlas:feedback:v2:{trace.trace_id}"))

        server.pause()
        hung = await _ask_all(services, phases[2], asker)
        server.resume()
        hang_ends = await _seconds_until(lambda: services.store.status == "ok")
    finally:
        await services.close()
        server.stop()
    return {
        "ask p50 ms, Redis up": statistics.median(up),
        "ask p50 ms, Redis killed": statistics.median(down),
        "ask ms, first with Redis hung": hung[0],
        "ask p50 ms, rest with Redis hung": statistics.median(hung[1:]),
        "s until an outage vote is in Redis": vote_lands,
        "s until 'ok' after a hang ends": hang_ends,
        "trace kept in process, KB": len(trace.model_dump_json()) / 1024,
    }


def health_seconds(data_dir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(ATLAS_DATA_DIR=str(data_dir), ATLAS_REDIS_URL="")
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "atlas-bot"), "health"], env=env, capture_output=True,
                   check=True, timeout=120)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir holding an ingested index")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    questions = [json.loads(line)["question"] for line in DEV_SET.read_text().splitlines() if line.strip()]
    results = []
    for _ in range(args.runs):
        numbers = asyncio.run(one_run(args.data_dir, questions[:3 * PER_PHASE]))
        numbers["atlas-bot health, s"] = health_seconds(args.data_dir)
        results.append(numbers)
    table = Table(title=f"Redis outage: medians of {args.runs} run(s)")
    table.add_column("measure")
    table.add_column("median", justify="right")
    table.add_column("runs", justify="right")
    for key in results[0]:
        values = [r[key] for r in results]
        table.add_row(key, f"{statistics.median(values):.2f}", " / ".join(f"{v:.2f}" for v in values))
    Console().print(table)


if __name__ == "__main__":
    main()
