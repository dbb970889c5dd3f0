"""What kind of answer a question wants, in both languages."""

from __future__ import annotations

import pytest

from bot.text.question_kind import classify_question, defines, without_style
from bot.text.tokenizer import BilingualTokenizer

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("question, kind, focus", [
    ("what is RAG?", "definition", "RAG"),
    ("what's a token", "definition", "token"),
    ("what is quantization, in simple words", "definition", "quantization"),
    ("什么是向量数据库？", "definition", "向量数据库"),
    ("MCP 是什么东西？", "definition", "MCP"),
    ("混合专家模型是啥", "definition", "混合专家模型"),
    ("那 idempotency key 是干嘛用的？", "definition", "idempotency key"),  # what it is for; not "那 …"
    ("用一句话解释 MoE", "definition", "MoE"),
    ("how do I pick a chunk size for my docs", "compare", ""),  # a choice weighs options against each other
    ("how do I run a model on my laptop", "how", ""),
    ("怎么在自己的笔记本上跑一个本地大模型？", "how", ""),
    ("why do LLMs hallucinate", "why", ""),
    ("为什么 Transformer 比 RNN 好？", "why", ""),
    ("RAG vs fine-tuning?", "compare", ""),
    ("Ollama 和 vLLM 有什么区别？", "compare", ""),
    ("what is the difference between RAG and fine-tuning", "compare", ""),
    ("how is a semantic cache different from normal web caching?", "compare", ""),
    ("LLM 时代的 red teaming 跟传统做法比有啥不一样？", "compare", ""),
    ("闭源模型跟开放权重模型到底差在哪", "compare", ""),
    # a quoted term is the one to define, whatever is said around it (not an apostrophe: LLM's)
    ("课程最后那个附录里说的“科学 AI”具体指什么？", "definition", "科学 AI"),
    ("what does 'graceful degradation' mean for an LLM app?", "definition", "graceful degradation"),
    ("what is an LLM's temperature", "definition", "LLM's temperature"),
    ("how do reasoning models think before they answer?", "how", ""),  # "reasoning" asks no reason
    ("what is the reason models hallucinate", "why", ""),
    ("whats the point of writing a script to jailbreak your own model?", "why", ""),  # what it is for
    ("在 git commit 阶段扫 prompt template 到底有啥用？", "why", ""),
])
def test_question_kinds(question, kind, focus):
    intent = classify_question(question)
    assert (intent.kind, intent.focus) == (kind, focus)


def test_brief_code_and_example_wishes():
    assert classify_question("用一句话解释 MoE").brief and classify_question("explain LoRA in one sentence").brief
    assert classify_question("show me the python code to call DeepSeek").wants_code
    assert classify_question("give me an example of prompt injection").wants_example and classify_question("举个例子").wants_example


@pytest.mark.parametrize("question, content", [
    ("what is quantization, in simple words", "what is quantization"),
    ("can someone ELI5 how HNSW search works?", "can someone how HNSW search works?"),
    ("用大白话讲讲什么是 RAG", "什么是 RAG"),
    ("通俗地讲，KV Cache 是什么", "KV Cache 是什么"),
    ("what words does the tokenizer split?", "what words does the tokenizer split?"),  # "words" as the subject stays
])
def test_the_manner_of_answering_is_not_what_to_search_for(question, content):
    assert without_style(question) == content


@pytest.mark.parametrize("text, focus, says", [
    ("科学家们研发了一项改变游戏规则的技术：**LoRA (Low-Rank Adaptation，低秩适应)**。", "LoRA", True),
    ("并把它们存放在专门的向量数据库 (Vector Database) 中。", "向量数据库", False),  # a mention, not a definition
    ("向量数据库 (Vector Database) 的核心任务，就是存储这些文本对应的坐标。", "向量数据库", True),
    ("A **Vector Database** solves this by storing the Embedding coordinates of text blocks.", "Vector Database", True),
    ("When choosing a vector database for your RAG system, you will pick one of these four:", "vector database", False),
    ("当你开始动手搭建 RAG 知识库系统时，通常会在这四款主流向量数据库中做出选择：", "向量数据库", False),
])
def test_a_definition_is_told_by_its_verb_not_by_naming_the_term(text, focus, says):
    assert defines(text, focus) is says


@pytest.mark.parametrize("question, wants", [
    ("what are the 3 training stages an llm goes through", True),
    ("which tools catch leaked API keys before a commit?", True),
    ("what should we put on a dashboard for our prompts?", True),
    ("威胁模型里要保护的资产有哪些？", True),
    ("三维量化指标指的是哪三个维度？", True),
    ("what is RAG?", False),
    ("why do LLMs hallucinate", False),
    ("怎么在自己的笔记本上跑一个本地大模型？", False),
])
def test_a_question_asking_for_several_things_wants_a_list(question, wants):
    assert classify_question(question).wants_list is wants


