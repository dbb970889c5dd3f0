"""Every fixed sentence the bot says, in English and Chinese: the core's answers around the answer,
the adapters' notices, the labels the renderers draw. Plain text with ``str.format`` fields; each
renderer escapes it for its platform."""

from __future__ import annotations

from bot.domain import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    # --- around an answer (the core) -------------------------------------------------------------
    "not_covered": {
        "en": "The Atlas does not seem to cover this. The nearest sections are:",
        "zh": "Atlas 似乎没有涉及这个问题。最接近的章节是：",
    },
    "empty": {
        "en": "Please ask a question about the AI Model Atlas — RAG, agents, fine-tuning, AI security…",
        "zh": "请提一个关于 AI Model Atlas 的问题，例如 RAG、智能体、微调或 AI 安全。",
    },
    "no_index": {
        "en": "The docs are not indexed yet, so I cannot answer. An admin needs to run `atlas-bot ingest`.",
        "zh": "文档尚未建立索引，暂时无法回答。请管理员运行 `atlas-bot ingest`。",
    },
    "truncated_question": {
        "en": "Your message was very long; I used its first {n} characters.",
        "zh": "你的消息很长，我只使用了前 {n} 个字符。",
    },
    "from_twin": {
        "en": "Quoted from the Chinese version of the docs.",
        "zh": "以下内容引自英文版文档。",
    },
    "answered_in_english": {
        "en": "Answered in English: the Atlas is written in English and Chinese.",
        "zh": "已用英文回答：Atlas 只有英文和中文版本。",
    },
    "low_confidence": {
        "en": "This may not fully answer your question — check the linked sections.",
        "zh": "这个回答可能没有完全回答你的问题，请查看下面链接的章节。",
    },
    "diagram_in_source": {
        "en": "The linked section also has a diagram.",
        "zh": "链接的章节里还有一张示意图。",
    },
    # --- navigation answers (from the Atlas's map) ---------------------------------------------------
    "nav_in_phase": {"en": "{phase}, {series}", "zh": "{series} · {phase}"},
    "nav_outline": {"en": "What it covers:", "zh": "主要内容："},
    "nav_next_link": {"en": "After {entry}, the doc's own next link goes to", "zh": "读完{entry}，文档自己的“下一章”指向"},
    "nav_next_in_order": {
        "en": "{entry} has no next link of its own; next in order is",
        "zh": "{entry}没有自己的“下一章”链接；按顺序下一篇是",
    },
    "nav_last": {"en": "{entry} is the last one in {series}.", "zh": "{entry}是{series}的最后一篇。"},
    "nav_track_title": {"en": "Track {track}: {title}", "zh": "路线 {track}：{title}"},
    "nav_track": {"en": "On track {track} ({title}), next is", "zh": "在路线 {track}（{title}）中，下一篇是"},
    "nav_no_entry": {
        "en": "{series} has no number {n}: its entries run from {first} to {last}.",
        "zh": "{series}没有第 {n} 篇：编号从 {first} 到 {last}。",
    },
    "nav_no_phase": {
        "en": "{series} has no phase {n}: it has phases {first} to {last}.",
        "zh": "{series}没有第 {n} 阶段：共有第 {first} 到第 {last} 阶段。",
    },
    "help.ask": {
        "en": (
            "I answer questions about the AI Model Atlas in English or Chinese and cite the sections I used.\n\n"
            "- Ask anything: *what is LoRA rank?*, *RAG 里的 chunk size 怎么选？*\n"
            "- Find your way: *what's in phase 3?*, *what is module 12 about?*, *threat model chapter 5*, *deep dive 7*\n"
            "- Summaries: *summarize module 25* gives a doc's sections with their key sentences\n"
            "- What next: *what should I read after the RAG intro?* follows the Atlas's own next links and tracks\n"
            "- /debug shows how the last answer was found."
        ),
        "zh": (
            "我用中文或英文回答关于 AI Model Atlas 的问题，并附上所用章节的引用。\n\n"
            "- 直接提问：*什么是 LoRA 的秩？*、*RAG 里的 chunk size 怎么选？*\n"
            "- 查目录：*第三阶段学什么？*、*第12课讲什么？*、*威胁模型第5章*、*深潜专题第7章*\n"
            "- 总结：*帮我总结一下第25课* 会列出文档的各节及其要点句\n"
            "- 下一步：*读完 RAG 入门之后该看什么？* 按 Atlas 自己的“下一章”链接和学习路线回答\n"
            "- /debug 查看上一个回答是怎么找到的。"
        ),
    },
    "sources": {"en": "Sources", "zh": "来源"},
    # the label of a link to a cited doc's other-language version, keyed by the *cited doc's* language
    "twin_label": {"en": "中文版", "zh": "English"},
    "empty_answer": {"en": "(empty answer)", "zh": "（空回答）"},
    # --- notices around the answers (adapters) ---------------------------------------------------
    "ask_usage": {"en": "Ask me something, e.g. /ask What is RAG?", "zh": "请提一个问题，例如：/ask 什么是 RAG？"},
    "lang_usage": {"en": "Use /lang en or /lang zh.", "zh": "用法：/lang en 或 /lang zh。"},
    "lang_set": {"en": "OK — I will answer in English.", "zh": "好的，之后我会用中文回答。"},
    "rate_limited": {
        "en": "You're asking fast — try again in {seconds} s.",
        "zh": "你问得有点快——请 {seconds} 秒后再试。",
    },
    "daily_budget": {
        "en": "This server or chat has used today's question budget — try again tomorrow.",
        "zh": "这里今天的提问额度已用完，明天再来吧。",
    },
    "not_admitted": {"en": "I can't take questions right now — try again later.", "zh": "现在无法提问，请稍后再试。"},
    "no_trace": {
        "en": "There is no answer of yours here yet. Ask something first, or use /debug <question>.",
        "zh": "你在这里还没有可查看的回答。先提个问题，或使用 /debug <问题>。",
    },
    "trace_gone": {
        "en": "That answer's trace has expired, so I can't show its debug view any more.",
        "zh": "这个回答的记录已过期，无法再显示调试信息。",
    },
    "thanks_up": {"en": "Thanks — glad it helped! 👍", "zh": "谢谢，很高兴能帮上忙！👍"},
    "thanks_down": {
        "en": "Thanks — noted. 👎 answers go into the report of gaps in the docs.",
        "zh": "谢谢，已记录。👎 的回答会进入文档缺口报告。",
    },
    "no_index_about": {
        "en": "No index is built yet — an admin can build one with /reindex.",
        "zh": "还没有索引——管理员可以用 /reindex 构建。",
    },
    "admin_only": {"en": "Sorry, only the bot's admins can do that.", "zh": "抱歉，只有管理员可以这样做。"},
    "reindexing": {"en": "Rebuilding the index…", "zh": "正在重建索引……"},
    "not_here": {"en": "I'm not enabled in this server or channel.", "zh": "我在这个服务器或频道中未启用。"},
    "gaps_attached": {
        "en": "The coverage-gap report is attached (too long for a message).",
        "zh": "文档缺口报告见附件（太长，无法放进一条消息）。",
    },
    "store_unavailable": {
        "en": "The bot's storage is unavailable right now, so this was not done and nothing was changed. "
              "Please try again in a minute.",
        "zh": "机器人的存储暂时不可用，所以这次操作没有执行，也没有任何改动。请一分钟后再试。",
    },
    "error": {
        "en": "Sorry — something went wrong on my side. Please try again; the maintainers have the details in the log.",
        "zh": "抱歉，我这边出了点问题，请再试一次；维护者可以在日志中看到详情。",
    },
    "help.telegram": {
        "en": (
            "I answer questions about the AI Model Atlas (RAG, agents, fine-tuning, AI security) and link "
            "the sections I used.\n\n"
            "In a private chat, just send a question. In a group, mention @{username}, reply to one of my "
            "messages, or use /ask.\n\n"
            "/ask <question> — ask a question\n"
            "/debug [question] — how the last answer was found\n"
            "/lang en|zh — the language I answer in\n"
            "/about — the index I am using\n"
            "/help — this message"
        ),
        "zh": (
            "我回答关于 AI Model Atlas（RAG、智能体、微调、AI 安全）的问题，并附上所用章节的链接。\n\n"
            "私聊时直接发问题即可。在群里请 @{username}、回复我的消息，或使用 /ask。\n\n"
            "/ask <问题> — 提问\n"
            "/debug [问题] — 查看上一个回答是怎么找到的\n"
            "/lang en|zh — 回答语言\n"
            "/about — 当前使用的索引\n"
            "/help — 显示本帮助"
        ),
    },
    "help.discord": {
        "en": (
            "Atlas Bot answers questions about the AI Model Atlas (English or 中文) with cited sources.\n"
            "/ask question — ask; or mention me in a channel and I answer in a thread (follow-ups there need no mention).\n"
            "/debug — how your last answer here was found: retrieved chunks, scores, timings, diagnostics.\n"
            "/debug question — ask and show the trace.\n"
            "/about — which index, commit and models are live.\n"
            "Under every answer: 🔍 Debug, 👍 / 👎 (a 👎 tells the maintainers the docs fell short).\n"
            "Admins: /reindex, /gaps."
        ),
        "zh": (
            "Atlas Bot 用中文或英文回答关于 AI Model Atlas 的问题，并附上引用来源。\n"
            "/ask 问题 — 提问；也可以在频道里 @我，我会在子区里回答（子区里追问无需再 @）。\n"
            "/debug — 查看你在这里的上一个回答是怎么找到的：检索到的段落、分数、耗时和诊断。\n"
            "/debug 问题 — 提问并显示调试信息。\n"
            "/about — 当前使用的索引、提交和模型。\n"
            "每个回答下面都有：🔍 调试、👍 / 👎（👎 会告诉维护者文档哪里不够）。\n"
            "管理员：/reindex、/gaps。"
        ),
    },
}

# Telegram's command menu, per language.
COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "en": [
        ("ask", "Ask a question about the AI Model Atlas"),
        ("debug", "How the last answer was found"),
        ("lang", "Answer language: en or zh"),
        ("about", "The index in use"),
        ("help", "What I can do"),
    ],
    "zh": [
        ("ask", "提一个关于 AI Model Atlas 的问题"),
        ("debug", "查看上一个回答是怎么找到的"),
        ("lang", "回答语言：en 或 zh"),
        ("about", "当前使用的索引"),
        ("help", "帮助"),
    ],
}


def message(key: str, lang: str, **values: object) -> str:
    """The sentence ``key`` in ``lang`` (English for anything else), its fields filled."""
    return MESSAGES[key][lang if lang in ("en", "zh") else "en"].format(**values)
