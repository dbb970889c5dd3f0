"""Comparing a run with a baseline, the regression gate, and the Markdown + PNG report."""

from __future__ import annotations

import dataclasses
import io
import struct

import pytest
from rich.console import Console

from bot.eval import compare_runs, evaluate, regressions, run_eval, write_report
from tests.eval.scripted import BASELINE_SCRIPTS, GOLDEN, ScriptedService, write_golden


def scripts_with(**changes) -> dict:
    """The baseline scripts with some questions' scripts changed (keyword = question id)."""
    ids = {q["id"]: q["question"] for q in GOLDEN}
    out = dict(BASELINE_SCRIPTS)
    for qid, change in changes.items():
        out[ids[qid]] = dataclasses.replace(BASELINE_SCRIPTS[ids[qid]], **change)
    return out


# Q3's gold doc falls from rank 1 to rank 7; Q5 is now declined.
WORSE = scripts_with(Q3={"docs": [f"docs/o{i}.md" for i in range(6)] + ["docs/m_zh.md"]}, Q5={"refused": True})
# Q1's gold doc slips from rank 2 to rank 3: mrr drops a little, every hit@k stays.
SLIGHTLY_WORSE = scripts_with(Q1={"docs": ["docs/b.md", "docs/c.md", "docs/a.md"]})


async def both(current_scripts) -> tuple[dict, dict]:
    baseline = await run_eval(ScriptedService(BASELINE_SCRIPTS), GOLDEN)
    current = await run_eval(ScriptedService(current_scripts), GOLDEN)
    return current.to_dict(), baseline.to_dict()


async def test_compare_names_the_questions_that_changed():
    cmp = compare_runs(*await both(WORSE))
    assert [r["id"] for r in cmp.newly_failing] == ["Q3"]
    assert (cmp.newly_failing[0]["baseline_rank"], cmp.newly_failing[0]["current_rank"]) == (1, 7)
    assert cmp.newly_passing == [] and [r["id"] for r in cmp.rank_changes] == ["Q3"]
    assert [r["id"] for r in cmp.newly_refused] == ["Q5"] and cmp.no_longer_refused == []
    assert cmp.deltas["overall.hit@5"] == {"baseline": 0.6667, "current": 0.3333, "delta": -0.3334}
    assert cmp.deltas["zh.refusal_recall"]["delta"] == 1.0


async def test_compare_the_other_way_round_sees_a_fix():
    current, baseline = await both(WORSE)
    cmp = compare_runs(baseline, current)
    assert [r["id"] for r in cmp.newly_passing] == ["Q3"] and [r["id"] for r in cmp.no_longer_refused] == ["Q5"]


async def test_regressions_name_metrics_that_dropped_beyond_the_tolerance():
    cmp = compare_runs(*await both(SLIGHTLY_WORSE))
    assert regressions(cmp.deltas, 0.05) == ["en.mrr@10", "overall.mrr@10"]  # -0.1667 and -0.0556
    assert regressions(cmp.deltas, 0.1) == ["en.mrr@10"]
    assert regressions(cmp.deltas, 0.2) == []


@pytest.mark.parametrize("metric,baseline,current,regressed", [
    ("false_refusal", 0.05, 0.2, True),  # rising false refusals is a drop
    ("false_refusal", 0.2, 0.05, False),
    ("hit@5", 0.80, 0.75, False),  # exactly at the tolerance, despite float rounding
    ("hit@5", 0.80, 0.74, True),
    ("latency_p95_ms", 100.0, 140.0, False),  # latency is relative (+40 % < 50 %)
    ("latency_p95_ms", 100.0, 160.0, True),
])
def test_regression_direction_and_tolerance(metric, baseline, current, regressed):
    delta = {f"overall.{metric}": {"baseline": baseline, "current": current, "delta": current - baseline}}
    assert bool(regressions(delta, 0.05)) is regressed


async def test_evaluate_exits_non_zero_on_a_drop_beyond_the_tolerance(tmp_path):
    golden = write_golden(tmp_path / "set.jsonl")
    quiet = Console(file=io.StringIO())
    assert await evaluate(ScriptedService(BASELINE_SCRIPTS), golden, tmp_path / "base.json", None, 0.05,
                          console=quiet) == 0
    out = io.StringIO()
    code = await evaluate(ScriptedService(SLIGHTLY_WORSE), golden, tmp_path / "new.json", tmp_path / "base.json",
                          0.05, console=Console(file=out, width=200))
    # (the scripted answers take microseconds, so their latency may also count as "slower" on a busy machine)
    failed = regressed_line(out.getvalue())
    assert code == 1 and "en.mrr@10" in failed and "overall.mrr@10" in failed
    out = io.StringIO()
    await evaluate(ScriptedService(SLIGHTLY_WORSE), golden, tmp_path / "new.json", tmp_path / "base.json",
                   0.2, console=Console(file=out, width=200))
    assert "mrr@10" not in regressed_line(out.getvalue())


def regressed_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("regressed beyond")), "")


async def test_evaluate_rejects_a_baseline_that_is_not_a_run(tmp_path):
    (tmp_path / "base.json").write_text('{"hello": 1}')
    out = io.StringIO()
    code = await evaluate(ScriptedService(BASELINE_SCRIPTS), write_golden(tmp_path / "set.jsonl"),
                          tmp_path / "run.json", tmp_path / "base.json", 0.05, console=Console(file=out, width=200))
    assert code == 2 and "not an eval run" in out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_report_lists_summary_misses_and_comparison(tmp_path):
    current, baseline = await both(WORSE)
    md_path = write_report(current, tmp_path / "report" / "run.md", compare_runs(current, baseline))
    md = md_path.read_text()
    assert md_path == tmp_path / "report" / "run.md"
    assert "| hit@5 | 1.000 | 0.000 | 0.000 | 0.333 |" in md
    assert "| LANG_MISMATCH | 0 | 1 | 0 | 1 |" in md
    assert "- **Q2** (zh) 阿尔法是什么？ — gold `docs/a_zh.md` at rank –; top docs: `docs/a.md`, `docs/x_zh.md`" in md
    assert "### Newly failing (hit@5 lost) (1)" in md and "- **Q3** RAG 里的 gamma 怎么选？ — rank 1 → 7" in md
    assert "![scores per language](run.png)" in md
    width, height = png_size((tmp_path / "report" / "run.png").read_bytes())
    assert width > 300 and height > 200


async def test_report_without_a_baseline_has_no_comparison(tmp_path):
    run = await run_eval(ScriptedService(BASELINE_SCRIPTS), GOLDEN)
    md = write_report(run, tmp_path / "run.md").read_text()
    assert "## Misses" in md and "Compared with the baseline" not in md
