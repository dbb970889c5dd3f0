"""An LLM answer that says less than the docs' first passage: the chapters of a list it leaves out, or
the amount it does not give, found at run time (issue #15), asked for once, else the docs' answer."""

from __future__ import annotations

import pytest

from bot.answering.completeness import is_link_list, key_terms, list_items, missing_items, numbers_left_out
from bot.answering.llm import LLMClient, Timeouts, generate_answer
from bot.answering.prompts import DEFAULT_PROMPTS_DIR, PromptSet
from bot.domain import Chunk
from tests.ingestion import shared_tokenizer
from tests.llm_standin import Reply

CHAPTERS = ("Where to start:\n"
            "- [11. Retrieval Basics](11_retrieval.md): how a search finds passages\n"
            "- [12. Retrieval Rerankers](12_rerank.md): ordering what the search found\n"
            "- [13. Hybrid Retrieval](13_hybrid.md): dense and keyword search together")
WHICH = "Which chapters explain retrieval?"
VRAM = ("A model's weights need parameters × bits / 8 bytes, plus about 20 % for the KV cache.\n"
        "For a 70B model in 4-bit: 70 × 4/8 × 1.2 = 42 GB.")


def test_a_list_answer_naming_one_chapter_of_three_misses_the_other_two():
    assert list_items(CHAPTERS) == ["11. Retrieval Basics", "12. Retrieval Rerankers", "13. Hybrid Retrieval"]
    one = "Start with chapter 11, Retrieval Basics, which shows how a search finds passages [1]."
    assert missing_items(one, CHAPTERS, WHICH) == ["12. Retrieval Rerankers", "13. Hybrid Retrieval"]
    two = "Read Retrieval Basics (11) and then Hybrid Retrieval (13) [1]."
    assert missing_items(two, CHAPTERS, WHICH) == []  # one left out is within the allowance


def test_items_the_question_does_not_point_at_are_not_required():
    passage = "- Goal: answer questions over a database\n- Tools: a SQL runner\n- Workflow: ask, query, chart"
    answer = "It turns a question into SQL, runs it and charts the result [1]."
    assert missing_items(answer, passage, "How does the data analyst template work?") == []


def test_an_amount_question_needs_one_of_the_passages_numbers():
    assert missing_items("About 42 GB of VRAM [1].", VRAM, "How much VRAM does a 70B model need in 4-bit?") == []
    vague = "It needs the weights plus room for the KV cache [1]."
    assert "For a 70B model in 4-bit: 70 × 4/8 × 1.2 = 42 GB." in missing_items(
        vague, VRAM, "How much VRAM does a 70B model need in 4-bit?")
    assert missing_items("Weights live there while it runs [1].", VRAM, "Why does a model need VRAM?") == []


NEEDLE_ZH = ("为了测试长上下文，研究者设计了一个实验：\n"
             "1. 准备一本 200 万字的小说。\n"
             "2. 在第 80 万字的地方插入一句无关的话。\n\n"
             "很多模型在句子位于 20% 处时能得 95 分，但当句子位于 60% 处时，召回率会跌到 40%。"
             "所以工程师只给模型最相关的 4 段文本。")
NEEDLE_Q = "句子放在 20% 和 60% 的位置，召回率差多少？"
SHARDS_ZH = ("**训练难点**\n"
             "- **路由塌缩 (Router Collapse)**：路由器总把数据发给少数几个模块，其余模块学不到东西。\n"
             "- **分片均衡 (Shard Balancing)**：在大集群里分配数据很难。如果 85% 的请求都落到同一个分片，"
             "这台机器就会过载，其他机器只能空等。\n"
             "- …")
SHARDS_Q = "训练的时候有的机器忙死，有的闲着，这叫什么？"
TESTS_ZH = ("- **CheckAttacks** — 阶段: 第二阶段; 目的: 验证 12 条攻击提示都被拦截\n"
            "- **CheckQuiet** — 阶段: 第三阶段; 目的: 验证 18 条正常消息都没有被误拦截（误报率 = 0%）")


