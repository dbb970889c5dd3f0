"""The Chinese docs' words for English terms, read from their "语义缓存 (Semantic Cache)" brackets."""

from __future__ import annotations

import pytest

from bot.domain import Chunk
from bot.index.bridge import TermBridge

pytestmark = pytest.mark.unit


def _zh(doc: str, text: str) -> Chunk:
    return Chunk(id=doc, doc=doc, title=doc, lang="zh", text=text)


DOCS = [
    _zh("a_zh.md", "**语义缓存 (Semantic Cache)** 会拦截重复的问题。第二层是向量 (Vector) 路径。"),
    _zh("b_zh.md", "命中语义缓存时不再调用模型。每个 Token 都要计费：逐字 (Token) 输出。"),
    _zh("c_zh.md", "攻击向量 (Vector) 可以藏在文档里；攻击向量很多。Token 的价格不同。"),
    _zh("d_zh.md", "只出现一次的循环神经网络 (RNN)。"),
    Chunk(id="e", doc="e.md", title="e", lang="en", text="a 语义缓存 (Semantic Cache) in English docs is not read"),
]


def test_an_english_term_in_a_chinese_question_finds_the_chinese_docs_word():
    bridge = TermBridge.from_chunks(DOCS)
    assert bridge.terms("semantic cache 命中的时候还会调 API 吗？") == ["语义缓存"]


@pytest.mark.parametrize("question", [
    "vector 是什么",  # 向量 in one doc, 攻击向量 in another: no single word for it
    "RNN 为什么慢",  # one doc's bracket is not the docs' word
    "每个 token 多少钱",  # the Chinese docs write "Token" themselves: nothing to bridge
])
def test_no_bridge_where_the_docs_do_not_agree_on_one_word(question):
    assert TermBridge.from_chunks(DOCS).terms(question) == []
