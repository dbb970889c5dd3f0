"""Discord rendering: the sources block, the 2000-character split, the debug view, mentions."""

from __future__ import annotations

import pytest

from bot.domain import Citation
from bot.render import discord as render
from bot.domain import Admission
from tests.fakes import make_answer

pytestmark = pytest.mark.unit


def _fences_balanced(text: str) -> bool:
    return sum(1 for line in text.split("\n") if line.strip().startswith("```")) % 2 == 0


def _citation(n: int, lang: str = "en", twin: bool = True, heading: str = "05. Why RAG? › The RAG Solution"
              ) -> Citation:
    return Citation(n=n, doc=f"docs/d{n}.md", title="05. Why RAG?", section="The RAG Solution", heading=heading,
                    url=f"https://github.com/o/r/blob/abc/docs/d{n}.md#the-rag-solution",
                    twin_url=f"https://github.com/o/r/blob/abc/docs/d{n}_zh.md" if twin else None,
                    lang=lang, chunk_id=f"c{n}")


def test_sources_block_links_each_citation_with_its_twin_and_suppresses_embeds():
    block = render.sources_block([_citation(1), _citation(2, twin=False)], "en")
    assert block.split("\n") == [
        "**Sources**",
        "[1] [05. Why RAG? › The RAG Solution](<https://github.com/o/r/blob/abc/docs/d1.md#the-rag-solution>)"
        " · [中文版](<https://github.com/o/r/blob/abc/docs/d1_zh.md>)",
        "[2] [05. Why RAG? › The RAG Solution](<https://github.com/o/r/blob/abc/docs/d2.md#the-rag-solution>)",
    ]


def test_a_chinese_source_links_its_english_twin_under_a_chinese_header():
    block = render.sources_block([_citation(1, lang="zh")], "zh")
    assert block.startswith("**来源**\n")
    assert block.endswith("· [English](<https://github.com/o/r/blob/abc/docs/d1_zh.md>)")


def test_link_labels_cannot_break_out_of_the_link():
    line = render.source_line(_citation(1, twin=False, heading="Arrays [] and *stars* › a_b"))
    assert line.startswith(r"[1] [Arrays \[\] and \*stars\* › a\_b](<")


def test_no_citations_no_sources_block():
    answer = make_answer("q", text="I could not find this in the Atlas.", refused=True)
    assert render.render_answer(answer) == ["I could not find this in the Atlas."]


def test_answer_and_sources_share_a_message_when_they_fit():
    (message,) = render.render_answer(make_answer("What is RAG?"))
    assert message.startswith("RAG retrieves relevant text and pastes it into the prompt [1].\n\n**Sources**\n[1] [")


def test_long_answer_splits_under_the_limit_with_fences_balanced_and_nothing_lost():
    prose = "Retrieval finds the passages. The model reads them. It cites what it used. " * 8
    code = "```python\n" + "\n".join(f"scores[{i}] = bm25.get_score(tokens, {i})" for i in range(40)) + "\n```"
    text = "\n\n".join([prose] * 6 + [code] + [prose] * 6)
    answer = make_answer("q", text=text)
    answer.citations = [_citation(n) for n in range(1, 6)]

    messages = render.render_answer(answer)
    assert len(messages) >= 4
    assert all(len(m) <= render.MESSAGE_LIMIT for m in messages)
    assert all(_fences_balanced(m) for m in messages)
    assert " ".join(text.split()) in " ".join("\n\n".join(messages).split())
    assert sum(code in m for m in messages) == 1
    assert messages[-1].count("\n[") == 5  # all five sources, after the text


def test_many_sources_get_their_own_messages_under_the_limit():
    answer = make_answer("q", text="x" * 1990)
    answer.citations = [_citation(n, heading=f"Doc {n} › " + "Section " * 20) for n in range(1, 30)]
    messages = render.render_answer(answer)
    assert messages[0] == "x" * 1990
    assert all(len(m) <= render.MESSAGE_LIMIT for m in messages)
    assert sum(m.count("](<https://github.com/o/r/blob/abc/docs/d") for m in messages) == 29 * 2


def test_debug_view_lists_candidates_timings_diagnostics_in_short_code_block_lines():
    trace = make_answer("What is RAG?").trace
    messages = render.render_debug(trace)
    text = "\n".join(messages)
    assert messages[0].startswith(f"**🔍 Debug** `{trace.trace_id}`\n```\n")
    assert all(_fences_balanced(m) and len(m) <= render.MESSAGE_LIMIT for m in messages)
    assert "#1 ✅ 05_rag_principles › The RAG Solution [en]" in text
    assert "    dense 0.61 #1 · lex 12.00 #1 · fused 0.900" in text
    assert "⚠️ FP2_RANK_DISAGREEMENT: rankings disagree" in text
    assert "cache: miss [redis]" in text and "cost: $0.00000" in text
    body_lines = [line for m in messages for line in m.split("\n")[1:] if not line.startswith("```")]
    assert all(len(line) <= render.DEBUG_LINE_WIDTH for line in body_lines)


def test_a_question_with_a_code_fence_cannot_close_the_debug_block():
    trace = make_answer("why does ```this``` fail?").trace
    assert all(_fences_balanced(m) for m in render.render_debug(trace))


def test_mentions_are_shown_as_written_and_pings_are_off():
    hostile = "@everyone look at <@&123> and <@42>"
    (message,) = render.render_answer(make_answer(hostile, text=f"{hostile} [1]."))
    assert message.startswith(f"{hostile} [1].")
    assert render.NO_PINGS.to_dict() == {"parse": []}
    assert render.thread_name(hostile) == hostile


def test_thread_names_fit_discords_limit():
    assert len(render.thread_name("向量数据库" * 40)) <= 100
    assert render.thread_name("  what\nis   RAG? ") == "what is RAG?"


@pytest.mark.parametrize("admission, lang, text", [
    (Admission(ok=False, reason="rate_limited", retry_after_s=30), "en", "You're asking fast — try again in 30 s."),
    (Admission(ok=False, reason="rate_limited", retry_after_s=30), "zh", "你问得有点快——请 30 秒后再试。"),
    (Admission(ok=False, reason="daily_budget"), "en", "This server or chat has used today's question budget"),
])
async def test_refusals_are_friendly_in_the_askers_language(admission, lang, text):
    from bot.adapters import flow
    from bot.domain import Asker
    from tests.fakes import FakeService

    service = FakeService(admit_result=admission)
    outcome = await flow.ask(service, "what is RAG?", Asker(platform="discord"), lang)
    assert outcome.answer is None and outcome.notice.startswith(text)
    assert service.asked == []


def test_about_shows_index_commit_and_models_or_that_there_is_no_index():
    from tests.fakes import FakeService

    about = render.render_about(FakeService().about())
    assert "`test-index`" in about and "`abc`" in about and "`fake` (4-d)" in about
    assert "No index is built yet" in render.render_about(None)
    assert "还没有索引" in render.render_about(None, "zh")
