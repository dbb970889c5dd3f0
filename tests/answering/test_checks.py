"""Post-generation checks: what a reader would be misled by in an LLM answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answering.checks import Verdict, check_answer, contradiction, says_not_covered, verdict
from tests.ingestion import shared_tokenizer
from tests.answering import sample_chunks

pytestmark = pytest.mark.unit

TOKENIZER = shared_tokenizer()
CHUNKS = sample_chunks()


def test_markers_pointing_to_no_source_are_dropped_and_the_sentence_recited() -> None:
    answer = (
        "RAG retrieves relevant passages from an external knowledge base [1][7]. "
        "It answers from fresh documents instead of frozen training data [0]. "
        "The attacker makes the model spill its system prompt [3, 9]."
    )
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == (
        "RAG retrieves relevant passages from an external knowledge base [1]. "
        "It answers from fresh documents instead of frozen training data [1]. "
        "The attacker makes the model spill its system prompt [3]."
    )
    assert check.markers_dropped == [7, 0, 9]
    assert check.recited == 1


def test_marker_forms_are_normalised_to_plain_brackets() -> None:
    text, check = check_answer("向量数据库存储嵌入向量【2】，并用 HNSW 索引快速找到语义相似的段落［2］。", "zh", CHUNKS, TOKENIZER)
    assert text == "向量数据库存储嵌入向量[2]，并用 HNSW 索引快速找到语义相似的段落[2]。"
    assert check.markers_dropped == []


def test_code_is_left_alone() -> None:
    answer = ("RAG retrieves relevant passages from a knowledge base [1]:\n```text\nanswers from fresh documents "
              "[7] instead of its frozen training data\n```\nThe attacker spills the system prompt with `passages[9]` [3].")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert "fresh documents [7] instead" in text and "`passages[9]`" in text
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


def test_markers_before_sentences_bind_forward() -> None:
    """Seen with a real 1.5B model: "[1] A. [2] B." — the old check tied [2] to sentence A."""
    answer = ("[1] RAG retrieves relevant passages from an external knowledge base. "
              "[3] The attacker feeds crafted inputs to make the model spill its system prompt.")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == ("RAG retrieves relevant passages from an external knowledge base [1]. "
                    "The attacker feeds crafted inputs to make the model spill its system prompt [3].")
    assert (check.markers_checked, check.markers_supported, check.recited) == (2, 2, 0)


def test_markers_at_the_paragraph_end_cover_its_sentences() -> None:
    answer = ("RAG retrieves relevant passages from an external knowledge base. "
              "The attacker feeds crafted inputs to make the model spill its system prompt. [1][3]")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == ("RAG retrieves relevant passages from an external knowledge base [1]. "
                    "The attacker feeds crafted inputs to make the model spill its system prompt [3].")
    assert check.unmarked_sentences == [] and check.markers_supported == 2


def test_list_markers_inside_one_sentence_are_checked() -> None:
    answer = ("RAG retrieves relevant passages from an external knowledge base [1], and the attacker feeds "
              "crafted inputs to make the model spill its system prompt [3].")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == answer
    assert (check.markers_checked, check.markers_supported) == (2, 2)


def test_a_sentence_no_passage_supports_is_dropped_as_outside_knowledge() -> None:
    answer = ("RAG retrieves relevant passages from an external knowledge base [1]. "
              "Blacklisting known bad words and whitelisting safe topics stops every attack [3].")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert text == "RAG retrieves relevant passages from an external knowledge base [1]."
    assert check.outside_knowledge == ["Blacklisting known bad words and whitelisting safe topics stops every attack."]
    assert verdict(check, "en") == Verdict("show")


def test_a_repeated_sentence_contradicting_its_passage_leaves_nothing_and_is_asked_again() -> None:
    """Seen: "[1] 是的，量化会让模型变笨。 [2] 是的，量化会让模型变笨。" against a passage saying the opposite."""
    chunks = [CHUNKS[1].model_copy(update={"text": "量化不会让模型变笨。4-bit 量化后显存少了一半。"})]
    text, check = check_answer("[1] 是的，量化会让模型变笨。 [1] 是的，量化会让模型变笨。", "zh", chunks, TOKENIZER)
    assert text == ""
    assert len(check.repeated_sentences) == 1 and len(check.contradictions) == 1
    assert verdict(check, "zh") == Verdict("retry", "REPEATED")


@pytest.mark.parametrize("sentence, why", [
    ("Retrieval-Augmented Generation does not retrieve relevant passages from an external knowledge base.", "negation"),
    ("向量数据库不会把文本的嵌入向量存起来。", "negation"),
    ("A 70B model in 4-bit needs 52 GB of memory.", "number 52"),
])
def test_a_flipped_negation_or_a_changed_number_is_a_contradiction(sentence: str, why: str) -> None:
    passage = f"{CHUNKS[0].text} {CHUNKS[1].text} A 70B model in 4-bit needs 42 GB of memory."
    assert contradiction(sentence, passage) == why


def test_restating_the_passage_is_no_contradiction() -> None:
    passage = f"{CHUNKS[0].text} A 70B model in 4-bit needs 42 GB of memory."
    assert contradiction("A 70B model in 4-bit needs about 42 GB of memory.", passage) is None
    assert contradiction("Retrieval-Augmented Generation retrieves relevant passages from a knowledge base.",
                         passage) is None


def test_a_passage_dump_is_asked_again_but_a_copied_sentence_is_fine() -> None:
    long_chunk = CHUNKS[0].model_copy(update={"text": CHUNKS[0].text + " " + CHUNKS[2].text + " Chunks that are "
                                              "too long dilute the embedding, and chunks that are too short lose "
                                              "the context a reader needs. Overlap between neighbouring chunks keeps "
                                              "a sentence that spans a boundary findable from either side."})
    _, dump = check_answer(long_chunk.text + " [1]", "en", [long_chunk], TOKENIZER)
    _, one = check_answer(CHUNKS[0].text.split(". ")[0] + " [1].", "en", [long_chunk], TOKENIZER)
    assert dump.copy_share > 0.9 and verdict(dump, "en") == Verdict("retry", "COPYING")
    assert one.copy_share > 0.9 and verdict(one, "en") == Verdict("show")


def test_a_decline_and_an_answer_citing_nothing_the_checks_cannot_cite_are_asked_again() -> None:
    _, declined = check_answer("The Atlas does not cover this.", "en", CHUNKS, TOKENIZER)
    _, uncited = check_answer("Most teams fine-tune their models every Friday afternoon.", "en", CHUNKS, TOKENIZER)
    assert verdict(declined, "en") == Verdict("retry", "LLM_DECLINED")
    assert verdict(uncited, "en") == Verdict("retry", "NO_CITATION")


def test_an_answer_citing_nothing_is_shown_with_the_passages_that_support_it() -> None:
    """Seen with a real 1.5B model: fluent, right, and no [n] at all — even after being asked for them."""
    text, check = check_answer("RAG retrieves relevant passages from an external knowledge base. The attacker "
                               "feeds crafted inputs to make the model spill its system prompt.", "en", CHUNKS, TOKENIZER)
    assert text == ("RAG retrieves relevant passages from an external knowledge base [1]. The attacker "
                    "feeds crafted inputs to make the model spill its system prompt [3].")
    assert not check.cited_any and check.recited == 2 and verdict(check, "en") == Verdict("show")


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


def test_table_rows_and_code_are_checked_too() -> None:
    answer = ("| what | how |\n|---|---|\n"
              "| RAG | retrieves relevant passages from an external knowledge base [1] |\n"
              "| Quantum annealing | schedules GPU clusters overnight for every team [1] |\n\n"
              "```python\nrag.retrieve(knowledge_base).paste_into(prompt)\n```")
    text, check = check_answer(answer, "en", CHUNKS, TOKENIZER)
    assert "| RAG | retrieves relevant passages from an external knowledge base [1] |" in text
    assert "| what | how |" in text and "Quantum" not in text and "paste_into" not in text
    assert check.outside_knowledge == ["Quantum annealing; schedules GPU clusters overnight for every team",
                                       "(code) rag.retrieve(knowledge_base).paste_into(prompt)"]


def test_a_chapter_number_in_brackets_is_kept_as_a_number() -> None:
    """Seen with a real 1.5B model: "The curriculum explains quantization in [27]." (of 3 passages)."""
    chunks = [CHUNKS[0].model_copy(update={"text": "27. Model Quantization: the curriculum explains quantization "
                                                   "with GGUF and 4-bit formats."})]
    text, check = check_answer("The curriculum explains quantization in [27].", "en", chunks, TOKENIZER)
    assert text == "The curriculum explains quantization in 27 [1]."
    assert check.markers_dropped == []


def test_a_marker_on_a_line_of_its_own_cites_the_paragraph_before() -> None:
    """Seen with a real 1.5B model: the answer, a blank line, then "[2]"."""
    text, check = check_answer("The attacker feeds crafted inputs to make the model spill its system prompt.\n\n[3]",
                               "en", CHUNKS, TOKENIZER)
    assert text == "The attacker feeds crafted inputs to make the model spill its system prompt [3]."
    assert check.cited_any and check.markers_supported == 1 and check.recited == 0


def test_words_restating_the_question_are_not_what_a_sentence_claims() -> None:
    """Seen with a real 1.5B model: the question restated around the one fact the passage gives."""
    chunks = [CHUNKS[2].model_copy(update={"text": "35. Local Guard Models: Llama Guard screens every prompt."})]
    question = "Which chapter should I read to run Llama Guard as a local safety filter in front of our model?"
    answer = "The chapter you should read to run Llama Guard as a local safety filter in front of your model is [35]."
    text, check = check_answer(answer, "en", chunks, TOKENIZER, question=question)
    assert text.endswith("is 35 [1].") and check.outside_knowledge == []
    _, alone = check_answer(answer, "en", chunks, TOKENIZER)
    assert alone.outside_knowledge  # without the question, most of its words look like unsupported claims
    wrong, check = check_answer("The chapter you should read to run Llama Guard is about fine-tuning adapters [1].",
                                "en", chunks, TOKENIZER, question=question)
    assert wrong == "" and check.outside_knowledge
