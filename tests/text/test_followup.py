"""Reading a chat message against its conversation, on real study-group messages in both languages:
which ones lean on the previous question, which start a new topic, and the standalone question a
follow-up becomes."""

from __future__ import annotations

import pytest

from bot.text.followup import condense, read_message, subject_of
from bot.text.tokenizer import BilingualTokenizer

TOKENIZER = BilingualTokenizer()


def words(text: str) -> list[str]:
    return TOKENIZER.content_terms(text, stem=False)


def always(_: str) -> bool:
    return True


@pytest.mark.parametrize("text, ask", [
    ("and why?", "why"), ("why?", "why"), ("为什么？", "why"), ("那为什么呢？", "why"),
    ("tell me more", "more"), ("go on", "more"), ("详细说说", "more"), ("还有呢？", "more"),
    ("give me an example", "example"), ("example?", "example"), ("举个例子", "example"), ("能举个例子吗？", "example"),
    ("怎么做？", "how"), ("how?", "how"),
])
def test_a_bare_request_is_a_follow_up_of_its_kind(text, ask):
    reading = read_message(text, always)
    assert reading.followup and reading.ask == ask


@pytest.mark.parametrize("text", [
    "how is it different from function calling?", "how do I detect it?", "which one catches hallucinations?",
    "it's open, what happens to requests?", "它和 RAG 有什么区别？", "它有什么安全风险？",
])
def test_a_message_referring_back_is_a_follow_up(text):
    reading = read_message(text, always)
    assert reading.followup and reading.why.startswith("refers back")


@pytest.mark.parametrize("text", [
    "so what do engineers do about that?", "and what about QLoRA?", "那网页怎么启动？", "那我们已经在用 PostgreSQL 了呢？",
])
def test_a_message_that_opens_by_continuing_is_a_follow_up(text):
    assert read_message(text, always).followup


@pytest.mark.parametrize("text", ["what's the cheaper option then?", "table 具体是怎么 extract 出来的？"])
def test_a_weak_sign_of_continuing_follows_up_only_within_what_was_discussed(text):
    assert read_message(text, always, in_context=always).followup
    assert not read_message(text, always, in_context=lambda _: False).followup


@pytest.mark.parametrize("text", ["还有别的类似表现吗", "那还有其他类似的攻击吗？", "are there other failures like it?"])
def test_asking_for_others_of_the_kind_asks_for_more_not_the_same_part_again(text):
    reading = read_message(text, always)
    assert reading.followup and reading.ask == "more"


def test_a_why_naming_the_subject_just_asked_follows_up_only_in_the_words_of_its_doc():
    shares = lambda _: "batch"  # noqa: E731 - "continuous batching" was just asked about
    text = "why is normal batching such a problem for LLMs specifically?"
    assert read_message(text, always, in_context=always, shares_subject=shares).ask == "why"
    assert read_message(text, always, in_context=always, shares_subject=shares).followup
    assert not read_message(text, always, in_context=lambda _: False, shares_subject=shares).followup
    assert not read_message(text, always, in_context=always).followup  # another subject's question


def test_a_question_ending_like_a_follow_up_but_naming_a_new_subject_stands_alone():
    assert not read_message("RAG 和微调的区别是什么呢？", always, in_context=lambda _: False).followup
    assert read_message("具体怎么检测？", lambda _: False).followup  # names nothing: it leans on the last turn


@pytest.mark.parametrize("text", [
    "unrelated, but which software license lets me keep my changes closed source?",
    "new question: how do I deploy a model on runpod?",
    "different topic: what GPU should I get for a LoRA fine-tune? Is it too expensive?",
    "btw, what problems does the INTRO say this project is about?",
    "ok unrelated - how many phases does the threat model curriculum have?",
    "换个问题，显存不够怎么跑大模型？", "另外问一下，Hugging Face 上的模型怎么用 Python 下载？", "对了，DeepSeek 的 API 怎么接？",
    "另一个问题：课程第四阶段有哪些模块？",
])
def test_a_switch_marker_starts_a_new_topic_even_with_a_pronoun(text):
    reading = read_message(text, always)
    assert not reading.followup and reading.switch


