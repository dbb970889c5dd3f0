"""An LLM answer that says less than the docs' first passage: the chapters of a list it leaves out, or
the amount it does not give, found at run time (issue #15), asked for once, else the docs' answer."""

from __future__ import annotations

import pytest

from bot.answering.completeness import is_link_list, key_terms, list_items, missing_items
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
    assert missing_items(vague, VRAM, "Why does a model need VRAM?") == []


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
