"""The answer-level verdict in the pipeline (real Atlas index): an answer it doubts shows a one-line caveat
in the asker's language and lands in the coverage-gaps report as an uncertain answer; LLM answers are
judged too."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_services
from bot.domain import Asker
from bot.messages import message
from bot.render.telegram import render_answer
from tests.conftest import make_settings
from tests.llm_standin import Reply

pytestmark = pytest.mark.integration

QUESTION = "RAG 是怎么减少幻觉的？"


async def ask_and_report(settings, embedder, question: str, platform: str = "telegram"):
    pipeline = build_services(settings, embedder=embedder)
    await pipeline.start()
    try:
        answer = await pipeline.asking.ask(question, Asker(platform=platform, user_id="7", channel_id="c1"))
        return answer, await pipeline.admin.gaps_report()
    finally:
        await pipeline.close()


@pytest.mark.parametrize("threshold,doubted", [(0.0, False), (1.0, True)], ids=["trusted", "doubted"])
async def test_a_doubted_answer_carries_a_caveat_and_reaches_the_gaps_report(atlas_data_dir, use_embedder,
                                                                           threshold, doubted):
    """The same answer, judged under a threshold every answer clears and one none does."""
    settings = make_settings(atlas_data_dir, diag={"verdict_threshold": threshold})
    answer, report = await ask_and_report(settings, use_embedder, QUESTION)
    assert not answer.refused and answer.lang == "zh"
    verdict = next(d for d in answer.trace.diagnostics if d.code == "ANSWER_VERDICT")
    assert verdict.severity == ("warn" if doubted else "info")
    shown = "".join(m.plain for m in render_answer(answer))
    assert (message("low_confidence", "zh") in shown) == doubted  # a one-line caveat, in the asker's language
    assert (QUESTION in report) == doubted
    if doubted:
        assert "uncertain answer" in report


async def test_an_eval_run_of_a_doubted_answer_records_no_gap(atlas_data_dir, use_embedder):
    settings = make_settings(atlas_data_dir, diag={"verdict_threshold": 1.0})
    answer, report = await ask_and_report(settings, use_embedder, QUESTION, platform="eval")
    assert any(n.key == "low_confidence" for n in answer.notes)
    assert QUESTION not in report


async def test_an_llm_answer_is_judged_with_the_share_of_its_sentences_the_checks_kept(atlas_data_dir, use_embedder,
                                                                                     llm_standin):
    llm_standin.script(Reply.from_passages(1, 2))
    settings = make_settings(atlas_data_dir, llm_base_url=llm_standin.base_url, llm_model="llm_standin-model",
                             llm_first_token_timeout_s=2.0, llm_stall_timeout_s=1.0, llm_budget_s=5.0)
    answer, _ = await ask_and_report(settings, use_embedder, "How does RAG reduce hallucination?")
    assert answer.trace.answer_mode == "llm"
    verdict = next(d for d in answer.trace.diagnostics if d.code == "ANSWER_VERDICT")
    assert verdict.data["supported_share"] == 1.0  # every sentence it wrote survived the checks
