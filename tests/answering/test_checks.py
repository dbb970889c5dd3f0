"""Post-generation checks: what a reader would be misled by in an LLM answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answering.checks import check_answer, says_not_covered
from tests.ingestion import shared_tokenizer
from tests.answering import sample_chunks

pytestmark = pytest.mark.unit

TOKENIZER = shared_tokenizer()
CHUNKS = sample_chunks()


def test_markers_pointing_to_no_source_are_dropped_and_reported() -> None:
    answer = (
        "RAG retrieves relevant passages from an external knowledge base [1][7]. "
        "It answers from fresh documents instead of frozen training data [0]. "
        "Vector databases store embeddings [2, 9]."
    )
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == (
        "RAG retrieves relevant passages from an external knowledge base [1]. "
        "It answers from fresh documents instead of frozen training data. "
        "Vector databases store embeddings [2]."
    )
    assert check.markers_dropped == [7, 0, 9]


def test_marker_forms_are_normalised_to_plain_brackets() -> None:
    text, check = check_answer("RAG 从外部知识库检索相关段落【1】。向量数据库存储嵌入向量［2］，并用 HNSW 检索[1，2]。", "zh", CHUNKS, TOKENIZER)
    assert text == "RAG 从外部知识库检索相关段落[1]。向量数据库存储嵌入向量[2]，并用 HNSW 检索[1][2]。"
    assert check.markers_dropped == []


def test_code_is_left_alone() -> None:
    answer = "Index a list like this [1]:\n```python\nfirst = passages[7]\n```\nor inline `passages[9]` [1]."
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert "first = passages[7]" in text and "`passages[9]`" in text
    assert check.markers_dropped == []


def test_sentences_without_a_marker_are_listed() -> None:
    answer = (
        "## How RAG works\n"
        "RAG retrieves relevant passages and pastes them into the prompt [1]. "
        "Most teams also fine-tune the model every week.\n"
        "- See [1].\n"
        "```\nno citation needed in code at all here\n```"
    )
    _, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert check.unmarked_sentences == ["Most teams also fine-tune the model every week."]


def test_a_marker_after_the_full_stop_belongs_to_its_sentence() -> None:
    _, check = check_answer("RAG pastes passages into the prompt. [1] 向量数据库用 HNSW 索引查找相似段落。[2]", "en", CHUNKS, TOKENIZER)
    assert check.unmarked_sentences == []


def test_sentences_the_cited_chunk_does_not_support_are_flagged() -> None:
    answer = (
        "RAG retrieves relevant passages from an external knowledge base [1]. "
        "Quantum annealing schedules optimise GPU clusters overnight [1]. "
        "向量数据库用近似最近邻索引找到相似段落[2]。"
        "微调会改变模型的全部权重参数[2]。"
    )
    _, check = check_answer(answer, "zh", CHUNKS, TOKENIZER)
    assert check.unsupported_sentences == [
        "Quantum annealing schedules optimise GPU clusters overnight.",
        "微调会改变模型的全部权重参数。",
    ]


def test_the_overlap_threshold_is_a_parameter() -> None:
    answer = "RAG pastes passages into the prompt to reduce made-up claims from stale memory [1]."
    _, lenient = check_answer(answer, "en", CHUNKS, TOKENIZER, min_overlap=0.2)
    _, strict = check_answer(answer, "en", CHUNKS, TOKENIZER, min_overlap=0.9)
    assert lenient.unsupported_sentences == []
    assert len(strict.unsupported_sentences) == 1


def test_an_answer_in_the_wrong_language_is_detected() -> None:
    _, check = check_answer("RAG retrieves relevant passages before answering [1].", "zh", CHUNKS, TOKENIZER)
    assert check.answer_lang == "en"


def test_english_code_does_not_make_a_chinese_answer_english() -> None:
    answer = (
        "向量数据库用 HNSW 索引查找语义相似的段落[2]。\n"
        "```python\nindex = hnswlib.Index(space='cosine', dim=512)\nindex.init_index(max_elements=10000)\n```"
    )
    _, check = check_answer(answer, "zh", CHUNKS, TOKENIZER)
    assert check.answer_lang == "zh"


def test_truncation_comes_from_the_finish_reason() -> None:
    _, cut = check_answer("RAG retrieves relevant passages and", "en", CHUNKS, TOKENIZER, finish_reason="length")
    _, whole = check_answer("RAG retrieves relevant passages [1].", "en", CHUNKS, TOKENIZER, finish_reason="stop")
    assert cut.truncated and not whole.truncated


@pytest.mark.parametrize("answer", ["The Atlas does not cover this.", "Atlas 未涉及这个问题。"])
def test_the_not_covered_reply_is_a_decline_not_an_unmarked_claim(answer: str) -> None:
    _, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert check.unmarked_sentences == []
    assert says_not_covered(answer)
    assert not says_not_covered("RAG retrieves passages [1]. The Atlas does not cover this.")


_PIECES = st.sampled_from(
    ["RAG retrieves passages", " ", "。", ". ", "[1]", "[3]", "[0]", "[12]", "【2】", "[1, 5]", "`x[4]`", "\n",
     "向量数据库", "\n```\ny[8]\n```\n", "# Heading\n", "- item "]
)


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_no_marker_outside_code_points_past_the_sources(answer: str) -> None:
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    prose = re.sub(r"```.*?```|`[^`\n]+`", "", text, flags=re.DOTALL)
    cited = [int(n) for n in re.findall(r"(?<![A-Za-z0-9_])\[(\d+)\]", prose)]
    assert all(1 <= n <= len(CHUNKS) for n in cited)
    assert all(n < 1 or n > len(CHUNKS) for n in check.markers_dropped)
