"""The words retrieval and answer scoring read: jieba's cuts that would make another term are fixed."""

from __future__ import annotations

import pytest

from bot.text.tokenizer import BilingualTokenizer

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tokenizer():
    return BilingualTokenizer()


def test_vectorising_is_not_read_as_quantising(tokenizer):
    # jieba cuts 向量化 as 向 / 量化: a question about 量化 (quantisation) matched the chunking pipeline
    pipeline = "原始文档 ──► 文本分块 ──► 向量化 ──► 写入向量数据库"
    assert "量化" not in tokenizer.tokens(pipeline) and "向量" in tokenizer.tokens(pipeline)
    assert "量化" not in tokenizer.content_terms(pipeline)
    assert "量化" in tokenizer.tokens("量化后的模型能省多少显存")  # the word itself is still read


def test_a_negation_is_not_a_word_of_the_question(tokenizer):
    # "isn't" cut at its apostrophe left "isn", a word no doc uses, so it weighed as much as the rarest term:
    # "why isn't a bigger context window enough to replace RAG?" led with a passage that "isn't enough"
    for asked in ("why isn't a bigger context window enough", "it doesn't work and i don't know why",
                  "we can't and won't", "they aren't, wasn't, shouldn't"):
        assert not {"isn", "doesn", "don", "ca", "won", "aren", "wasn", "shouldn"} & set(tokenizer.tokens(asked))
        assert not {"isn", "doesn", "don", "won", "aren", "wasn", "shouldn"} & set(tokenizer.content_terms(asked))
    assert tokenizer.tokens("why isn't a bigger context window enough") == ["bigger", "context", "window", "enough"]


def test_an_acronyms_plural_is_its_singular(tokenizer):
    # the stemmer leaves "LLMs" as "llms", so "why do LLMs hallucinate" missed every passage saying "an LLM"
    for plural, singular in (("LLMs", "LLM"), ("GPUs", "GPU"), ("PDFs", "PDF"), ("CNNs", "CNN"), ("llms", "llm"),
                             ("gpus", "gpu"), ("cpus", "CPU")):
        assert tokenizer.tokens(plural) == tokenizer.tokens(singular), plural
        assert tokenizer.content_terms(plural) == tokenizer.content_terms(singular), plural
    assert tokenizer.tokens("status bus plus opus") == ["status", "bus", "plus", "opus"]  # words, not plurals


def test_a_yes_or_no_question_about_usefulness_keeps_the_quality(tokenizer):
    # "有没有" is a stopword: "检索到的内容到底有没有用？" lost 有用, the word the context-precision section answers with
    assert "有用" in tokenizer.tokens("检索到的内容到底有没有用？") and "好用" in tokenizer.tokens("这个工具好不好用")
    assert "有用" not in tokenizer.tokens("有没有用户量的限制")  # users, not useful


def test_an_acronym_spelled_with_dots_is_the_word_a_reader_types(tokenizer):
    assert "role" in tokenizer.tokens("🏛️ The R.O.L.E. Framework")  # the heading a "ROLE 框架是什么" question names
    assert "r" not in tokenizer.tokens("🏛️ The R.O.L.E. Framework")
