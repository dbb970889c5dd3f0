"""Questions about the Atlas's structure, over the real Atlas index: they resolve through the map
(never a search that lands in another series with the same numbers) and the answer is what a learner
asked for — a phase's modules with links, a doc's outline with cited sections, the Atlas's own next
step, the help text in the asker's language. Expectations come from reading ../shared/atlas."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio

from bot.bootstrap import build_services
from bot.corpus.atlas_refs import parse_reference
from bot.domain import Asker
from bot.messages import message
from bot.retrieval.retriever import named_docs
from bot.services.navigation import HelpRequest, NextStep, Outline, OutOfRange, PhaseListing, TopicListing, TrackListing
from tests.conftest import REPO, make_settings

pytestmark = pytest.mark.integration
in_module_loop = pytest.mark.asyncio(loop_scope="module")

NAVIGATION_SET = [json.loads(line) for line in (REPO / "tests/questions/navigation.jsonl").read_text().splitlines()
                  if line.strip()]
KINDS = {"phase": PhaseListing, "track": TrackListing, "topic": TopicListing, "outline": Outline, "next": NextStep, "help": HelpRequest, "missing": OutOfRange,
         "none": type(None)}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(atlas_data_dir, use_embedder):
    svc = build_services(make_settings(atlas_data_dir), embedder=use_embedder)
    await svc.start()
    yield svc
    await svc.close()


@pytest.fixture(scope="module")
def index(services):
    return services.asking.reader.current()


async def ask(services, question: str, **asker):
    return await services.asking.ask(question, Asker(platform="cli", **{"user_id": "learner", **asker}))


@pytest.mark.parametrize("case", NAVIGATION_SET, ids=[c["id"] for c in NAVIGATION_SET])
def test_the_navigation_set_resolves_to_the_expected_series_and_entry(services, index, case):
    result = services.asking.navigation.resolve(case["ask"], index)
    assert isinstance(result, KINDS[case["kind"]]), result
    if "series" in case:
        assert result.series.id == case["series"]
    if case["kind"] == "phase":
        assert result.phase.number == case["phase"]
    if case["kind"] in ("outline", "next"):
        assert result.entry.number == case["entry"]
    if case["kind"] == "next":
        assert result.next_entry.number == case["next"]
    if case["kind"] == "missing":
        assert result.number == case["entry"]
    if case["kind"] == "track":
        assert result.track.id == case["track"] and [e.number for e in result.entries] == case["modules"]
    if case["kind"] == "topic":  # every chapter whose title names it, not the first one alone
        assert [[series.id, entry.number] for series, entry in result.entries] == case["entries"]
    if "named" in case:  # a question about something inside a named doc is searched, leaning to that doc
        assert case["named"] in named_docs(case["ask"], index.atlas_map)


def test_every_module_and_chapter_number_resolves_to_its_doc_in_both_languages(services, index):
    """The issue's measure, generated from the map: every entry of every series, asked the ways a
    learner asks, lands on that entry's doc."""
    asks = {"curriculum": ["what is module {n} about", "第{n}课讲什么", "lesson {n}"],
            "deep_dives": ["deep dive {n}", "深潜专题第{n}章讲什么"],
            "threat_model": ["threat model chapter {n}", "威胁模型第{n}章"]}
    wrong = []
    for series in index.atlas_map.series:
        for entry in series.entries:
            for form in asks[series.id]:
                question = form.format(n=entry.number)
                result = services.asking.navigation.resolve(question, index)
                if not (isinstance(result, Outline) and result.entry.doc == entry.doc):
                    wrong.append(question)
    assert wrong == [] and sum(len(s.entries) for s in index.atlas_map.series) == 90


@pytest.mark.parametrize("question, series, entry", [
    ("module 12", "curriculum", 12),  # the curriculum unless another series is named
    ("chapter 12", "curriculum", 12),
    ("deep dive chapter 12", "deep_dives", 12),
    ("constraint & threat model ch. 7", "threat_model", 7),
    ("第十二课", "curriculum", 12),
    ("深潜 第三章", "deep_dives", 3),
])
def test_a_number_is_read_in_the_series_the_question_names(question, series, entry):
    ref = parse_reference(question)
    assert (ref.series or "curriculum", ref.entry) == (series, entry)


