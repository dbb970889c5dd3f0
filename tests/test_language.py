"""Which language the bot answers in, for the short, messy messages a study group actually sends."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.language import detect_question_language

pytestmark = pytest.mark.unit

# Short chat messages where plain langdetect goes wrong ("ok"→sk, "LoRA?"→pt, 幻觉怎么解决→ko, code-switched→de).
CHAT_CASES = [
    ("ok", "en"),
    ("LoRA?", "en"),
    ("hi", "en"),
    ("thanks!", "en"),
    ("RAG", "en"),
    ("vector DB?", "en"),
    ("what is RAG", "en"),
    ("what's an agent", "en"),
    ("RAG vs fine-tuning?", "en"),
    ("What is prompt injection?", "en"),
    ("How do I pick a chunk size for RAG?", "en"),
    ("Explain the difference between RAG and fine tuning", "en"),
    ("What does 幻觉 mean in the Atlas?", "en"),
    ("How does the 向量数据库 chapter explain HNSW?", "en"),
    ("幻觉怎么解决", "zh"),
    ("为什么", "zh"),
    ("谢谢", "zh"),
    ("什么是 RAG？", "zh"),
    ("MCP 是什么", "zh"),
    ("RAG 的 chunk 怎么切", "zh"),
    ("LoRA 和 QLoRA 的区别", "zh"),
    ("embedding 模型选哪个", "zh"),
    ("prompt injection 怎么防", "zh"),
    ("agent 和 workflow 有什么区别", "zh"),
    ("怎么用 LoRA 微调 Llama 3", "zh"),
]


@pytest.mark.parametrize(("text", "expected"), CHAT_CASES)
def test_short_chat_messages_get_the_right_language(text, expected):
    decision = detect_question_language(text)
    assert decision.lang == expected, decision.reason
    assert decision.reason


@pytest.mark.parametrize("text", ["", "   ", "???", "12345", "🙂🙂", "!!", "…", "🤔 ?"])
@pytest.mark.parametrize("last_lang", [None, "en", "zh"])
def test_symbols_digits_emoji_and_empty_follow_the_askers_last_language(text, last_lang):
    decision = detect_question_language(text, last_lang=last_lang)
    assert decision.lang == (last_lang or "en")
    assert "too short" in decision.reason


def test_a_short_english_word_follows_a_chinese_askers_last_language():
    decision = detect_question_language("ok", last_lang="zh")
    assert decision.lang == "zh"
    assert "last language" in decision.reason


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Qu'est-ce que la génération augmentée par récupération et comment ça marche?", "fr"),
        ("Wie funktioniert die Feinabstimmung eines großen Sprachmodells genau?", "de"),
    ],
)
def test_french_and_german_are_answered_in_english_with_a_note(text, code):
    decision = detect_question_language(text)
    assert decision.lang == "en"
    assert decision.detected == code
    assert decision.note and "English" in decision.note


def test_english_with_jargon_gets_no_foreign_language_note():
    assert detect_question_language("How do I pick a chunk size for RAG?").note is None


@pytest.mark.parametrize(("text", "preferred"), [("幻觉怎么解决", "en"), ("What is prompt injection?", "zh"), ("ok", "zh")])
def test_lang_preference_wins_over_the_text(text, preferred):
    decision = detect_question_language(text, last_lang="en", preferred=preferred)
    assert decision.lang == preferred
    assert "/lang" in decision.reason


def test_the_decision_serialises_with_its_reason():
    dumped = detect_question_language("RAG 的 chunk 怎么切").model_dump(mode="json")
    assert dumped["lang"] == "zh"
    assert "Chinese characters" in dumped["reason"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300),
    last_lang=st.one_of(st.none(), st.sampled_from(["en", "zh", "fr", ""])),
    preferred=st.one_of(st.none(), st.sampled_from(["en", "zh", "xx"])),
)
def test_detection_never_raises_on_arbitrary_text(text, last_lang, preferred):
    decision = detect_question_language(text, last_lang=last_lang, preferred=preferred)
    assert decision.lang in ("en", "zh")
    assert decision.reason


@pytest.mark.parametrize("question, lang", [
    ("LLaMA-Factory 的 training data 要什么 format？instruction / input / output 各放啥", "zh"),
    ("Transformer 里 self-attention 和 multi-head attention", "zh"),
    ("what is GraphRAG exactly? is it basically 知识图谱 + RAG?", "en"),
    ("explain 幻觉 please", "en"),
])
def test_a_sentence_frame_sets_the_language_of_a_code_switched_question(question, lang):
    assert detect_question_language(question).lang == lang
