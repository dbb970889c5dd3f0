"""``eval --llm``: the LLM path against the extractive answer to the same questions, over the real index
and the OpenAI-compatible stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.checks import NOT_COVERED
from bot.bootstrap import build_services
from bot.eval.llm_eval import pick_subset, run_llm_eval
from tests.conftest import make_settings
from tests.llm_standin import Reply

pytestmark = pytest.mark.integration

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"


def test_the_subset_is_answerable_stratified_and_fixed():
    questions = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    subset = pick_subset(questions, 30)
    assert [q["lang"] for q in subset].count("en") == 12 and [q["lang"] for q in subset].count("zh") == 12
    assert len(subset) == 30 and all(q.get("answerable", True) and q.get("key_facts") for q in subset)
    assert [q["id"] for q in pick_subset(questions, 30)] == [q["id"] for q in subset]


async def test_an_answer_and_a_declined_question_are_counted_against_the_extractive_answers(
        atlas_data_dir, use_embedder, llm_standin):
    questions = [
        {"id": "q1", "lang": "en", "question": "How does RAG reduce hallucination?", "key_facts": ["RAG"]},
        {"id": "q2", "lang": "en", "question": "What is LoRA rank?", "key_facts": ["rank", "zebra"]},
    ]
    llm_standin.script(Reply.from_passages(1), Reply.ok(NOT_COVERED["en"]), Reply.ok(NOT_COVERED["en"]))
    with_llm = build_services(make_settings(atlas_data_dir, llm_base_url=llm_standin.base_url, llm_model="m"),
                              embedder=use_embedder)
    without = build_services(make_settings(atlas_data_dir), embedder=use_embedder)
    await with_llm.start()
    await without.start()
    try:
        result = await run_llm_eval(with_llm.asking, without.asking, questions)
    finally:
        await with_llm.close()
        await without.close()
    first, second = result["records"]
    assert first["mode"] == "llm" and first["shown_markers"][1] >= 1
    assert first["first_visible_text_ms"] < first["first_llm_token_ms"] < first["latency_ms"]  # the docs' answer first
    assert second["mode"] == "fallback" and second["model_declined"] and not second["refused_by_llm"]
    assert second["answer"] == second["extractive"]  # the fallback is the extractive answer
    overall = result["summary"]["overall"]
    assert (overall["n"], overall["llm_shown"], overall["fallbacks"]) == (2, 1, {"LLM_DECLINED": 1})
    assert (overall["model_declines"], overall["declines_shown"], overall["corrective_retries"]) == (1, 0, 1)
    assert overall["citation_precision_shown"] == 1.0
    assert overall["key_fact_recall_extractive"] == round(
        (first["facts_extractive"] + second["facts_extractive"]) / 3, 3)
    assert result["summary"]["zh"] == {"n": 0}


def test_ids_and_languages_pick_from_the_subset_and_an_unknown_one_is_refused(monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("ATLAS_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    done = CliRunner().invoke(app, ["eval", "--llm", "--set", str(DEV), "--ids", "NOPE-1", "--langs", "fr"])
    assert done.exit_code == 2
    assert "not in the 30-question subset: NOPE-1, fr" in " ".join(done.output.split())
