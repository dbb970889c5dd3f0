"""Cleaning drops site chrome (navigation, badges, comments, rules) and nothing a reader needs."""

from __future__ import annotations

import pytest

from bot.text.markdown import parse_blocks
from ingestion.cleaning import clean_markdown
from tests.ingestion import FIXTURE_DOCS

pytestmark = pytest.mark.unit


def _block(text: str, start: str, end: str) -> str:
    """The lines from the one starting with ``start`` to the next one starting with ``end``, inclusive."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next(i for i in range(first + 1, len(lines)) if lines[i].startswith(end))
    return "\n".join(lines[first : last + 1])


@pytest.fixture(scope="module")
def guide() -> tuple[str, str]:
    raw = (FIXTURE_DOCS / "guide.md").read_text()
    return raw, clean_markdown(raw).text


def test_navigation_badges_comments_and_rules_are_dropped(guide):
    raw, cleaned = guide
    assert "← Back to" in raw and "← Back to" not in cleaned
    assert "img.shields.io" in raw and "img.shields.io" not in cleaned
    assert "maintainers:" in raw and "<!--" not in cleaned and "maintainers:" not in cleaned
    assert not [line for line in cleaned.split("\n") if line.strip() in ("---", "***")]
    assert cleaned.startswith("# 🚀 Retrieval Guide")


def test_chinese_navigation_line_is_dropped():
    raw = (FIXTURE_DOCS / "guide_zh.md").read_text()
    cleaned = clean_markdown(raw).text
    assert "← 返回" in raw and "← 返回" not in cleaned and "[中文]" not in cleaned
    assert cleaned.startswith("# 🚀 检索指南")


def test_code_table_and_math_are_kept_byte_for_byte(guide):
    raw, cleaned = guide
    for start, end in (("```python", "```"), ("| Method", "| Hybrid"), ("$$", "$$")):
        assert _block(cleaned, start, end) == _block(raw, start, end)
    assert "# not a heading: a comment inside a code block" in cleaned


def test_lines_inside_code_that_look_like_chrome_are_kept():
    raw = "# T\n\n```text\n← Back to the menu\n---\n<!-- literal -->\n![badge](x.svg)\n```\n"
    cleaned = clean_markdown(raw)
    assert _block(cleaned.text, "```text", "```") == _block(raw, "```text", "```")
    assert cleaned.warnings == []


def test_a_setext_heading_underline_is_not_taken_for_a_rule():
    cleaned = clean_markdown("Intro\n\nDeployment Checklist\n---\n\nShip it.\n\n---\n\nEnd.\n").text
    assert "Deployment Checklist\n---" in cleaned
    assert cleaned.count("---") == 1  # the standalone rule after a blank line is gone


def test_an_unclosed_fence_ends_at_the_rule_where_the_docs_prose_goes_on():
    doc = "# Deploy\n\n```python\nclient = OpenAI()\n---\n\n🎉 **Well done!** On to phase five.\n"
    cleaned = clean_markdown(doc)
    assert "```python\nclient = OpenAI()\n```\n" in cleaned.text  # the code, closed where the rule was
    assert cleaned.text.rstrip().endswith("On to phase five.")  # the closing words are prose, not code
    assert cleaned.warnings == ["unclosed code fence opened at line 3; closed at the rule on line 5"]


def test_an_unclosed_fence_is_closed_with_a_warning():
    cleaned = clean_markdown("# T\n\nText.\n\n```bash\npip install atlas\n")
    assert cleaned.text.rstrip().endswith("```")
    assert "```bash\npip install atlas\n" in cleaned.text
    assert cleaned.warnings == ["unclosed code fence opened at line 5; closed at the end of the document"]


def test_a_fence_that_a_later_blocks_fence_seems_to_close_ends_at_the_rule():
    # the doc forgot to close its first block, then repeats the section with a well-formed one
    doc = ("## Quick start\n\n```bash\npip install -r requirements.txt\n\n\n---\n\n## Quick start\n\n"
           "```bash\npip install -r requirements.txt\npython app.py\n```\nThen open the app.\n")
    cleaned = clean_markdown(doc)
    code = [b.source for b in parse_blocks(cleaned.text) if b.kind == "code"]
    assert len(code) == 2 and not any("## Quick start" in c or c.count("```bash") > 1 for c in code), code
    assert "python app.py" in code[1]
    assert cleaned.warnings == ["unclosed code fence opened at line 3; closed at the rule on line 7"]


def test_a_fence_line_inside_a_well_formed_block_is_code():
    doc = "# Docs\n\n````markdown\n```bash\nls\n```\n````\n\nAfter.\n"  # a fence shown as an example
    assert clean_markdown(doc).text == doc and not clean_markdown(doc).warnings
