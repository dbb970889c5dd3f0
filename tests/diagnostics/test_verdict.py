"""The answer-level verdict: an answer that does not answer its question is judged low and /debug says
why, one coded diagnostic per signal; an answer that does answer it is left alone."""

from __future__ import annotations

import dataclasses

from bot.diagnostics import DiagnosticsConfig, diagnose
from bot.domain import AnswerCheck
from tests.diagnostics.builders import FULL_RAG_ANSWER, NOW, RAG, VDB, Case, cand, chunk

CONFIG = DiagnosticsConfig()

ZT_ZH = chunk("zt1", "docs/constraint_threat_model/phase1/03_zero_trust_zh.md",
              "在大语言模型的零信任架构中，你必须假设模型本身已经被攻破。", lang="zh", section="技术深度探索与落地")
ZT_LIST = "\n".join(f"- {x}" for x in (
    "**不可信输出**：把大模型的每一次输出都当作不可信的用户输入，进入下游系统前先做清洗和转义。",
    "**最小权限**：应用给模型调用的每个工具只授予完成任务所需的最小权限，数据库只读，文件系统隔离在沙箱里。",
    "**验证输出**：在执行任何操作之前，用固定的模式校验输出的格式与内容，不符合就拒绝执行并记录告警。"))


def found(case: Case) -> dict:
    return {d.code: d for d in diagnose(case.build(), CONFIG, now=NOW)}


def verdict(case: Case):
    return found(case)["ANSWER_VERDICT"]


def zero_trust(text: str, question: str = "零信任架构放到大模型应用里，具体要做到哪几点？") -> Case:
    return Case(question=question, lang="zh", question_lang="zh", text=text, chunks=[ZT_ZH, RAG],
                candidates=[cand(ZT_ZH, 1, 2.1, 1, 1, used=True), cand(RAG, 2, 1.5, 2, 2)], context_ids=["zt1"])


def test_a_lead_in_that_announces_what_follows_and_stops_is_judged_low_and_says_so():
    lead_in = zero_trust("**🛠️ 技术深度探索与落地**\n\n在大语言模型的零信任架构中，你必须假设模型本身已经被攻破。"
                         "以下是侧重于边界控制和输入输出验证的实施蓝图。 [1]")
    complete = zero_trust("**🛠️ 技术深度探索与落地**\n\n在大语言模型的零信任架构中，你必须假设模型本身已经被攻破。"
                          "以下是侧重于边界控制和输入输出验证的实施蓝图：\n\n" + ZT_LIST + " [1]")
    low, ok = found(lead_in), found(complete)
    assert low["ANSWER_VERDICT"].severity == "warn" and ok["ANSWER_VERDICT"].severity == "info"
    assert low["ANSWER_VERDICT"].data["usefulness"] < ok["ANSWER_VERDICT"].data["usefulness"]
    assert "ANSWER_FRAGMENT" in low and "ANSWER_FRAGMENT" not in ok
    assert "引子" in low["ANSWER_FRAGMENT"].message  # in the asker's language
    assert "ANSWER_KIND_MISSED" in low and low["ANSWER_KIND_MISSED"].data["kind"] == "items"  # "哪几点", no list


def test_a_question_asking_for_a_number_wants_one_in_the_answer():
    question = "What threshold does the semantic cache use before it answers from the cache?"
    cache = chunk("c1", "docs/curriculum/phase3_10_to_50/17_llm_core_patterns.md",
                  "A semantic cache answers from the cache when a new question is close enough to an old one.",
                  section="Semantic cache")
    base = Case(question=question, chunks=[cache, VDB], context_ids=["c1"],
                candidates=[cand(cache, 1, 2.2, 1, 1, used=True), cand(VDB, 2, 1.4, 2, 2)])
    vague = dataclasses.replace(base, text="**Semantic cache**\n\nA semantic cache answers from the cache when a new "
                                           "question is similar enough to an earlier one, which saves the API call and "
                                           "its latency for repeated questions. [1]")
    exact = dataclasses.replace(base, text=vague.text.replace("similar enough", "similar enough (cosine similarity "
                                                                                 "above a threshold of 0.95)"))
    assert found(vague)["ANSWER_KIND_MISSED"].data["kind"] == "number"
    assert "ANSWER_KIND_MISSED" not in found(exact)
    assert verdict(vague).data["usefulness"] < verdict(exact).data["usefulness"]


