"""Questions made from passages (own small fixtures), the gate every question passes, and which chat
messages are study requests."""

from __future__ import annotations

import pytest

from bot.companion.questions import check, questions_from_chunks
from bot.companion.requests import study_request
from bot.domain import Chunk

pytestmark = pytest.mark.unit

TOOLS = """## Tools

* **Whisk**: A loop of wires that beats air into cream.
* **Ladle**: A deep spoon with a long handle for soup.
* **Colander**: A bowl full of holes that drains pasta.
* **Grater**: A metal sheet with sharp holes for cheese.

The **Oven** bakes bread with dry heat from every side of the tin.

Next, let's step into **Phase 2** and read about the garden."""

GLOSSARY = """### 3. Sieve
* **What it is**: A fine mesh that separates flour lumps from flour.
* **Analogy**: A goalkeeper for crumbs.
* **Rule of thumb**: Sift twice for cakes."""


def chunk(text: str, doc: str = "docs/kitchen.md", lang: str = "en", section: tuple = ("Kitchen", "Tools")) -> Chunk:
    return Chunk(id=f"{doc}-{len(text)}", doc=doc, title="Kitchen", lang=lang, section_path=section, text=text)


def test_a_term_list_gives_which_term_questions_with_its_siblings_as_options():
    questions = questions_from_chunks([chunk(TOOLS)])
    whisk = next(q for q in questions if q.answer_text == "Whisk")
    assert whisk.kind == "term" and "A loop of wires that beats air into cream." in whisk.prompt
    assert sorted(whisk.options) == ["Colander", "Grater", "Ladle", "Whisk"]
    assert whisk.options[whisk.answer] == "Whisk"


def test_a_bold_term_in_a_sentence_gives_a_blank_with_the_modules_terms_as_options():
    oven = next(q for q in questions_from_chunks([chunk(TOOLS)]) if q.answer_text == "Oven")
    assert oven.kind == "cloze" and "The ____ bakes bread" in oven.prompt
    assert "Oven" in oven.options and len(oven.options) == 4
    # a "next, read …" pointer is not quiz material, nor a source of distractors
    assert not any("Phase 2" in q.prompt or "Phase 2" in q.options for q in questions_from_chunks([chunk(TOOLS)]))


def test_a_glossary_section_names_its_term_in_the_heading_and_template_labels_are_not_terms():
    text = GLOSSARY + "\n\n" + TOOLS
    questions = questions_from_chunks([chunk(text, section=("Glossary", "3. Sieve"))])
    sieve = next(q for q in questions if q.answer_text == "Sieve")
    assert "A fine mesh that separates flour lumps from flour." in sieve.prompt
    assert not {"Analogy", "Rule of thumb", "What it is"} & {o for q in questions for o in q.options}


def test_the_gate_rejects_what_the_passage_does_not_support():
    q = next(q for q in questions_from_chunks([chunk(TOOLS)]) if q.answer_text == "Oven")
    assert check(q, TOOLS) == []
    assert "sentence not in passage" in check(q, TOOLS.replace("dry heat", "steam"))
    assert "answer not in passage" in check(q.model_copy(update={"answer_text": "Stove"}), TOOLS)
    other = next(o for o in q.options if o != "Oven")
    fits = TOOLS + f"\n\nThe {other} bakes bread with dry heat from every side of the tin."
    assert f"distractor fits: {other}" in check(q, fits)
    too_long = q.model_copy(update={"options": [*q.options[:3], "x" * 101]})
    assert "option length" in check(too_long, TOOLS)
    assert "duplicate options" in check(q.model_copy(update={"options": ["Oven", "oven", "A", "B"], "answer": 0}), TOOLS)


def test_chinese_questions_come_from_the_chinese_doc():
    text = ("* **打蛋器**：一圈金属丝，用来打发奶油。\n* **汤勺**：带长柄的深勺，用来盛汤。\n"
            "* **沥水篮**：布满小孔的碗，用来沥水。\n* **锚**：沉到海底的重钩，让船停住。")
    questions = questions_from_chunks([chunk(text, doc="docs/kitchen_zh.md", lang="zh")])
    assert {q.answer_text for q in questions} == {"打蛋器", "汤勺", "沥水篮", "锚"}
    assert all(q.lang == "zh" and q.prompt.startswith("Kitchen：下面哪个术语的描述是") for q in questions)


@pytest.mark.parametrize("text, kind, topic", [
    ("quiz me on RAG", "quiz", "RAG"),
    ("给我出几道关于向量数据库的题", "quiz", "向量数据库"),
    ("make me flashcards for LoRA", "flashcards", "LoRA"),
    ("帮我做几张LoRA的闪卡", "flashcards", "LoRA"),
    ("give me a 2-week plan", "plan", ""),
    ("what should I study next?", "next", ""),
    ("我学到哪了", "progress", ""),
    ("第三课", "module", ""),
])
def test_study_requests_in_plain_words(text, kind, topic):
    request = study_request(text)
    assert request is not None and request.kind == kind and request.topic == topic


def test_plan_length_and_module_numbers_in_words():
    assert study_request("给我做一个三周的学习计划").weeks == 3
    assert study_request("give me a 4 week plan").weeks == 4
    assert study_request("第十二课").number == 12


@pytest.mark.parametrize("text", ["What is RAG?", "what is a quiz?", "how does LoRA work", "怎么出题",
                                  "RAG 里的 chunk size 怎么选？", "what is the test set in evaluation"])
def test_questions_about_the_docs_stay_questions(text):
    assert study_request(text) is None


def test_a_two_week_plan_is_two_weeks_of_study_not_the_whole_track():
    from bot.companion.paths import PathTrack, plan
    from bot.corpus.atlas_map import Bilingual, Entry

    course = PathTrack("curriculum", None, [Entry(series="curriculum", number=n, title=Bilingual(en=f"M{n}"),
                                                  doc=Bilingual(en=f"m{n}.md")) for n in range(37)])
    weeks = plan(course, done={0, 1}, weeks=2, pace=5)
    assert [[e.number for e in week] for week in weeks] == [[2, 3, 4, 5, 6], [7, 8, 9, 10, 11]]
    assert [len(w) for w in plan(course, done=set(range(34)), weeks=2, pace=5)] == [2, 1]  # the last three
