"""The dev set through the real pipeline must not fall below the committed baseline.

`tests/eval/baseline/dev.json` was written by `atlas-bot eval --without-answers` (see the README);
re-record it when a change is meant to move the numbers, and say why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_services
from bot.eval.compare import compare_runs, regressions
from bot.eval.harness import load_questions, load_run, run_eval
from tests.conftest import DEV_SET

pytestmark = pytest.mark.integration

BASELINE = Path(__file__).parent / "baseline" / "dev.json"


async def test_dev_set_quality_stays_at_or_above_the_recorded_floor(atlas_settings, use_embedder):
    pipeline = build_services(atlas_settings, embedder=use_embedder)
    await pipeline.start()
    try:
        run = await run_eval(pipeline.asking, load_questions(DEV_SET))
    finally:
        await pipeline.close()
    comparison = compare_runs(run.to_dict(), load_run(BASELINE))
    quality = {k: v for k, v in comparison.deltas.items() if "latency" not in k}
    failed = regressions(quality, tolerance=0.0)
    lost = [r["id"] for r in comparison.newly_failing]
    assert not failed, f"metrics below the baseline: {failed}; questions lost from the top 5: {lost}"


async def test_the_recorded_floor_meets_the_quality_goals():
    """The numbers the floor holds are the ones the README promises."""
    summary = load_run(BASELINE)["summary"]
    assert summary["en"]["hit@5"] >= 0.97
    # mixed: 11 of 12; the one miss (C-070) is gold in the capstone chapter whose damaged title is left out.
    assert summary["zh"]["hit@5"] >= 0.95 and summary["mixed"]["hit@5"] >= 0.9
    assert summary["overall"]["hit@1"] >= 0.85 and summary["overall"]["mrr@10"] >= 0.90
    # Declines trade recall of unanswerable questions for fewer false refusals on new questions.
    assert summary["overall"]["refusal_recall"] >= 0.6 and summary["overall"]["false_refusal"] <= 0.05
    assert summary["overall"]["shape_problems"] == 0.0
    assert summary["overall"]["citation_valid"] == 1.0
