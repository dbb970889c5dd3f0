"""Each answer-shape problem is caught, and a clean answer shows none."""

from __future__ import annotations

import pytest

from bot.text.answer_shape import shape_problems

pytestmark = pytest.mark.unit

CLEAN = """**Chunking**

Getting the chunk size right is a trade-off:
- Too large: coordinates get diluted.
- Too small: context is lost. [1]

See [the guide](https://github.com/x/y/blob/abc/docs/a.md#chunking). Required VRAM = 70 × 4/8 × 1.2 = 42 GB. [2]"""


def test_a_clean_answer_has_no_problem():
    assert shape_problems(CLEAN) == []


def test_a_list_item_announcing_its_nested_steps_is_not_dangling():
    nested = "- **Workflow**:\n  1. The user asks.\n  2. The LLM writes SQL. [1]"
    assert shape_problems(nested) == []


def test_a_lead_in_followed_by_the_sub_sections_it_announces_is_not_dangling():
    triad = ("RAG evaluation measures three independent dimensions:\n\n**1. Faithfulness**\n\nIs it grounded?\n\n"
             "**2. Answer Relevancy**\n\nDoes it answer?\n\n**3. Context Precision**\n\nIs the context useful? [1]")
    assert shape_problems(triad) == []


@pytest.mark.parametrize("text, code", [
    ("Getting the chunk size right is a crucial engineering trade-off: [2]", "dangling_leadin"),
    ("目前主流有两种训练方法：\n\n**DPO**", "dangling_leadin"),
    ("你必须假设模型已经被攻破。以下是侧重于边界控制的实施蓝图。 [1]\n\n**🧠 核心概念**", "dangling_leadin"),
    ("Capture latency and cost. Below is an example of an evaluation script. [1]", "dangling_leadin"),
    ("- **Goal**: query a database in plain English.\n- **The Architecture**:\n  - **Workflow**: [1]", "dangling_leadin"),
    ("The rule: $$70 \\times \\frac{4}{8}$$ [1]", "raw_latex"),
    ("flowchart TD\n    A --> B\n    classDef x fill:#fff", "mermaid"),
    ("```python\nprint(1)\n", "unbalanced_markup"),
    ("**用稀疏激活打破稠密算力枷锁。**在传统的 **稠密模型 [1]", "unbalanced_markup"),
    ("📅 Last updated: 2025-01-01", "boilerplate"),
    ("AI ecosystems iterate rapidly; please refer to official documentation for the latest versions. [1]", "boilerplate"),
    ("← Back to [README](../README.md)", "boilerplate"),
    ("Next, let's learn how to run models locally. [1]", "boilerplate"),
    ("Read [chapter 6](06_hallucination.md) next.", "relative_link"),
    ("# ?? ? 36 ?????? - ?????????? RAG", "damaged_text"),
    ("broken \ufffd text", "damaged_text"),
    ("```python\n" + "\n".join("import redis") + "\n```", "damaged_text"),
])
def test_each_problem_is_caught(text, code):
    assert code in shape_problems(text)


def test_a_step_heading_with_a_calendar_emoji_is_content():
    assert shape_problems("**📅 Step 1: Prepare Your Training Data**\n\nUse the Alpaca format. [1]") == []
