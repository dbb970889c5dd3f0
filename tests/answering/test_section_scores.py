"""Which section of the candidates an answer is quoted from: a passage that only asks the reader's
question back ("If MoE models are so cheap, why isn't every model…?") is not an answer to it; "what's different
from the usual way" gets the comparison; a question asking for an analogy gets the analogy, one asking for steps
does not."""

from __future__ import annotations

import pytest

from bot.answering.sections import SectionScorer
from bot.domain import Chunk
from bot.text.question_kind import classify_question
from bot.text.tokenizer import BilingualTokenizer

pytestmark = pytest.mark.unit

RESTATES = """If MoE models are so cheap to run compared to a dense model, why isn't every model designed this way? \
The answer lies in training them:
* **Expert Collapse**: the router prefers a few experts and the others starve.
* **Load Balancing**: routing tokens across GPUs overloads some of them."""

ANSWERS = """Instead of one large network, the model is split into experts.
1. **The Router**: a small network picks the experts for each token.
2. **Sparse Activation**: only 2 of 64 experts run for a token, so it costs a fraction of the compute."""


def _chunk(name: str, text: str, rank: int) -> Chunk:
    return Chunk(id=name, doc="docs/moe.md", title="MoE", lang="en", section_path=("MoE", name), anchor=name,
                 text=text, order=rank)


def best_section(question: str, sections: list[tuple[str, str]]) -> tuple[str, list]:
    """The title of the section (title, text) the scorer puts first for ``question``, retrieval's order not
    counting, and every section's score (to read when an assertion fails)."""
    scorer = SectionScorer(BilingualTokenizer(), rank_penalty=0.0)
    candidates = [_chunk(title, text, rank) for rank, (title, text) in enumerate(sections)]
    weights = scorer.weights(question, lambda token: 1)
    ranked = scorer.ranked(question, classify_question(question), candidates, lambda c: [c], weights, lambda d: False)
    return (ranked[0].chunk.section if ranked else ""), [(s.chunk.section, scorer.score(s)) for s in ranked]


def test_a_section_that_asks_the_question_back_does_not_outrank_the_one_that_answers_it():
    question = "why is MoE cheaper to run than a dense model"
    best, scores = best_section(question, [("The Catch", RESTATES), ("How MoE Works", ANSWERS)])
    assert best == "How MoE Works", scores


DEEP_DIVE = """Never install `langchain` without pinning exact versions of its dependencies, and strip the \
integrations you do not use."""

COMPARISON = """| Concept | Traditional | LLM Era |
| --- | --- | --- |
| Dependencies | third-party libraries released a few times a year | langchain integrations released daily |
| Attack surface | one library | a single vulnerable parser in any integration |"""


@pytest.mark.parametrize("question", [
    "why are langchain dependencies such a risk? like what's different from normal third-party libraries",
    "how are langchain dependencies different from normal third-party libraries?",
])
def test_asking_what_is_different_from_the_usual_way_gets_the_comparison(question):
    best, scores = best_section(question, [("Technical Deep Dive", DEEP_DIVE), ("Quick Comparison", COMPARISON)])
    assert best == "Quick Comparison", scores


CORE = """1. **Isolate the model**: the LLM never holds secrets or permissions of its own.
2. **Check every call**: the architecture around the LLM validates each tool call before it runs."""

EMBASSY = """* **The Analogy**: the LLM is a foreign envoy inside an embassy: polite and useful, but never trusted with the keys.
* **How it works**: the building, not the envoy, enforces the security boundary."""


@pytest.mark.parametrize("question", [
    "in the zero trust chapter, what is the LLM compared to in the analogy? why can't the model protect itself?",
    "zero trust 那一章把 LLM 比喻成什么？为啥 model 自己保护不了自己",
])
def test_asking_for_the_analogy_gets_the_analogy_not_the_core_steps(question):
    best, scores = best_section(question, [("🧠 Core Concept", CORE), ("🏛️ The Embassy Analogy", EMBASSY)])
    assert best == "🏛️ The Embassy Analogy", scores


def test_an_analogy_is_not_what_a_request_for_steps_gets():
    question = "what are the steps to isolate the LLM and check every call?"
    best, scores = best_section(question, [("🏛️ The Embassy Analogy", EMBASSY), ("🧠 Core Concept", CORE)])
    assert best == "🧠 Core Concept", scores


def test_a_section_of_the_best_doc_ranked_low_by_retrieval_counts_no_lower_than_one_it_did_not_rank():
    """Retrieval ranked the code section fifth; had it not ranked it at all, it would count as a sibling of the
    best doc (third). Ranking it must not cost it more than missing it would."""
    scorer = SectionScorer(BilingualTokenizer())
    question = "how do I implement the tree of thoughts search in code?"
    core, code = _chunk("Core Concept", ANSWERS, 0), _chunk("Pseudo-code: the search", CODE_SEARCH, 5)
    others = [Chunk(id=f"o{i}", doc=f"docs/other{i}.md", title="Other", lang="en", section_path=("Other", "x"),
                    anchor=f"x{i}", text="Unrelated text about tokens and prompts.", order=i) for i in range(1, 5)]
    weights = scorer.weights(question, lambda token: 1)

    def score_of_code(candidates, siblings):
        ranked = scorer.ranked(question, classify_question(question), candidates, lambda c: [c], weights,
                               lambda d: False, siblings)
        return next(scorer.score(s) for s in ranked if s.chunk.section == code.section)

    retrieved_low = score_of_code([core, *others, code], [code])
    not_retrieved = score_of_code([core, *others], [code])
    assert retrieved_low >= not_retrieved


CODE_SEARCH = """```python
def tree_of_thoughts(problem, width=3):
    frontier = [problem]
    for depth in range(3):
        branches = [b for node in frontier for b in expand(node)]
        frontier = sorted(branches, key=score)[:width]  # prune: keep the best branches
    return frontier[0]
```"""
