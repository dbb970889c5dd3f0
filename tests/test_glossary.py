"""Chat words and the other language's term are searched too (content/glossary.toml)."""

from __future__ import annotations

import pytest

from bot.text.tokenizer import BilingualTokenizer
from bot.retrieval.glossary import Glossary
from tests.conftest import REPO

pytestmark = pytest.mark.unit

GLOSSARY = Glossary([["hallucination", "make stuff up", "幻觉", "瞎编"], ["chunk", "分块"], ["hugging face", "hf"]])


def test_a_chat_word_brings_in_the_docs_term_in_the_questions_language():
    assert GLOSSARY.expansions("为什么大模型会瞎编？", "zh") == ["幻觉"]
    assert GLOSSARY.expansions("Why does it make stuff up?", "en") == ["hallucination"]
    assert GLOSSARY.expansions("RAG 的 chunk 怎么切", "zh") == ["分块"]  # code-switched: the Chinese doc's word
    assert GLOSSARY.expansions("幻觉怎么解决", "zh") == []  # already the docs' word: nothing to add


def test_latin_terms_match_whole_words_only():
    assert GLOSSARY.expansions("what is the shf format?", "en") == []  # "hf" inside a word is not Hugging Face
    assert GLOSSARY.expansions("found a repo on HF", "en") == ["hugging face"]


def test_expansion_adds_only_tokens_the_question_lacks():
    tokenizer = BilingualTokenizer()
    tokens = tokenizer.tokens("RAG 的 chunk 怎么切")
    added, terms = GLOSSARY.expand("RAG 的 chunk 怎么切", "zh", tokens, tokenizer)
    assert terms == ["分块"] and "分块" in added and not set(added) & set(tokens)


def test_the_shipped_glossary_loads_and_a_missing_file_means_no_expansion(tmp_path):
    assert Glossary.load(REPO / "content" / "glossary.toml").groups
    assert Glossary.load(tmp_path / "absent.toml").expansions("why does it make stuff up", "en") == []


def test_a_chat_word_counts_as_found_where_the_docs_word_is():
    tokenizer, shipped = BilingualTokenizer(), Glossary.load(REPO / "content" / "glossary.toml")
    # the evidence for answering reads 评估 as found in a passage that says 评测, and 瞎编 where it says 幻觉
    assert shipped.equivalents("我的 RAG 效果到底怎么评估？", "zh", tokenizer) == {"评估": ("评测",)}
    assert GLOSSARY.equivalents("大模型为什么瞎编", "zh", tokenizer) == {"瞎编": ("幻觉",)}
    assert GLOSSARY.equivalents("幻觉和瞎编是一回事吗", "zh", tokenizer) == {}  # it names the docs' word already
