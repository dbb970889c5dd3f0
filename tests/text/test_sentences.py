"""Where a sentence ends: the answer's sentences are chosen, cut and rejoined by it."""

from __future__ import annotations

import pytest

from bot.answering.passages import _joined
from bot.text.sentences import announces, sentences


@pytest.mark.parametrize("text, expected", [
    ("The secret: **it is a feature, not a bug.** The same mechanism writes stories.",
     ["The secret: **it is a feature, not a bug.**", "The same mechanism writes stories."]),
    ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
    ("这是**重点。**后面还有。", ["这是**重点。**", "后面还有。"]),
    ("它擅长回答“手册里怎么说的？”，但在别处很糟。", ["它擅长回答“手册里怎么说的？”，但在别处很糟。"]),
    ("Use e.g. the small model. GPT-4. The end", ["Use e.g. the small model.", "GPT-4.", "The end"]),
])
def test_a_sentence_ends_after_its_mark_even_inside_closing_bold_or_quotes(text, expected):
    assert sentences(text) == expected


def test_chinese_sentences_are_rejoined_without_a_space_english_ones_with_one():
    assert _joined(["第一句。", "第二句？", "Then English.", "More."]) == "第一句。第二句？Then English. More."


def test_a_sentence_that_says_what_it_announces_is_no_announcement():
    assert announces("Here is how you can set it up.")
    assert announces("以下是实施蓝图。")
    assert not announces("Here is the secret: **hallucinations are a feature**.")