def test_an_amount_question_needs_the_numbers_of_the_line_that_answers_it_not_any_number():
    words = shared_tokenizer().content_terms
    right = "句子在 20% 处能得 95 分，在 60% 处召回率会跌到 40% [1]。"
    assert missing_items(right, NEEDLE_ZH, NEEDLE_Q, words) == []
    other = "工程师只给模型最相关的 4 段文本 [1]。"  # a number of the passage, not the one asked for
    assert missing_items(other, NEEDLE_ZH, NEEDLE_Q, words) == [
        "很多模型在句子位于 20% 处时能得 95 分，但当句子位于 60% 处时，召回率会跌到 40%。"]
    assert missing_items("召回率差了 55 分 [1]。", NEEDLE_ZH, NEEDLE_Q, words)  # worked out, not the docs' numbers
    # the line's numbers the question does not give: 95, 40 and 4; one left out is within the allowance
    assert missing_items("位于 20% 处时能得 95 分，位于 60% 处召回率跌到 40% [1]。", NEEDLE_ZH, NEEDLE_Q, words) == []
    assert missing_items("位于 20% 处时能得 95 分 [1]。", NEEDLE_ZH, NEEDLE_Q, words)


def test_an_amount_question_naming_what_it_counts_needs_that_count():
    words = shared_tokenizer().content_terms
    question = "第三阶段那个测试是测什么的？用了多少条数据？"
    assert numbers_left_out("它测误报率，误报率为 0% [1]。", TESTS_ZH, question, words) == [
        "**CheckQuiet** — 阶段: 第三阶段; 目的: 验证 18 条正常消息都没有被误拦截（误报率 = 0%）"]  # that stage's line
    assert numbers_left_out("它用 18 条正常消息测误报率 [1]。", TESTS_ZH, question, words) == []
    assert numbers_left_out("它用 12 条消息测误报率 [1]。", TESTS_ZH, question, words)  # the other stage's count
    # not an amount question: the line it restates gives 18 and 0 (an "=" outside a formula is no result)
    assert numbers_left_out("它验证正常消息都没有被误拦截 [1]。", TESTS_ZH, "第三阶段的测试验证什么？", words)


def test_a_shortened_answer_keeps_the_numbers_of_the_line_it_restates():
    words = shared_tokenizer().content_terms
    missing = ["如果 85% 的请求都落到同一个分片，这台机器就会过载，其他机器只能空等。"]
    assert missing_items("这是分片均衡问题 [1]。", SHARDS_ZH, SHARDS_Q, words) == missing
    assert missing_items("这是分片均衡问题：大部分请求落到同一个分片，机器会过载 [1]。", SHARDS_ZH, SHARDS_Q,
                         words) == missing
    kept = "这是分片均衡问题：如果 85% 的请求都落到同一个分片，这台机器会过载，其他机器空等 [1]。"
    assert missing_items(kept, SHARDS_ZH, SHARDS_Q, words) == []
    # an answer restating no line in particular is not asked for a line's numbers
    assert numbers_left_out("训练时需要让每个模块都得到数据 [1]。", SHARDS_ZH, SHARDS_Q, words) == []


def test_a_formula_line_asks_for_its_result_and_a_models_name_is_no_number():
    assert numbers_left_out("It needs about 42 GB [1].", VRAM, "How much memory for a 70B model in 4-bit?") == []
    passage = "A judge model such as GPT-4 scores each answer."
    assert numbers_left_out("A judge model scores each answer [1].", passage, "What scores the answers?") == []


def _chunk(text: str) -> Chunk:
    return Chunk(id="map-1", doc="docs/map.md", title="Map", lang="en", section_path=["Where to start"], text=text)