def test_a_list_of_chapter_links_answers_where_to_read_but_not_how_something_works():
    links = "\n".join(f"- [{i}. Chapter {i}](https://example.org/docs/phase1/0{i}_x.md) — Description: topic {i}."
                      for i in range(1, 5))
    text = "**Module 1: Supply Chain Security & Zero Trust**\n\n" + links
    how = Case(question="In the zero trust chapter, why does the dual-LLM guardrail setup use a second model?", text=text)
    where = Case(question="Which chapters of the threat model should I read about zero trust?", text=text)
    assert "ANSWER_LINK_LIST" in found(how) and verdict(how).severity == "warn"
    assert "ANSWER_LINK_LIST" not in found(where)


def test_code_shredded_one_character_a_line_is_damaged_text():
    shredded = "**3. Integration (Python)**\n\n```python\n" + "\n".join("from nemoguardrails import LLMRails") + "\n```\n[1]"
    whole = "**3. Integration (Python)**\n\n```python\nfrom nemoguardrails import LLMRails\n```\n[1]"
    question = "How do I load a NeMo Guardrails config in Python?"
    low = found(Case(question=question, text=shredded))
    assert "damaged_text" in low["ANSWER_SHAPE"].data["problems"] and low["ANSWER_VERDICT"].severity == "warn"
    assert "damaged:damaged_text" not in verdict(Case(question=question, text=whole)).data["red_flags"]


def test_an_answer_from_one_of_two_equally_matched_docs_names_both():
    """Retrieval found two docs nearly tied and the answer is about neither's subject: /debug names the tie."""
    question = "How do agents differ from ordinary chatbots, and what parts make up an agent?"
    future = chunk("f1", "docs/curriculum/phase5/appendix_future.md", "Multi-agent systems will coordinate.",
                   section="Future Frontiers")
    frameworks = chunk("a1", "docs/curriculum/phase3/19_agent_frameworks.md", "Frameworks for agents.",
                       section="Agent frameworks")
    case = Case(question=question, chunks=[future, frameworks], context_ids=["f1"],
                candidates=[cand(future, 1, 1.871, 7, 3, used=True), cand(frameworks, 2, 1.863, 12, 2)],
                text="**Future Frontiers**\n\n- **Multi-Agent Systems**: several specialised AI systems cooperate on a "
                     "task; Microsoft AutoGen pairs a developer with a reviewer.\n- **Robotics**: foundation models in "
                     "physical robots. [1]")
    diag = found(case)
    assert diag["ANSWER_VERDICT"].severity == "warn"
    tie = diag["ANSWER_NO_CLEAR_SOURCE"]
    assert tie.data["docs"] == [future.doc, frameworks.doc]
    assert "appendix_future.md" in tie.message and "19_agent_frameworks.md" in tie.message


def test_words_the_docs_never_use_do_not_count_against_an_answer():
    """Chat words ("为啥", "崩") no passage can hold: an answer holding the question's words the docs use is
    on the question, though it lacks the chat words."""
    stream = chunk("s1", "docs/curriculum/phase4/29_inference_optimization_zh.md",
                   "首字延迟 (TTFT) 是用户敲下回车后看到第一个字的时间。流式输出用 SSE 把每个字推给浏览器。", lang="zh",
                   section="流式输出")
    question = "为啥聊天网页的回答是一个字一个字往外崩的？流式输出对首字延迟有啥用"
    text = ("**⚡ 3. 流式输出 (Streaming Output)**\n\n聊天网页的回答是流式输出的。对用户来说，最直接影响体验的是首字延迟："
            "敲下回车后多快能看到第一个字。流式输出使用 SSE 技术，模型每生成一个字就推送到浏览器。 [1]")
    chat_words = {"为啥", "字往", "外崩", "啥用"}  # what the tokenizer makes of the chat words; no doc holds them
    case = Case(question=question, lang="zh", question_lang="zh", text=text, chunks=[stream, HALL_ZH_DOC],
                candidates=[cand(stream, 1, 2.0, 1, 1, used=True), cand(HALL_ZH_DOC, 2, 1.3, 2, 2)], context_ids=["s1"])
    inp = case.build()
    inp.idf = lambda token: 9.0 if token in chat_words or token == "\x00" else 2.0  # 9.0: a token no doc holds
    judged = {d.code: d for d in diagnose(inp, CONFIG, now=NOW)}
    every_word = verdict(case)  # without the docs' word counts every question word counts
    assert "ANSWER_OFF_QUESTION" not in judged and judged["ANSWER_VERDICT"].severity == "info"
    assert judged["ANSWER_VERDICT"].data["coverage"] == 1.0 > every_word.data["coverage"]


