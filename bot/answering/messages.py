"""Fixed user-facing sentences of the core, in both languages."""

from __future__ import annotations

MESSAGES = {
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
        "en": "(Quoted from the Chinese version of the docs.)",
        "zh": "（以下内容引自英文版文档。）",
    },
}


def message(key: str, lang: str, **values: object) -> str:
    return MESSAGES[key][lang if lang in ("en", "zh") else "en"].format(**values)
