"""The eval harness end to end on a scripted service: hand-computed metrics, records, determinism."""

from __future__ import annotations

import copy
import io
import json

import pytest
from rich.console import Console

from bot.eval import EvalInputError, compute_metrics, evaluate, load_questions, run_eval
from tests.eval.scripted import BASELINE_SCRIPTS, GOLDEN, Script, ScriptedService, write_golden


@pytest.fixture
async def run():
    return await run_eval(ScriptedService(BASELINE_SCRIPTS), GOLDEN)


async def test_overall_metrics_match_the_hand_computed_values(run):
    overall = run.summary["overall"]
    assert (overall["n"], overall["answerable"], overall["unanswerable"]) == (5, 3, 2)
    assert overall["hit@1"] == 0.3333  # only Q3 has its gold doc first
    assert overall["hit@3"] == overall["hit@5"] == 0.6667  # Q1 (rank 2) and Q3; Q2 only found the twin
    assert overall["mrr@10"] == 0.5  # (1/2 + 0 + 1) / 3
    assert overall["twin@5"] == 1.0
    assert overall["refusal_recall"] == 0.5  # Q4 declined, Q5 answered
    assert overall["false_refusal"] == 0.0
    assert overall["key_fact_recall"] == 0.75  # alpha, Beta (case-insensitive), 检索 found; "gamma 值" not
    assert overall["citation_valid"] == 0.75  # Q2 cites [2] with one citation
    assert overall["cited_gold_share"] == 0.6667  # Q2 cites the English twin, not its gold
    assert overall["diagnostics"] == {"FP1_MISSING_CONTENT": 1, "LANG_MISMATCH": 1}


async def test_metrics_per_language(run):
    en, zh, mixed = run.summary["en"], run.summary["zh"], run.summary["mixed"]
    assert (en["hit@1"], en["hit@3"], en["mrr@10"], en["refusal_recall"]) == (0.0, 1.0, 0.5, 1.0)
    assert (zh["hit@5"], zh["twin@5"], zh["refusal_recall"], zh["citation_valid"]) == (0.0, 1.0, 0.0, 0.5)
    assert (mixed["hit@1"], mixed["key_fact_recall"], mixed["refusal_recall"]) == (1.0, 0.0, None)


def test_refusing_an_answerable_question_is_a_false_refusal():
    records = [{"id": "Q1", "docs": ["docs/a.md"], "refused": True, "answer": "", "citations": []}]
    summary = compute_metrics(records, GOLDEN)
    assert summary["en"]["false_refusal"] == 1.0
    assert summary["en"]["hit@1"] == 1.0  # retrieval is scored even when the answer is declined


async def test_one_record_per_question_with_distinct_ranked_docs(run):
    q1 = run.records[0]
    assert [r["id"] for r in run.records] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert q1["docs"] == ["docs/b.md", "docs/a.md", "docs/c.md"]
    assert q1["gold_rank"] == 2 and q1["refused"] is False
    assert q1["citations"][0]["doc"] == "docs/a.md"
    assert run.records[1]["diagnostics"] == [{"code": "LANG_MISMATCH", "severity": "warn"}]
    assert run.meta | {"created_at": 0} == {"index_id": "idx-1", "embed_model": "fake-embed", "prompt_version": "v1",
                                            "llm_model": None, "created_at": 0, "questions": 5}


async def test_an_answer_from_the_atlas_map_is_ranked_by_the_docs_it_cites():
    scripts = dict(BASELINE_SCRIPTS)  # a navigation answer looks up the map: no chunk was searched
    scripts["What is alpha?"] = Script([], "Read [Alpha](x) [1], then [Beta](y) [2].", cited=["docs/a.md", "docs/b.md"])
    run = await run_eval(ScriptedService(scripts), GOLDEN)
    assert run.records[0]["docs"] == ["docs/a.md", "docs/b.md"] and run.records[0]["gold_rank"] == 1


async def test_each_question_is_asked_as_its_own_eval_user():
    service = ScriptedService(BASELINE_SCRIPTS)
    await run_eval(service, GOLDEN)
    assert [(a.platform, a.user_id) for _, a in service.asked][:2] == [("eval", "eval-Q1"), ("eval", "eval-Q2")]


async def test_same_inputs_give_the_same_json_except_timing():
    def without_timing(run) -> dict:
        data = json.loads(run.to_json())
        data["meta"].pop("created_at")
        for record in data["records"]:
            record.pop("latency_ms")
        for group in data["summary"].values():
            group.pop("latency_p50_ms"), group.pop("latency_p95_ms")
        return data

    first = await run_eval(ScriptedService(BASELINE_SCRIPTS), GOLDEN)
    second = await run_eval(ScriptedService(copy.deepcopy(BASELINE_SCRIPTS)), GOLDEN)
    assert without_timing(first) == without_timing(second)


async def test_a_question_that_raises_is_recorded_and_the_run_goes_on():
    class Flaky(ScriptedService):
        async def ask(self, question, asker):
            if question == "What is alpha?":
                raise RuntimeError("boom")
            return await super().ask(question, asker)

    run = await run_eval(Flaky(BASELINE_SCRIPTS), GOLDEN)
    assert run.records[0]["error"] == "RuntimeError: boom" and run.records[0]["docs"] == []
    assert run.records[1]["error"] is None


@pytest.mark.parametrize("line,message", [
    ('{"id": "X", "lang": "en"', "line 2: not valid JSON"),
    ('{"id": "X", "lang": "fr", "question": "q"}', "lang must be en, zh or mixed"),
    ('{"id": "Q1", "lang": "en", "question": "again"}', "duplicate id 'Q1'"),
    ('{"id": "X", "lang": "en"}', "missing or empty field 'question'"),
])
def test_a_broken_golden_set_names_the_line(tmp_path, line, message):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GOLDEN[0]) + "\n" + line + "\n")
    with pytest.raises(EvalInputError, match=message):
        load_questions(path)


async def test_evaluate_reports_a_bad_set_with_exit_code_2(tmp_path):
    out = io.StringIO()
    code = await evaluate(ScriptedService(BASELINE_SCRIPTS), tmp_path / "missing.jsonl", tmp_path / "run.json", None,
                          0.02, console=Console(file=out, width=120))
    assert code == 2 and "cannot read the question set" in out.getvalue()
    assert not (tmp_path / "run.json").exists()


async def test_evaluate_writes_run_report_and_chart(tmp_path):
    out = io.StringIO()
    code = await evaluate(ScriptedService(BASELINE_SCRIPTS), write_golden(tmp_path / "set.jsonl"),
                          tmp_path / "runs" / "run.json", None, 0.02, console=Console(file=out, width=120))
    assert code == 0
    run = json.loads((tmp_path / "runs" / "run.json").read_text())
    assert run["summary"]["overall"]["mrr@10"] == 0.5 and len(run["records"]) == 5
    assert (tmp_path / "runs" / "run.md").read_text().startswith("# Atlas eval report")
    assert (tmp_path / "runs" / "run.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "hit@5" in out.getvalue() and "0.667" in out.getvalue()
