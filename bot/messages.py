"""Every fixed sentence the bot says, in English and Chinese: the core's answers around the answer,
the adapters' notices, the labels the renderers draw. Plain text with ``str.format`` fields; each
renderer escapes it for its platform."""

from __future__ import annotations

from bot.domain import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    # --- around an answer (the core) -------------------------------------------------------------
    "draft_unchecked": {
        "en": "✍️ Writing… (a draft, not yet checked against the docs: the checked answer replaces it)",
        "zh": "✍️ 正在撰写……（草稿，尚未对照文档检查，检查后的答案会替换它）",
    },
    "written_answer_coming": {
        "en": "⏳ The docs' own passages first. A written answer is on its way and replaces this once it is "
              "checked against them.",
        "zh": "⏳ 先看文档原文。正在撰写的答案对照文档检查后会替换这里。",
    },
    "written_answer_progress": {
        "en": "✍️ The docs' own passages first. A written answer is on its way ({n} words so far) and replaces "
              "this once it is checked against them.",
        "zh": "✍️ 先看文档原文。正在撰写答案（已写 {n} 字），对照文档检查后会替换这里。",
    },
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
    "answered_first_question": {
        "en": "Your message asks {n} things; this answers the first: “{question}”. Send the others on their own.",
        "zh": "你的消息里有 {n} 个问题；这里回答第一个：“{question}”。其他问题请单独发送。",
    },
    "same_section": {
        "en": "The section quoted in the answer before — here is the part about this.",
        "zh": "还是上一个回答引用的那一节——这里只摘出与追问相关的部分。",
    },
    "diagram_in_source": {
        "en": "The linked section also has a diagram.",
        "zh": "链接的章节里还有一张示意图。",
    },
    "followup_read_as": {
        "en": "Read as a follow-up: “{question}”",
        "zh": "按追问理解为：“{question}”",
    },
    "followup_no_context": {
        "en": "What should “it” refer to? There is no earlier question of yours here that I remember — "
              "please ask in full, e.g. “why is LoRA cheap to train?”.",
        "zh": "你指的是什么呢？我这里没有你之前的问题可以接着回答——请把问题说完整，例如“LoRA 为什么训练成本低？”。",
    },
    "followup_after_decline": {
        "en": "The Atlas did not cover your previous question, so I can't follow up on it. "
              "Please ask a full question about something in the Atlas.",
        "zh": "Atlas 没有涉及你上一个问题，所以我没法接着回答。请就 Atlas 里的内容完整地提一个问题。",
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
    "nav_topic": {"en": "The chapters whose titles name it:", "zh": "标题讲到它的章节："},
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
            "- Study: *quiz me on RAG*, *make me flashcards for LoRA*, *give me a 2-week plan*, *what should I study next?* "
            "(or /quiz, /review, /path, /progress)\n"
            "- Follow up in the same chat: *and why?*, *give me an example*\n"
            "- /debug shows how the last answer was found."
        ),
        "zh": (
            "我用中文或英文回答关于 AI Model Atlas 的问题，并附上所用章节的引用。\n\n"
            "- 直接提问：*什么是 LoRA 的秩？*、*RAG 里的 chunk size 怎么选？*\n"
            "- 查目录：*第三阶段学什么？*、*第12课讲什么？*、*威胁模型第5章*、*深潜专题第7章*\n"
            "- 总结：*帮我总结一下第25课* 会列出文档的各节及其要点句\n"
            "- 下一步：*读完 RAG 入门之后该看什么？* 按 Atlas 自己的“下一章”链接和学习路线回答\n"
            "- 学习：*给我出几道关于向量数据库的题*、*给我一个两周学习计划*、*我学到哪了*（或 /quiz、/review、/path、/progress）\n"
            "- 在同一个对话里追问：*为什么？*、*举个例子*\n"
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
            "/help — this message\n\n"
            "Studying: /quiz [topic] · /review · /flashcards topic · /path · /next · /module N · /done N · "
            "/plan [weeks] · /progress · /leaderboard · /tz Area/City · /forget me — or just say "
            "\"quiz me on RAG\", \"give me a 2-week plan\"."
        ),
        "zh": (
            "我回答关于 AI Model Atlas（RAG、智能体、微调、AI 安全）的问题，并附上所用章节的链接。\n\n"
            "私聊时直接发问题即可。在群里请 @{username}、回复我的消息，或使用 /ask。\n\n"
            "/ask <问题> — 提问\n"
            "/debug [问题] — 查看上一个回答是怎么找到的\n"
            "/lang en|zh — 回答语言\n"
            "/about — 当前使用的索引\n"
            "/help — 显示本帮助\n\n"
            "学习：/quiz [主题] · /review · /flashcards 主题 · /path · /next · /module N · /done N · "
            "/plan [周数] · /progress · /leaderboard · /tz 地区/城市 · /forget me——也可以直接说"
            "“给我出几道关于向量数据库的题”“我学到哪了”。"
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
            "Studying: /quiz, /review, /flashcards, /path, /next, /module, /done, /plan, /progress, /leaderboard — "
            "or mention me with \"quiz me on RAG\".\n"
            "Admins: /reindex, /gaps, /rhythm."
        ),
        "zh": (
            "Atlas Bot 用中文或英文回答关于 AI Model Atlas 的问题，并附上引用来源。\n"
            "/ask 问题 — 提问；也可以在频道里 @我，我会在子区里回答（子区里追问无需再 @）。\n"
            "/debug — 查看你在这里的上一个回答是怎么找到的：检索到的段落、分数、耗时和诊断。\n"
            "/debug 问题 — 提问并显示调试信息。\n"
            "/about — 当前使用的索引、提交和模型。\n"
            "每个回答下面都有：🔍 调试、👍 / 👎（👎 会告诉维护者文档哪里不够）。\n"
            "学习：/quiz、/review、/flashcards、/path、/next、/module、/done、/plan、/progress、/leaderboard——"
            "也可以 @我 说“给我出几道关于 RAG 的题”。\n"
            "管理员：/reindex、/gaps、/rhythm。"
        ),
    },
}