HALL_ZH_DOC = chunk("h2", "docs/curriculum/phase1_0_to_1/06_hallucination_zh.md", "幻觉是模型编造事实。", lang="zh")


def test_an_llm_answer_whose_sentences_the_checks_dropped_is_judged_less_useful():
    text = FULL_RAG_ANSWER
    kept = Case(text=text, answer_mode="llm", answer_check=AnswerCheck(judged_sentences=2, supported_sentences=2))
    dropped = dataclasses.replace(kept, answer_check=AnswerCheck(judged_sentences=4, supported_sentences=1))
    full, cut = verdict(kept), verdict(dropped)
    assert full.severity == "info" and cut.severity == "warn"
    assert cut.data["supported_share"] == 0.25 and cut.data["usefulness"] < full.data["usefulness"] / 2


def test_no_verdict_on_a_refusal():
    assert "ANSWER_VERDICT" not in found(Case(refused=True, text="The Atlas does not cover this.",
                                              evidence={"decline": True, "reason": "retrieval"}))


def test_a_good_answer_raises_no_verdict_signal():
    answer = found(Case(text=FULL_RAG_ANSWER, context_ids=["rag1", "hal1"]))
    assert answer["ANSWER_VERDICT"].severity == "info"
    assert not {"ANSWER_OFF_QUESTION", "ANSWER_FRAGMENT", "ANSWER_KIND_MISSED", "ANSWER_LINK_LIST",
                "ANSWER_NO_CLEAR_SOURCE", "ANSWER_SHAPE"} & answer.keys()


INJECT = chunk("ip1", "docs/threats/16_indirect_injection.md", "Hidden text on a web page can carry orders to an agent.",
               section="Attack profile")


def injection(question: str, text: str) -> Case:
    return Case(question=question, text=text, chunks=[INJECT, RAG], context_ids=["ip1"],
                candidates=[cand(INJECT, 1, 2.0, 1, 1, used=True), cand(RAG, 2, 1.2, 2, 2)])


ATTACK_ONLY = ("**Attack profile**\n\n- **Pattern**: a web page hides an order in white text.\n- **Intent**: take over what "
               "the agent was asked to do.\n- **Impact**: the agent sends the chat history to the attacker's server. [1]")


def test_asked_how_to_defend_an_answer_that_only_describes_the_attack_says_it_names_no_defence():
    question = "How do I defend my agent against prompt injection hidden in web pages?"
    defended = ATTACK_ONLY.replace(" [1]", "\n- **Mitigation**: strip hidden text and keep tool permissions minimal. [1]")
    low, ok = found(injection(question, ATTACK_ONLY)), found(injection(question, defended))
    assert "no_remedy" in low["ANSWER_VERDICT"].data["red_flags"] and low["ANSWER_VERDICT"].severity == "warn"
    assert "ANSWER_NO_REMEDY" in low and "defence" in low["ANSWER_NO_REMEDY"].message
    assert "no_remedy" not in ok["ANSWER_VERDICT"].data["red_flags"]
    assert ok["ANSWER_VERDICT"].data["usefulness"] > low["ANSWER_VERDICT"].data["usefulness"]
    # the same description answers a question that asks what the attack is
    what = found(injection("What does an indirect prompt injection attack look like?", ATTACK_ONLY))
    assert "no_remedy" not in what["ANSWER_VERDICT"].data["red_flags"]