def test_the_first_of_several_questions_says_what_is_asked():
    intent = classify_question("what is GraphRAG exactly? is it basically 知识图谱 + RAG? when does normal RAG fall short")
    assert (intent.kind, intent.focus) == ("definition", "GraphRAG")
    assert not intent.brief  # "fall short" asks nothing about the answer's length
    assert classify_question("keep it short: what is LoRA").brief


def test_a_bold_title_saying_what_x_is_not_is_no_definition():
    assert not defines("**GraphRAG Is Not Magic** GraphRAG solves structure problems", "GraphRAG")
    assert defines("GraphRAG is a way to retrieve connected facts", "GraphRAG")


@pytest.mark.parametrize("question, count", [
    ("what are the 4 things we should do about dependencies", 4),
    ("what are the three training stages", 3),
    ("系统级护栏在哪两个环节做检查", 2),
    ("三维量化指标指的是哪三个维度？", 3),
    ("I have 2 GPUs, which model fits?", None),
    ("用一句话解释 RAG", None),
])
def test_a_question_naming_how_many_things_it_wants_is_counted(question, count):
    assert classify_question(question).count == count


@pytest.mark.parametrize("question, wants", [
    ("can you give me an example of a system prompt?", True),
    ("举个例子", True),
    ("how do you pick few-shot examples per query?", False),  # the examples are the topic
    ("how many training examples does LoRA need?", False),
])
def test_only_a_request_for_an_example_wants_one(question, wants):
    assert classify_question(question).wants_example is wants


@pytest.mark.parametrize("question, focus", [
    ("量化到底是啥意思？为什么能省显存", "量化"),
    ("fine-tune 到底是在干嘛？就是再训一遍吗", "fine-tune"),
    ("Agent 是干嘛的", "Agent"),
])
def test_a_chinese_what_is_it_in_other_words_is_a_definition(question, focus):
    intent = classify_question(question)
    assert (intent.kind, intent.focus) == ("definition", focus)


def test_asking_how_to_stop_something_wants_a_remedy():
    assert classify_question("how do we stop duplicate generations?").wants_remedy
    assert classify_question("怎么防止提示词泄露").wants_remedy
    assert not classify_question("how does LoRA work?").wants_remedy


@pytest.mark.parametrize("question, practical", [
    ("how do we anonymize customer emails before indexing them?", True),
    ("怎么把提交里写死的提示词自动拦下来？", True),
    ("how to add tracing to an llm app", True),
    ("how does putting retrieved docs in the prompt reduce hallucinations?", False),  # how it works
    ("RAG 是怎么减少幻觉的？", False),
    ("why do LLMs hallucinate", False),
])
def test_asking_how_to_do_something_is_practical_but_how_it_works_is_not(question, practical):
    assert classify_question(question).practical is practical


def test_a_why_about_the_difference_itself_still_wants_the_reasons():
    assert classify_question("API billing 里 input token 跟 output token 为啥单价不一样？").kind == "why"
    assert classify_question("can I use a different API key for the judge model?").kind != "compare"


@pytest.mark.parametrize("question, topic, asks_for_one", [
    ("Agent举个例子", "agent", True), ("举例说明 RAG", "rag", True),
    ("give me an example of prompt injection", "inject", True),
    ("what are few-shot examples", "exampl", False),  # examples are the topic here
])
def test_asking_for_an_example_is_a_manner_not_a_topic(question, topic, asks_for_one):
    # "例子" would otherwise weigh as a rare word and pull in the few-shot prompting passage about 例子
    words = set(BilingualTokenizer().tokens(without_style(question)))
    assert topic in words
    assert classify_question(question).wants_example == asks_for_one
    if asks_for_one:
        assert not words & {"例子", "举例", "exampl"}, words


def test_a_definition_inside_a_quoted_answer_does_not_define():
    # a doc quoting answers for the reader to judge: the quoted one is there to be found wrong
    kind = classify_question("RRF 是什么？")
    assert kind.names_focus("RRF（Reciprocal Rank Fusion）是一种融合多个排序列表的算法。")
    assert not kind.names_focus("答案 C：“RRF 是由 Google 在 2015 年发明的，旨在改进 PageRank。”")


@pytest.mark.parametrize("question", ["LangChain 和 LlamaIndex 在安全上要注意的东西一样吗？", "is RAG the same as fine-tuning?",
                                      "模型和权重是一回事吗"])
def test_asking_whether_two_things_are_the_same_is_a_comparison(question):
    assert classify_question(question).kind == "compare"


@pytest.mark.parametrize("question, kind", [("what are we supposed to use instead", "other"), ("what is it", "other"),
                                            ("what do you mean", "other"), ("what is IT security", "definition")])
def test_a_pronoun_after_what_is_is_not_a_term_to_define(question, kind):
    assert classify_question(question).kind == kind