@pytest.mark.integration
@pytest.mark.parametrize("second, shown", [
    ("Read Retrieval Basics, Retrieval Rerankers and Hybrid Retrieval, chapters 11 to 13 [1].", "show"),
    ("Start with chapter 11, Retrieval Basics [1].", "fallback"),
])
async def test_an_incomplete_answer_is_asked_once_more_naming_what_is_missing(llm_standin, second, shown):
    llm_standin.script(Reply.ok("Start with chapter 11, Retrieval Basics, on how a search finds passages [1]."),
                       Reply.ok(second))
    client = LLMClient(base_url=llm_standin.base_url, model="m", timeouts=Timeouts(2.0, 2.0, 1.0), budget_s=10.0)
    try:
        answer = await generate_answer(client, PromptSet.load(DEFAULT_PROMPTS_DIR, "v2"), WHICH, "en",
                                       [_chunk(CHAPTERS)], shared_tokenizer())
    finally:
        await client.aclose()
    correction = llm_standin.requests[1].body["messages"][-1]["content"]
    assert "12. Retrieval Rerankers; 13. Hybrid Retrieval" in correction
    assert answer.check.retried == "INCOMPLETE" and answer.verdict.action == shown
    if shown == "fallback":
        assert answer.verdict.reason == "INCOMPLETE"


@pytest.mark.integration
async def test_a_shortened_chinese_answer_is_asked_for_the_sentence_it_left_out(llm_standin):
    llm_standin.script(Reply.ok("这是分片均衡问题 [1]。"),
                       Reply.ok("这是分片均衡问题：如果 85% 的请求都落到同一个分片，这台机器就会过载 [1]。"))
    client = LLMClient(base_url=llm_standin.base_url, model="m", timeouts=Timeouts(2.0, 2.0, 1.0), budget_s=10.0)
    chunk = Chunk(id="moe-1", doc="docs/moe_zh.md", title="训练", lang="zh", section_path=["训练难点"], text=SHARDS_ZH)
    try:
        answer = await generate_answer(client, PromptSet.load(DEFAULT_PROMPTS_DIR, "v2"), SHARDS_Q, "zh",
                                       [chunk], shared_tokenizer())
    finally:
        await client.aclose()
    assert "如果 85% 的请求都落到同一个分片" in llm_standin.requests[1].body["messages"][-1]["content"]
    assert answer.check.retried == "INCOMPLETE" and answer.verdict.action == "show"


def test_a_list_of_linked_chapters_is_a_map_and_a_list_of_labels_is_not():
    assert is_link_list(CHAPTERS)
    assert not is_link_list("- Goal: answer questions over a database\n- Tools: a SQL runner\n- Workflow: ask, query")
    assert not is_link_list("See [11. Retrieval Basics](11_retrieval.md) for how a search finds passages.")


def test_the_passages_bold_key_terms_must_stay_in_the_answer():
    passage = ("**How spam filters used to work**\n"
               "Engineers spent their time on **Feature Engineering**, writing rules by hand.\n"
               "- **The Limit**: a changed spelling broke the **handcrafted feature**.")
    assert key_terms(passage) == ["Feature Engineering", "The Limit", "handcrafted feature"]
    vague = "Old filters matched exact words, so a changed spelling slipped through [1]."
    assert missing_items(vague, passage, "Why did old spam filters break?") == [
        "Feature Engineering", "The Limit", "handcrafted feature"]
    kept = "Filters relied on Feature Engineering: each handcrafted feature broke when a spelling changed [1]."
    assert missing_items(kept, passage, "Why did old spam filters break?") == []


def test_a_how_to_question_whose_passage_shows_code_needs_code_in_the_answer():
    passage = "Change the base URL:\n```python\nclient = OpenAI(base_url=\"https://api.example.com\")\n```"
    prose = "Point the client at the provider's base URL [1]."
    assert missing_items(prose, passage, "How do I point my script at another provider?") == [
        "the code example of passage [1]"]
    with_code = prose + "\n```python\nclient = OpenAI(base_url=\"https://api.example.com\")\n```"
    assert missing_items(with_code, passage, "How do I point my script at another provider?") == []
    assert missing_items(prose, passage, "Why use a base URL?") == []