def test_asked_how_two_things_relate_passages_that_each_speak_of_one_do_not_answer():
    question = "embedding 和 token 有啥关系"
    apart = ("向量数据库存储文本的 embedding 坐标，查询时找出距离最近的片段。 [1]\n\n"
             "为了控制 token 消耗，网关层要设置预算上限。 [2]")
    together = "embedding 模型先把文本切成 token，再把这些 token 映射成一个向量坐标。 [1]"
    emb = chunk("e1", "docs/deep_dives/03_embedding_zh.md", "向量坐标", lang="zh", section="嵌入")
    case = Case(question=question, lang="zh", question_lang="zh", text=apart, chunks=[emb, RAG], context_ids=["e1"],
                candidates=[cand(emb, 1, 2.0, 1, 1, used=True), cand(RAG, 2, 1.9, 2, 2)])
    low = found(case)
    assert low["ANSWER_VERDICT"].severity == "warn"
    first, second = low["ANSWER_SIDES_APART"].data["sides"]  # as the search reads them (stems)
    assert "embedding".startswith(first) and second == "token"
    assert first in low["ANSWER_SIDES_APART"].message and "token" in low["ANSWER_SIDES_APART"].message
    assert not any(f.startswith("sides_apart") for f in verdict(dataclasses.replace(case, text=together)).data["red_flags"])


def test_a_definition_asked_and_given_is_not_doubted_because_many_docs_speak_of_the_term():
    """"What is RAG?" matches half the docs about equally; an answer that says what RAG is needs no winning doc."""
    defined = FULL_RAG_ANSWER.replace("RAG retrieves relevant passages", "RAG (retrieval-augmented generation) is a "
                                      "way to answer from your documents: it retrieves relevant passages")
    undefined = FULL_RAG_ANSWER.replace("RAG retrieves relevant passages", "In the second phase the system "
                                        "retrieves relevant passages")
    tie = [cand(RAG, 1, 1.50, 1, 1, used=True), cand(VDB, 2, 1.49, 2, 2, used=True)]
    asked = Case(question="What is RAG?", text=defined, candidates=tie, context_ids=["rag1", "vdb1"])
    given, not_given = found(asked), found(dataclasses.replace(asked, text=undefined))
    assert given["ANSWER_VERDICT"].severity == "info" and "ANSWER_NO_CLEAR_SOURCE" not in given
    assert not_given["ANSWER_VERDICT"].data["usefulness"] < given["ANSWER_VERDICT"].data["usefulness"]


def test_an_answer_in_the_docs_word_for_the_questions_chat_word_holds_that_word():
    """"评估" is how learners say it, "评测" how the Chinese docs do (the glossary's equivalents, kept in the
    trace): an answer quoting the docs' word is not missing the question's."""
    triad = chunk("ev1", "docs/curriculum/phase5_100_to_200/33_rag_evaluation_zh.md",
                  "现代 RAG 评测衡量三个独立的维度：忠实度、回答相关性、上下文精度。", lang="zh", section="RAG 评测三要素")
    case = Case(question="RAG 怎么评估？", lang="zh", question_lang="zh", chunks=[triad, RAG],
                text="**RAG 评测三要素**\n\n现代 RAG 评测衡量三个独立的维度：忠实度、回答相关性、上下文精度。 [1]",
                candidates=[cand(triad, 1, 2.0, 1, 1, used=True), cand(RAG, 2, 1.2, 2, 2)], context_ids=["ev1"])
    inp = case.build()
    plain = {d.code: d for d in diagnose(inp, CONFIG, now=NOW)}["ANSWER_VERDICT"].data["coverage"]
    inp.answer.trace.equivalents = {"评估": ["评测"]}
    bridged = {d.code: d for d in diagnose(inp, CONFIG, now=NOW)}["ANSWER_VERDICT"].data["coverage"]
    assert bridged == 1.0 > plain
