"""Benchmark of the ingestion job over the Atlas: full build, no-op rebuild, chunks/s, peak RSS.

Each measurement runs the job in a fresh subprocess (so the peak RSS is the job's own, read with
``os.wait4``) with a fresh temporary data dir, and the median of ``--runs`` runs is reported.
Goals: full build <= 60 s, no-op rebuild <= 3 s, peak RSS <= 1.5 GB.

    .venv/bin/python bench/ingest_bench.py --runs 3 [--source DIR] [--embed-model NAME]

The wall time is what an operator waits for (interpreter start, imports, model load included);
the job time is ``BuildReport.seconds`` (from reading the docs to the switch).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
GOALS = {"full build": 60.0, "no-op rebuild": 3.0}
RSS_GOAL_MB = 1536.0


def _worker(data_dir: Path, source: Path | None, embed_model: str) -> None:
    """Runs in the child: one ingest, its report as one JSON line on stdout."""
    sys.path.insert(0, str(REPO))
    from ingestion.job import run_ingest
    from bot.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, source_dir=source, embed_model=embed_model)
    report = run_ingest(settings, progress=False)
    sys.stdout.write(json.dumps({"status": report.status, "seconds": report.seconds, "embedded": report.embedded,
                                 "chunks": sum(report.chunks.values())}) + "\n")


def _run_job(data_dir: Path, source: Path | None, embed_model: str) -> dict:
    """One ingest in a fresh interpreter: its report plus wall time and peak RSS (MB)."""
    cmd = [sys.executable, __file__, "--worker", str(data_dir), "--embed-model", embed_model]
    if source is not None:
        cmd += ["--source", str(source)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: reading two pipes in turn can deadlock
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, cwd=REPO)
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # not child.wait(): wait4 also returns the child's rusage
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"ingest failed ({code}): {err.read().decode(errors='replace')[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result.update(wall=wall, rss_mb=usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
    return result


def _measure(runs: int, source: Path | None, embed_model: str) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"full build": [], "no-op rebuild": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
            full = _run_job(Path(tmp), source, embed_model)
            noop = _run_job(Path(tmp), source, embed_model)
        if full["status"] != "built" or noop["status"] != "up-to-date" or noop["embedded"]:
            raise RuntimeError(f"unexpected run: full={full} no-op={noop}")
        results["full build"].append(full)
        results["no-op rebuild"].append(noop)
    return results


def _report(console: Console, results: dict[str, list[dict]], runs: int, embed_model: str) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    table = Table(title=f"ingest benchmark — {embed_model}, median of {runs} run(s)")
    for column in ("measure", "wall s", "job s", "peak RSS MB", "goal", "ok"):
        table.add_column(column)
    for name, goal in GOALS.items():
        wall, rss = median(name, "wall"), median(name, "rss_mb")
        ok = wall <= goal and rss <= RSS_GOAL_MB
        table.add_row(name, f"{wall:.1f}", f"{median(name, 'seconds'):.1f}", f"{rss:.0f}",
                      f"<= {goal:.0f} s, <= {RSS_GOAL_MB:.0f} MB", "yes" if ok else "NO")
    chunks = results["full build"][0]["chunks"]
    rate = statistics.median(r["chunks"] / r["seconds"] for r in results["full build"])
    console.print(table)
    console.print(f"chunks: {chunks}; {rate:.1f} chunks/s over the job time; "
                  f"all wall times (s): full {[round(r['wall'], 1) for r in results['full build']]}, "
                  f"no-op {[round(r['wall'], 1) for r in results['no-op rebuild']]}", highlight=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=None, help="Docs folder (default: content/sources.toml).")
    parser.add_argument("--embed-model", default="use-multilingual-v3")
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        _worker(args.worker, args.source, args.embed_model)
        return
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    console = Console()
    _report(console, _measure(args.runs, args.source, args.embed_model), args.runs, args.embed_model)


if __name__ == "__main__":
    main()
