"""What the bot says around the answers, in English and Chinese. Plain text: callers escape it."""

from __future__ import annotations

from bot.domain import Lang

_TEXTS: dict[str, dict[Lang, str]] = {
    "help": {
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
    "ask_usage": {"en": "Ask me something, e.g. /ask What is RAG?", "zh": "请提一个问题，例如：/ask 什么是 RAG？"},
    "lang_usage": {"en": "Use /lang en or /lang zh.", "zh": "用法：/lang en 或 /lang zh。"},
    "lang_set": {"en": "OK — I will answer in English.", "zh": "好的，之后我会用中文回答。"},
    "rate_limited": {
        "en": "You're asking fast — try again in {seconds} s.",
        "zh": "你问得有点快——请 {seconds} 秒后再试。",
    },
    "daily_budget": {
        "en": "This chat has used today's question budget — try again tomorrow.",
        "zh": "本聊天今天的提问额度已用完，明天再来吧。",
    },
    "not_admitted": {"en": "I can't take questions right now — try again later.", "zh": "现在无法提问，请稍后再试。"},
    "no_trace": {
        "en": "There is no answer of yours in this chat yet. Ask something first, or use /debug <question>.",
        "zh": "你在这个聊天里还没有回答可查。先提个问题，或使用 /debug <问题>。",
    },
    "trace_gone": {"en": "That answer's trace has expired.", "zh": "这个回答的记录已过期。"},
    "thanks": {"en": "Thanks for the feedback!", "zh": "谢谢你的反馈！"},
    "no_index": {
        "en": "No index yet — an admin can build one with /reindex.",
        "zh": "还没有索引——管理员可以用 /reindex 构建。",
    },
    "admin_only": {"en": "Sorry, only admins can do that.", "zh": "抱歉，只有管理员可以这样做。"},
    "reindexing": {"en": "Rebuilding the index…", "zh": "正在重建索引……"},
    "error": {
        "en": "Sorry — something went wrong on my side. Please try again.",
        "zh": "抱歉，我这边出了点问题，请再试一次。",
    },
}

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


def text(key: str, lang: Lang, **values: object) -> str:
    return _TEXTS[key][lang].format(**values)
