"""A text figure in an answer: a flow of labelled steps too wide for a phone reads as a list; a grid
of boxes is still left out (the answer says a diagram is in the linked section)."""

from __future__ import annotations

import pytest

from bot.answering.passages import render_unit, section_units
from bot.domain import Chunk

pytestmark = pytest.mark.unit

FLOW = """Every model goes through three phases:

```text
[ 1. Pre-Training ] ──► Reads a huge amount of text and can continue any sentence you give it.
         │
         ▼
[ 2. Instruction Tuning (SFT) ] ──► Learns to act as an assistant that answers questions.
  - Sees thousands of question/answer pairs.
         │
         ▼
[ 3. Alignment (Safety) ] ──► Learns what it should and should not say to a user.
```
"""

LADDER = """```text
  LEVEL 3: Trajectory Evaluation (agent loops, multi-step tool use in a sandbox environment)
      ▲
      │
  LEVEL 2: Chain Evaluation (reasoning traces checked step by step, not only the final answer)
      ▲
      │
  LEVEL 1: Pointwise Evaluation (static question answering, one turn, one reference answer)
```"""

GRID = """```text
┌────────────────────────────┐      ┌──────────────────────────────────────┐
│ Retriever (dense + BM25)   │ ───► │ Reranker (cross-encoder, top 5 of 50) │
└────────────────────────────┘      └──────────────────────────────────────┘
```"""


def _render(markdown: str):
    chunk = Chunk(id="c1", doc="docs/x.md", title="X", lang="en", section_path=("X", "Stages"), text=markdown)
    units = section_units([chunk])
    return [render_unit(u, 1000, lambda target: None) for u in units]


def test_a_wide_flow_figure_reads_as_its_steps():
    (rendering,) = _render(FLOW)
    lines = rendering.text.split("\n")
    assert lines[0] == "Every model goes through three phases:"  # the lead-in keeps what it announces
    steps = [line for line in lines[1:] if line.startswith("- ")]
    assert [s.split(" → ")[0] for s in steps] == ["- 1\\. Pre-Training", "- 2\\. Instruction Tuning (SFT)",
                                                 "- 3\\. Alignment (Safety)"]
    assert "  - Sees thousands of question/answer pairs." in lines  # a step's note stays under it
    assert not any(ch in rendering.text for ch in "│▼►[]") and not rendering.diagram_skipped


def test_a_ladder_drawn_bottom_up_is_read_from_its_first_rung():
    (rendering,) = _render(LADDER)
    assert [line.split(":")[0] for line in rendering.text.split("\n")] == ["- LEVEL 1", "- LEVEL 2", "- LEVEL 3"]


def test_boxes_side_by_side_are_not_a_flow():
    (rendering,) = _render(GRID)
    assert rendering.text == "" and rendering.diagram_skipped
