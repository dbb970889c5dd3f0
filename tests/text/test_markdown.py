"""The shared block model: every part that reads Markdown agrees on where blocks end."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.markdown import Markdown

from bot.render.split import split_message
from bot.render.telegram import markdown_to_html
from bot.text.markdown import inline_markdown, parse_blocks, plain_text, table_rows
from ingestion.chunking import ChunkerConfig, chunk_doc
from ingestion.loader import SourceDoc

pytestmark = pytest.mark.unit

NESTED_FENCE = "Intro line.\n\n````markdown\n```python\n# not a heading\nprint(1)\n```\n````\n\nAfter the block."


def test_a_four_backtick_fence_holding_a_three_backtick_fence_is_one_block():
    blocks = parse_blocks(NESTED_FENCE)
    assert [b.kind for b in blocks] == ["paragraph", "code", "paragraph"]
    assert blocks[1].info == "markdown" and "print(1)" in blocks[1].body and blocks[1].closed


def test_chunker_splitter_and_telegram_keep_the_nested_fence_whole():
    doc = SourceDoc(path="d.md", lang="en", text="# Title\n\n" + NESTED_FENCE + "\n", sha256="x", title="Title")
    chunks = chunk_doc(doc, ChunkerConfig(max_chars=60))
    holder = [c for c in chunks if "print(1)" in c.text]
    assert len(holder) == 1 and holder[0].text.count("````") == 2  # never cut inside
    assert all("not a heading" not in c.section for c in chunks)  # a '#' line in code is not a section
    parts = split_message(NESTED_FENCE, 45)
    assert sum(p.count("````") for p in parts) % 2 == 0 and any("print(1)" in p and "````" in p for p in parts)
    assert markdown_to_html(NESTED_FENCE).count("<pre>") == 1


def test_a_fence_opened_with_one_info_string_is_not_closed_by_another():
    text = "```bash\n# 1. install\npip install x\n\n```bash\n# still code\n```\n\n## Real heading\n"
    kinds = [(b.kind, b.heading_text) for b in parse_blocks(text)]
    assert kinds == [("code", ""), ("heading", "Real heading")]


def test_an_unclosed_fence_is_reported():
    [block] = parse_blocks("```python\nprint(1)\n")
    assert block.kind == "code" and not block.closed


def test_list_items_and_table_rows():
    [lst] = parse_blocks("- **A**: first\n- B second\n  continued\n  - nested\n")
    assert lst.items == ("**A**: first", "B second\ncontinued\n- nested")
    [table] = parse_blocks("| Name | Score |\n| :--- | ---: |\n| **x** | 1 |\n")
    assert table_rows(table) == [["Name", "Score"], ["**x**", "1"]]


def test_inline_markdown_keeps_only_balanced_chat_markup():
    text = inline_markdown("**用稀疏激活。**在传统的 see [the guide](06_x.md) and [site](https://x.org) ![pic](a.png) "
                           "$\\frac{4}{8}$ `code` <br> 5*3 snake_case", math=lambda s: "4/8")
    assert "**" not in text and "![" not in text and "<br>" not in text and "06_x.md" not in text
    assert "[site](https://x.org)" in text and "the guide" in text and "4/8" in text and "`code`" in text
    assert "5\\*3" in text and "snake_case" in text  # escaped where a renderer would read markup, not inside words
    assert plain_text(text).endswith("5*3 snake_case")


def test_a_placeholder_in_angle_brackets_is_text_every_renderer_shows_and_a_real_tag_is_dropped():
    # "ollama pull <model>": read as an HTML tag, a Markdown renderer drops it, and the word with it
    text = inline_markdown("run ollama pull <model> first, then<br>check <sup>2</sup> times; x < y")
    assert plain_text(text) == "run ollama pull <model> first, then check 2 times; x < y"
    assert "&lt;model&gt;" in markdown_to_html(text)  # Telegram
    out = io.StringIO()
    Console(file=out, width=200).print(Markdown(text))  # the terminal (rich)
    assert "ollama pull <model> first" in out.getvalue()


def test_relative_links_become_absolute_through_a_resolver():
    text = inline_markdown("read [chapter 6](../deep_dives/06_x.md#why)", resolve=lambda href: "https://h/" + href)
    assert text == "read [chapter 6](https://h/../deep_dives/06_x.md#why)"


def test_a_lone_carriage_return_is_a_line_break_as_the_parser_reads_it():
    blocks = parse_blocks("\r0```python\n```")  # found by the Telegram renderer's property test
    assert [(b.kind, b.source) for b in blocks] == [("paragraph", "0```python"), ("code", "```")]
    assert not blocks[1].closed  # a fence opened on the last line and never closed