@in_module_loop
async def test_whats_in_phase_3_lists_its_modules_with_links_in_the_askers_language(services):
    answer = await ask(services, "what's in phase 3?")
    assert answer.trace.answer_mode == "navigation" and not answer.refused
    for module in ("Module 15: API Integration", "Module 20: Embeddings Deep Dive", "Module 22: Model Evaluation"):
        assert module in answer.text
    assert "docs/curriculum/phase3_10_to_50/15_api_guide.md)" in answer.text  # a link a learner can open
    assert "red_teaming" not in answer.text and "Module 23" not in answer.text  # not the threat model, not phase 4
    assert answer.citations and answer.citations[0].doc == "docs/CURRICULUM.md"

    zh = await ask(services, "第三阶段学什么？")
    assert zh.lang == "zh" and "第 15 课：API 接入秘籍" in zh.text and "15_api_guide_zh.md)" in zh.text


@in_module_loop
async def test_summarize_a_module_gives_its_sections_each_with_a_cited_key_sentence(services):
    answer = await ask(services, "帮我总结一下第25课")
    assert answer.trace.answer_mode == "navigation" and not answer.refused
    assert "LoRA" in answer.text and "第 25 课" in answer.text
    listed, *sections = answer.citations
    assert listed.doc == "docs/CURRICULUM_zh.md" and "阶段四" in listed.section  # where the curriculum lists it
    assert {c.doc for c in sections} == {"docs/curriculum/phase4_50_to_100/25_lora_explained_zh.md"}
    assert len(sections) >= 3  # one per section of the doc
    for c in sections:
        assert f"**{c.section}** — " in answer.text and f"[{c.n}]" in answer.text  # each section says something

    en = await ask(services, "summarize module 12")
    assert "Module 12: Vector Databases" in en.text and "Chroma" in en.text
    assert {c.doc for c in en.citations[1:]} == {"docs/curriculum/phase2_1_to_10/12_vector_db.md"}


@in_module_loop
async def test_what_to_read_next_follows_the_atlas_own_link_and_tracks(services):
    answer = await ask(services, "what should I read after the RAG intro?")
    assert answer.trace.answer_mode == "navigation"
    assert "Module 12: Vector Databases" in answer.text and "12_vector_db.md" in answer.text
    assert "track A" in answer.text  # Track A reads 11 → 12 too
    assert answer.citations[0].doc == "docs/curriculum/phase2_1_to_10/11_rag_intro.md"  # where the link is written
    # No-Code Agents skips Multimodal AI (the curriculum's own note on its next links)
    skipping = await ask(services, "what comes after module 9?")
    assert "Module 11: RAG Introduction" in skipping.text and "Module 10" not in skipping.text.split("\n")[0]


@in_module_loop
async def test_without_a_next_link_the_next_number_then_the_end_of_a_series(services):
    after_29 = await ask(services, "what should I read after module 29?")  # its doc ends without a next link
    assert "next in order is **[Module 30: Safety & Alignment]" in after_29.text
    assert "track D" in after_29.text and "Module 34: Vision RAG & OCR" in after_29.text  # Track D reads 29 → 34
    last = await ask(services, "what's next after deep dive 17?")
    assert "last one" in last.text and not last.citations
    appendix = await ask(services, "第36课之后读什么")
    assert "附录" in appendix.text and "appendix_docker_orchestration_zh.md" in appendix.text


@in_module_loop
async def test_a_named_track_lists_its_modules_in_reading_order(services):
    answer = await ask(services, "what's in track D?")
    assert answer.trace.answer_mode == "navigation"
    lines = [line for line in answer.text.split("\n") if line[:1].isdigit()]
    assert [line.split("Module ")[1].split(":")[0] for line in lines] == ["21", "29", "34", "35"]
    assert "29_inference_optimization.md)" in answer.text and answer.citations[0].doc == "docs/CURRICULUM.md"


@pytest.mark.parametrize("question, doc", [
    ("威胁模型里哪一章讲熔断器？", "docs/constraint_threat_model/phase5/31_ai_gateway_circuit_b_zh.md"),  # by description
    ("curriculum 里哪一课讲 GPU 选型？", "docs/curriculum/phase4_50_to_100/28_gpu_selection_zh.md"),  # by title
])
@in_module_loop
async def test_which_chapter_covers_x_names_the_chapter_and_outlines_it(services, question, doc):
    answer = await ask(services, question)
    assert answer.trace.answer_mode == "navigation" and doc in answer.text
    assert {c.doc for c in answer.citations[1:]} == {doc}