@pytest.mark.parametrize("text", [
    "what is LoRA?", "how does DPO work?", "ok thanks. what's the difference between dify and coze?",
    "Streamlit 和 Gradio 怎么选？", "向量数据库怎么选？", "什么是动态少样本提示？",
])
def test_a_question_naming_its_own_subject_stands_alone(text):
    reading = read_message(text, always)
    assert not reading.followup and not reading.switch


def test_whether_a_message_names_a_subject_is_the_callers_call():
    assert read_message("为什么训练起来那么难？", lambda _: False).followup
    assert not read_message("为什么训练起来那么难？", lambda _: True).followup


def test_asking_for_the_other_languages_docs():
    assert read_message("what about the Chinese version?", always).language == "zh"
    assert read_message("what about in English, how many words is 100 tokens?", always).language == "en"
    assert read_message("那英文版呢？", always).language == "en"
    assert read_message("is the Chinese version complete?", always).language is None  # not a follow-up ask


@pytest.mark.parametrize("question, subject", [
    ("what is LoRA?", "LoRA"),
    ("explain the KV cache", "KV cache"),
    ("what's the 'lost in the middle' thing?", "lost in the middle"),
    ("what are the 3 RAG evaluation metrics?", "3 RAG evaluation metrics"),
    ("how do I run a model locally?", "run model locally"),
    ("什么是 RAG？", "RAG"),
    ("MoE 是什么？", "MoE"),
    ("怎么防止提示词泄露？", "防止提示词泄露"),
    ("Vision RAG 是干嘛的？", "Vision RAG"),
    ("Dify 和 Coze 哪个好？", "Dify 和 Coze"),
    ("Streamlit 和 Gradio 怎么选？", "Streamlit 和 Gradio"),
    ("new question: what is GraphRAG?", "GraphRAG"),
])
def test_the_subject_is_the_terms_asked_about(question, subject):
    assert subject_of(question, words) == subject


@pytest.mark.parametrize("message, subject, lang, condensed", [
    ("and why?", "lost in the middle", "en", "why lost in the middle?"),
    ("give me an example", "reward hacking", "en", "give me an example of reward hacking"),
    ("tell me more", "KV cache", "en", "tell me more about KV cache"),
    ("how is it different from function calling?", "MCP", "en", "how is MCP different from function calling?"),
    ("and why is it so cheap to train?", "LoRA", "en", "why is LoRA so cheap to train?"),
    ("how do I detect it?", "indirect prompt injection", "en", "how do I detect indirect prompt injection?"),
    ("what's the cheaper option then?", "GraphRAG", "en", "what's the cheaper option then? (GraphRAG)"),
    ("举个例子", "RAG", "zh", "RAG举个例子"),
    ("为什么？", "MoE", "zh", "MoE为什么？"),
    ("它和 RAG 有什么区别？", "微调", "zh", "微调和 RAG 有什么区别？"),
    ("怎么做？", "幂等键", "zh", "幂等键怎么做？"),
    ("那为什么更贵？", "推理模型", "zh", "那为什么更贵？（推理模型）"),
])
def test_the_standalone_question_keeps_the_follow_ups_words_and_takes_the_subject(message, subject, lang, condensed):
    assert condense(read_message(message, always), subject, lang) == condensed


@pytest.mark.parametrize("message, subject, lang, condensed, ask", [
    ("how does it compare to fine-tuning?", "LoRA", "en", "how does LoRA compare to fine-tuning?", "compare"),
    ("那它的缺点呢", "LoRA", "zh", "那LoRA的缺点呢", "other"),
    ("为什么？", "幂等键", "zh", "幂等键为什么？", "why"),
])
def test_the_follow_ups_kind_survives_condensing(message, subject, lang, condensed, ask):
    reading = read_message(message, always)
    assert reading.followup and reading.ask == ask
    assert condense(reading, subject, lang) == condensed


def test_what_about_in_chinese_docs_asks_the_same_question_of_the_chinese_docs():
    reading = read_message("what about in Chinese docs", always)
    assert reading.followup and reading.language == "zh"
    assert condense(reading, "LoRA", "zh", previous="what is LoRA?") == "what is LoRA?"


def test_what_about_the_chinese_version_asks_the_previous_question_again():
    reading = read_message("what about the Chinese version?", always)
    assert condense(reading, "R.O.L.E. prompt framework", "zh",
                    previous="explain the R.O.L.E. prompt framework") == "explain the R.O.L.E. prompt framework"