# --- the study companion (bot/companion) ---------------------------------------------------------
MESSAGES.update({
    "study.no_questions": {
        "en": "I found no quiz material on “{topic}” in the Atlas. Try another topic or a module number.",
        "zh": "在 Atlas 里没有找到关于“{topic}”的出题材料。换个主题，或者用课程编号试试。",
    },
    "study.quiz_unknown": {"en": "This quiz is no longer open.", "zh": "这道题已经结束了。"},
    "study.already_answered": {"en": "You already answered this one — your first answer counts.",
                               "zh": "你已经答过这道题了，以第一次的答案为准。"},
    "study.correct": {"en": "✅ Correct: **{answer}**.", "zh": "✅ 答对了：**{answer}**。"},
    "study.wrong": {"en": "❌ Not quite — the answer is **{answer}**. It is now a review card.",
                    "zh": "❌ 不对，答案是 **{answer}**。这道题已加入你的复习卡片。"},
    "study.next_review": {"en": "Next review {when}.", "zh": "下次复习：{when}。"},
    "study.source": {"en": "Source", "zh": "来源"},
    "study.in_minutes": {"en": "in {n} min", "zh": "{n} 分钟后"},
    "study.in_hours": {"en": "in {n} h", "zh": "{n} 小时后"},
    "study.in_days": {"en": "in {n} days", "zh": "{n} 天后"},
    "study.retired": {"en": "{n} card(s) retired: the passage they quoted is no longer in the Atlas.",
                      "zh": "{n} 张卡片已停用：它们引用的段落已不在 Atlas 中。"},
    "study.nothing_due": {"en": "No cards are due. Try /quiz, or make flashcards: “make me flashcards for LoRA”.",
                          "zh": "现在没有要复习的卡片。试试 /quiz，或者说“给我做几张 LoRA 的闪卡”。"},
    "study.review_header": {"en": "Review — {n} card(s) due", "zh": "复习——{n} 张卡片到期"},
    "study.show_answer": {"en": "Show answer", "zh": "显示答案"},
    "study.ratings": {"en": "Again|Hard|Good|Easy", "zh": "忘了|困难|记得|简单"},
    "study.cards_added": {"en": "Added {n} flashcard(s) on “{topic}”:", "zh": "已添加 {n} 张关于“{topic}”的闪卡："},
    "study.use_review": {"en": "They are due now: /review", "zh": "现在就可以复习：/review"},
    "study.no_map": {
        "en": "The learning paths need the Atlas map, which this index does not have yet — an admin can rebuild it with /reindex.",
        "zh": "学习路径需要 Atlas 地图，当前索引还没有——管理员可以用 /reindex 重建。",
    },
    "study.unknown_track": {"en": "There is no track “{track}”. Tracks: {tracks}.",
                            "zh": "没有名为“{track}”的路线。可选：{tracks}。"},
    "study.tracks": {"en": "Tracks: {tracks}. Follow one with /track ID.", "zh": "路线：{tracks}。用 /track ID 选择一条。"},
    "study.track_finished": {"en": "You have done every module of track {track}. 🎉", "zh": "你已经完成了路线 {track} 的全部课程。🎉"},
    "study.next": {"en": "Next on track {track}: {line}", "zh": "路线 {track} 的下一课：{line}"},
    "study.mark_done": {"en": "Mark done", "zh": "标记完成"},
    "study.quiz_me": {"en": "Quiz me", "zh": "考考我"},
    "study.unknown_module": {"en": "There is no module {n} (the curriculum has 0-{last}).",
                             "zh": "没有第 {n} 课（课程编号为 0-{last}）。"},
    "study.marked_done": {"en": "Marked done: {title}.", "zh": "已标记完成：{title}。"},
    "study.plan_header": {"en": "Your {weeks}-week plan on track {track}: {n} modules, about {pace} a week:",
                          "zh": "你的 {weeks} 周学习计划（路线 {track}）：共 {n} 课，每周约 {pace} 课："},
    "study.plan_rest": {"en": "After that, {n} more modules of the track (about {weeks} more weeks at this pace).",
                        "zh": "之后这条路线还剩 {n} 课（按这个节奏大约还要 {weeks} 周）。"},
    "study.week": {"en": "Week {n}", "zh": "第 {n} 周"},
    "study.bad_tz": {"en": "“{tz}” is not a timezone I know. Use a name like Europe/Berlin or Asia/Shanghai.",
                     "zh": "无法识别时区“{tz}”。请使用类似 Asia/Shanghai 或 Europe/Berlin 的名称。"},
    "study.tz_set": {"en": "Your timezone is now {tz}: streaks count your days there.", "zh": "时区已设为 {tz}，连续学习天数按该时区计算。"},
    "study.track_set": {"en": "You now follow track {track}.", "zh": "你现在的学习路线是 {track}。"},
    "study.optout": {"en": "You are off the leaderboards.", "zh": "你已退出排行榜。"},
    "study.optin": {"en": "You are back on the leaderboards.", "zh": "你已重新加入排行榜。"},
    "study.forgotten": {"en": "Done: your progress, cards and scores are deleted.", "zh": "已删除你的学习进度、卡片和积分。"},
    "study.progress_header": {"en": "**Your progress**", "zh": "**你的学习进度**"},
    "study.modules_done": {"en": "Modules done: {n}/{total} (track {track})", "zh": "已完成课程：{n}/{total}（路线 {track}）"},
    "study.accuracy": {"en": "Quiz accuracy by phase:", "zh": "各阶段答题正确率："},
    "study.cards": {"en": "Cards due: {due} of {total}", "zh": "到期卡片：{due} / {total}"},
    "study.streak": {"en": "Streak: {n} day(s) ({tz})", "zh": "连续学习：{n} 天（{tz}）"},
    "study.board_week": {"en": "**Leaderboard — week {week}** (correct answers)", "zh": "**排行榜——{week} 周**（答对题数）"},
    "study.board_all": {"en": "**Leaderboard — all time** (correct answers)", "zh": "**排行榜——总榜**（答对题数）"},
    "study.board_empty": {"en": "Nobody has answered a quiz here yet.", "zh": "这里还没有人答过题。"},
    "study.quiz_title": {"en": "Quiz:", "zh": "小测："},
    "study.quiz_footer": {"en": "Pick a letter; each member's first answer counts. The source shows after you answer.",
                          "zh": "点字母作答，每人以第一次回答为准。作答后显示出处。"},
    "study.forget_usage": {"en": "To delete all your study data, send /forget me.", "zh": "要删除你的全部学习数据，请发送 /forget me。"},
    "study.usage_module": {"en": "Use /module N, e.g. /module 12.", "zh": "用法：/module N，例如 /module 12。"},
    "study.usage_done": {"en": "Use /done N, e.g. /done 12.", "zh": "用法：/done N，例如 /done 12。"},
    "study.usage_tz": {"en": "Use /tz Area/City, e.g. /tz Asia/Shanghai.", "zh": "用法：/tz 地区/城市，例如 /tz Asia/Shanghai。"},
    "study.cloze_title": {"en": "Recall:", "zh": "回忆一下："},
    "study.qotd": {"en": "☀️ Question of the day", "zh": "☀️ 每日一题"},
    "study.recap_title": {"en": "**Weekly recap — {week}**", "zh": "**本周回顾——{week}**"},
    "study.recap_nobody": {"en": "Nobody answered a quiz this week.", "zh": "本周还没有人答题。"},
    "study.recap_studied": {"en": "{n} studied: {names}", "zh": "{n} 人参与学习：{names}"},
    "study.recap_missed": {"en": "Missed most:", "zh": "错得最多的题："},
    "study.recap_next": {"en": "Next up: {line}", "zh": "下一课：{line}"},
    "study.rhythm_set": {"en": "This channel's rhythm: question of the day {daily}, weekly recap {weekly} ({tz}).",
                         "zh": "本频道的学习节奏：每日一题 {daily}，每周回顾 {weekly}（{tz}）。"},
    "study.rhythm_off": {"en": "This channel has no scheduled posts now.", "zh": "本频道已取消定时发布。"},
    "study.rhythm_usage": {
        "en": "Admins: /rhythm daily 09:00 · /rhythm weekly sun 18:00 · /rhythm tz Asia/Shanghai · /rhythm module 12 · /rhythm off",
        "zh": "管理员：/rhythm daily 09:00 · /rhythm weekly sun 18:00 · /rhythm tz Asia/Shanghai · /rhythm module 12 · /rhythm off",
    },
    "study.not_saved": {
        "en": "the bot's storage is unavailable, so your quiz answer was not recorded (nothing was half-saved).",
        "zh": "机器人的存储暂时不可用，你的答题没有被记录（没有保存任何部分数据）。",
    },
})

# Telegram's command menu, per language.
COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "en": [
        ("ask", "Ask a question about the AI Model Atlas"),
        ("debug", "How the last answer was found"),
        ("lang", "Answer language: en or zh"),
        ("quiz", "A quiz question from the Atlas: /quiz [topic or module]"),
        ("review", "Your flashcards due now"),
        ("next", "Your next module"),
        ("progress", "Modules done, accuracy, cards due, streak"),
        ("about", "The index in use"),
        ("help", "What I can do"),
    ],
    "zh": [
        ("ask", "提一个关于 AI Model Atlas 的问题"),
        ("debug", "查看上一个回答是怎么找到的"),
        ("lang", "回答语言：en 或 zh"),
        ("quiz", "来一道 Atlas 小测：/quiz [主题或课程号]"),
        ("review", "复习到期的卡片"),
        ("next", "下一课"),
        ("progress", "学习进度、正确率、到期卡片、连续天数"),
        ("about", "当前使用的索引"),
        ("help", "帮助"),
    ],
}


def message(key: str, lang: str, **values: object) -> str:
    """The sentence ``key`` in ``lang`` (English for anything else), its fields filled."""
    return MESSAGES[key][lang if lang in ("en", "zh") else "en"].format(**values)
