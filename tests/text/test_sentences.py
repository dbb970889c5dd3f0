"""Where a sentence ends: the answer's sentences are chosen, cut and rejoined by it."""

from __future__ import annotations

import pytest

from bot.answering.passages import _joined, render_block
from bot.text.markdown import parse_blocks
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


def test_a_sentence_pointing_back_is_kept_with_the_one_before_or_not_at_all():
    # a paragraph too long for the room: the sentence about RRF opens on "It", whose noun is the sentence before
    text = ("Vector search understands meaning. It knows that Tomato and Pomodoro are related. Keyword search is "
            "literal. It ignores raw scores and only looks at ranks, which is what RRF does.")
    block = parse_blocks(text)[0]
    shown = render_block(block, 90, lambda target: target, lambda s: 1.0 if "RRF" in s else 0.0)
    assert shown.startswith("Keyword search is literal.") and "RRF" in shown, shown
    assert not shown.startswith("It "), shown