@in_module_loop
async def test_help_typed_as_text_is_the_help_in_the_askers_language(services):
    assert (await ask(services, "/help", user_id="newcomer")).text == message("help.ask", "en")  # nothing to go by
    assert (await ask(services, "help", user_id="newcomer", preferred_lang="zh")).text == message("help.ask", "zh")
    assert (await ask(services, "帮助", user_id="another")).text == message("help.ask", "zh")
    await ask(services, "什么是 RAG？", user_id="reader")
    assert (await ask(services, "/help", user_id="reader")).text == message("help.ask", "zh")  # as they last asked


@in_module_loop
async def test_a_number_the_series_does_not_have_is_said_plainly(services):
    answer = await ask(services, "what is module 99 about?")
    assert "0 to 36" in answer.text and not answer.citations


@pytest.mark.parametrize("question, doc, must_say", [
    ("what does module 12 say about Milvus?", "docs/curriculum/phase2_1_to_10/12_vector_db.md", "Milvus"),
    ("threat model chapter 5: how do I roll back a prompt?",
     "docs/constraint_threat_model/phase1/05_prompt_dev_staging_p.md", "rollback"),
    ("in lesson 25 what does rank mean", "docs/curriculum/phase4_50_to_100/25_lora_explained.md", "Rank"),
])
@in_module_loop
async def test_a_question_inside_a_named_module_is_answered_from_that_module(services, question, doc, must_say):
    answer = await ask(services, question)
    assert answer.trace.answer_mode == "extractive" and not answer.refused
    assert answer.citations[0].doc == doc and must_say in answer.text, answer.text


@in_module_loop
async def test_an_ordinary_question_still_takes_the_search_path(services):
    answer = await ask(services, "What is LoRA rank?")
    assert answer.trace.answer_mode == "extractive" and "rank" in answer.text.lower()


def test_the_terminal_shows_a_navigation_answer_with_its_sources(atlas_data_dir, tmp_path):
    from tests.test_cli import run_cli

    done = run_cli(["ask", "what's in phase 3?"], atlas_data_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Module 15: API Integration" in done.stdout and "Module 22: Model Evaluation" in done.stdout
    assert "Sources" in done.stdout and "CURRICULUM.md" in done.stdout


@pytest.mark.parametrize("question, doc, section, start", [
    ("I'm on our company's security team - which part of the Atlas is meant for me?", "docs/GETTING_STARTED.md",
     "5. I am a security engineer", "CONSTRAINT_THREAT_MODEL.md"),
    ("我是做学术研究的，只想弄懂底层原理，应该从哪开始看？", "docs/GETTING_STARTED_zh.md", "3. 我是技术极客或学术研究人员",
     "DEEP_DIVES_zh.md"),
    ("I'm a PM, not a coder, and want to build a knowledge base for my team. which learning path fits me?",
     "docs/curriculum/phase1_0_to_1/00_learning_map.md", "2. The Low-Code App Builder Path", "Phase 2"),
])
@in_module_loop
async def test_a_reader_who_says_who_they_are_gets_the_reading_path_that_fits(services, question, doc, section, start):
    answer = await ask(services, question)  # words like "appsec" or "做研究的" are too few for a search to be sure of
    assert not answer.refused, answer.text
    first = answer.citations[0]
    assert first.doc == doc and section in first.heading, [(c.doc, c.heading) for c in answer.citations]
    assert start in answer.text, answer.text  # where the path starts: GETTING_STARTED's "Recommended Starting Point"


@pytest.mark.parametrize("question", ["I'm a bit confused, where does the atlas talk about quantization?",
                                      "I want to learn RAG, where should I start?", "where should I start with RAG?"])
def test_a_question_without_a_reader_describing_themselves_is_not_a_reading_path_request(question):
    from bot.retrieval.hybrid import wants_reading_path

    assert not wants_reading_path(question)


@pytest.mark.parametrize("question, doc", [
    ("where should I start with RAG?", "docs/curriculum/phase2_1_to_10/11_rag_intro.md"),  # not 33. RAG Evaluation
    ("想学微调，应该从哪开始？", "docs/curriculum/phase4_50_to_100/24_finetuning_zh.md"),
])
@in_module_loop
async def test_where_to_start_on_a_topic_is_the_first_module_that_names_it(services, question, doc):
    answer = await ask(services, question)
    assert answer.trace.answer_mode == "navigation" and doc in answer.text, answer.text
    assert {c.doc for c in answer.citations[1:]} == {doc}
