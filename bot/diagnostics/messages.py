"""One-line messages for every diagnostic, in English and Chinese.

Keys are the diagnostic code, or ``code.variant`` when one code has several messages. Values are
``str.format`` templates; ``make`` fills them and keeps the result on one short line.
"""

from __future__ import annotations

from bot.domain import Diagnostic, Lang, Severity

MESSAGES: dict[str, tuple[str, str]] = {
    "FP1_MISSING_CONTENT.refused": (
        "The Atlas does not seem to cover this: best evidence {score} is below the threshold {threshold}.",
        "Atlas 似乎没有涵盖这个问题：最佳证据得分 {score} 低于阈值 {threshold}。",
    ),
    "FP1_MISSING_CONTENT.llm_declined": (
        "The LLM said the passages do not answer this, and the retrieval evidence {score} was only just above the threshold {threshold}.",
        "LLM 认为检索到的段落无法回答这个问题，而检索证据得分 {score} 仅略高于阈值 {threshold}。",
    ),
    "FP1_MISSING_CONTENT.llm_overruled": (
        "The LLM said the passages do not answer this, though the evidence {score} is well above the threshold {threshold}; the docs' own passages are shown.",
        "LLM 认为段落无法回答这个问题，但证据得分 {score} 远高于阈值 {threshold}，因此直接展示文档原文。",
    ),
    "FP1_MISSING_CONTENT.near": (
        "Weak evidence: score {score} is barely above the refusal threshold {threshold}; the answer may be a stretch.",
        "证据偏弱：得分 {score} 仅略高于拒答阈值 {threshold}，答案可能有些牵强。",
    ),
    "ANSWER_VERDICT.ok": (
        "Verdict: this answer likely answers the question (usefulness {p}).",
        "评估：这个回答很可能回答了问题（有用度 {p}）。",
    ),
    "ANSWER_VERDICT.low": (
        "Verdict: this answer may not answer the question (usefulness {p}); see the signals below.",
        "评估：这个回答可能没有真正回答问题（有用度 {p}），原因见下面几项。",
    ),
    "ANSWER_OFF_QUESTION": (
        "The answer leaves out words of the question: {missing}.",
        "回答没有涉及问题中的这些词：{missing}。",
    ),
    "ANSWER_NO_CLEAR_SOURCE": (
        "Two docs matched almost equally ({first} vs {second}, margin {margin}): the answer may come from the wrong one.",
        "两篇文档的匹配程度几乎相同（{first} 与 {second}，相差 {margin}）：回答可能出自不对的那篇。",
    ),
    "ANSWER_FRAGMENT": (
        "The answer is only a lead-in: a sentence or two, or it announces what follows and stops.",
        "回答只是一段引子：只有一两句话，或者说了“以下是……”却没有下文。",
    ),
    "ANSWER_KIND_MISSED.number": (
        "The question asks for a number, but the answer has none.",
        "问题问的是一个数字，但回答里没有任何数字。",
    ),
    "ANSWER_KIND_MISSED.items": (
        "The question asks for several things, but the answer lists none.",
        "问题问的是哪些/哪几项，但回答里没有列出来。",
    ),
    "ANSWER_KIND_MISSED.how": (
        "A \"how\" question, but the answer gives no steps.",
        "这是“怎么做”的问题，但回答里没有步骤。",
    ),
    "ANSWER_KIND_MISSED.compare": (
        "A comparison, but the answer speaks of only one side.",
        "这是比较类问题，但回答只讲了其中一方。",
    ),
    "ANSWER_NO_REMEDY": (
        "The question asks how to prevent or fix something, but the answer names no defence or remedy.",
        "问题问的是怎么防止或解决，但回答里没有任何防御或应对措施。",
    ),
    "ANSWER_SIDES_APART": (
        "The question asks how {first} and {second} relate, but no passage of the answer speaks of both.",
        "问题问的是 {first} 和 {second} 之间的关系，但回答里没有一段同时讲到两者。",
    ),
    "ANSWER_LINK_LIST": (
        "The answer is a list of chapter links, but the question does not ask where to read.",
        "回答是一串章节链接，但问题并没有问该看哪一章。",
    ),
    "ANSWER_SHAPE": (
        "The answer's text is damaged or unfinished: {problems}.",
        "回答的文本有损坏或不完整：{problems}。",
    ),
    "FP2_RANK_DISAGREEMENT": (
        "Dense and keyword search disagree: {shared} of their top {k} docs overlap.",
        "向量检索与关键词检索分歧较大：前 {k} 篇文档中仅有 {shared} 篇重合。",
    ),
    "FP2_FLAT_SCORES": (
        "No result stands out: the top {n} fused scores are within {spread} of each other.",
        "没有明显更相关的结果：前 {n} 个融合得分相差不到 {spread}。",
    ),
    "FP2_EXACT_TERM_MISSED": (
        "The best keyword match for “{term}” (keyword rank #{rank}) did not make it into the context.",
        "与“{term}”最匹配的关键词结果（关键词排名 #{rank}）没有进入上下文。",
    ),
    "FP3_NOT_IN_CONTEXT": (
        "{count} highly ranked passage(s) were dropped before answering ({reasons}), e.g. {doc} › {section}.",
        "有 {count} 个排名靠前的段落在作答前被丢弃（{reasons}），例如 {doc} › {section}。",
    ),
    "FP4_UNSUPPORTED": (
        "{count} sentence(s) were not supported by the passage the model cited: re-cited or left out.",
        "有 {count} 句话在模型引用的段落里找不到依据：已改引其他段落或删去。",
    ),
    "FP4_OUTSIDE_KNOWLEDGE": (
        "{count} sentence(s) supported by no passage (the model's own knowledge) were left out, e.g. \"{example}\".",
        "有 {count} 句话在任何段落里都找不到依据（模型自己的知识），已删去，例如“{example}”。",
    ),
    "FP4_CONTRADICTION": (
        "{count} sentence(s) contradicted their passage (negation or number) and were left out, e.g. \"{example}\".",
        "有 {count} 句话与段落矛盾（否定或数字不符），已删去，例如“{example}”。",
    ),
    "FP4_REPEATED": (
        "The model repeated {count} sentence(s); the repeats were left out.",
        "模型重复了 {count} 句话，重复部分已删去。",
    ),
    "FP4_COPIED": (
        "{share} of the answer is copied word for word from the passages.",
        "回答中有 {share} 是逐字照抄段落的。",
    ),
    "LLM_CORRECTED": (
        "The model's first answer failed a check ({reason}); it was asked once more and this answer passed.",
        "模型的第一次回答未通过检查（{reason}），再问一次后这个回答通过了。",
    ),
    "FP4_UNMARKED": (
        "The model cited nothing for {count} sentence(s); each shown cites the passage the checks found supporting it.",
        "模型有 {count} 句话没有标注引用；展示的每句话都引用了检查找到的支持段落。",
    ),
    "FP4_DANGLING_MARKERS": (
        "Citation markers {markers} pointed to no source and were removed.",
        "引用标记 {markers} 没有对应的来源，已被移除。",
    ),
    "FP5_WRONG_LANGUAGE": (
        "The answer is written in {answer_lang} but the question was taken as {question_lang}.",
        "回答使用的是{answer_lang}，但问题被识别为{question_lang}。",
    ),
    "FP5_TRUNCATED": (
        "The answer was cut off at the model's token limit.",
        "回答因达到模型的 token 上限而被截断。",
    ),
    "FP6_VAGUE_QUESTION": (
        "The question is very short ({tokens} key word(s)) and the results span {docs} unrelated docs; try being more specific.",
        "问题过于简短（{tokens} 个关键词），检索结果分散在 {docs} 篇不相关的文档中；请把问题问得更具体些。",
    ),
    "FP7_INCOMPLETE": (
        "Part of the question has no supporting passage: “{part}”.",
        "问题的一部分在上下文中找不到依据：“{part}”。",
    ),
    "LOW_VALUE_CONTEXT": (
        "{count} of {slots} context slots hold low-value text ({kinds}).",
        "上下文的 {slots} 个位置中有 {count} 个是低价值内容（{kinds}）。",
    ),
    "LANG_MISMATCH": (
        "Only {same} context passage(s) are in {question_lang}; the answer leans on the {other_lang} version.",
        "上下文中只有 {same} 个{question_lang}段落，回答主要依赖{other_lang}版本。",
    ),
    "PROMPT_INJECTION": (
        "The question contains instructions aimed at the bot ({match}); they were ignored.",
        "问题中含有针对机器人的指令（{match}），已忽略。",
    ),
    "PROMPT_INJECTION_CONTEXT": (
        "Context quotes an attack string ({match}) — treated as content.",
        "上下文引用了攻击字符串（{match}）——仅作为内容处理。",
    ),
    "STALE_EMBED_MODEL": (
        "The query was embedded with {query_model} but the index was built with {index_model}; rebuild the index.",
        "查询使用 {query_model} 编码，但索引由 {index_model} 构建；请重建索引。",
    ),
    "STALE_SOURCE_CHANGED": (
        "The docs changed since the index was built; answers may be out of date until a reindex.",
        "索引构建后文档已有改动；重建索引前答案可能已过时。",
    ),
    "STALE_INDEX_AGE": (
        "The index is {days} days old.",
        "索引已有 {days} 天未更新。",
    ),
    "COST_OVER_BUDGET": (
        "This answer cost ${cost}, over the ${budget} budget.",
        "本次回答花费 ${cost}，超出预算 ${budget}。",
    ),
    "TOKENS_OVER_BUDGET": (
        "This answer used {tokens} tokens, over the {budget} budget.",
        "本次回答使用了 {tokens} 个 token，超出预算 {budget}。",
    ),
    "LATENCY_OVER_BUDGET": (
        "Slow stage(s): {stages}.",
        "耗时过长的阶段：{stages}。",
    ),
    "CACHE_UNAVAILABLE": (
        "Redis is unavailable ({why}): the bot caches in memory meanwhile, and votes wait there until it returns.",
        "Redis 不可用（{why}）：期间机器人在内存中缓存，投票也先保存在内存里，等它恢复后写入。",
    ),
    "LLM_FALLBACK": (
        "The language model failed ({error}); this is an extractive fallback answer.",
        "语言模型调用失败（{error}），这是抽取式的备用答案。",
    ),
    "LLM_FALLBACK.breaker": (
        "The language model is switched off for now after repeated failures ({error}); this is an extractive answer.",
        "语言模型多次失败后暂时停用（{error}），这是抽取式答案。",
    ),
    "LLM_FALLBACK.checked": (
        "The language model's answer failed the checks ({reason}{retried}); these are the docs' own passages instead.",
        "语言模型的回答未通过检查（{reason}{retried}），改为直接引用文档原文。",
    ),
    "DIAGNOSTIC_ERROR": (
        "The {check} check could not run on this trace.",
        "{check} 检查无法在此追踪记录上运行。",
    ),
}

LANG_NAMES = {"en": ("English", "英文"), "zh": ("Chinese", "中文")}
MAX_CHARS = 240


def lang_name(code: str, lang: Lang) -> str:
    names = LANG_NAMES.get(code)
    return (names[1] if lang == "zh" else names[0]) if names else code


def short(value: object, limit: int = 60) -> str:
    """A value fit for one line of a message: newlines flattened, long text cut."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make(code: str, severity: Severity, lang: Lang, data: dict, variant: str = "", **fields: object) -> Diagnostic:
    en, zh = MESSAGES[f"{code}.{variant}" if variant else code]
    message = " ".join((zh if lang == "zh" else en).format(**{k: short(v) for k, v in fields.items()}).split())
    if len(message) > MAX_CHARS:
        message = message[: MAX_CHARS - 1] + "…"
    return Diagnostic(code=code, severity=severity, message=message, data=data)
