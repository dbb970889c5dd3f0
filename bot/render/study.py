"""The companion's replies on each platform: a Telegram quiz poll (its explanation carrying the
citation) or inline keyboard, a Discord quiz message, and the callback data both kinds of buttons carry.

Button data: ``s<kind>:<arg>`` — ``sp:<card key>:<option>`` (an option of a review card), ``ss:<key>``
(show a cloze card's answer), ``sr:<key>:<1-4>`` (a self-rating), ``sd:<module>`` (mark done),
``sq:<module>`` (quiz me on it). Telegram allows 64 bytes of callback data; a card key is 16.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.companion.questions import MAX_EXPLANATION
from bot.companion.replies import Action, QuizPost, StudyReply
from bot.messages import message
from bot.render.discord import MESSAGE_LIMIT
from bot.render.split import split_message
from bot.render.telegram import TelegramMessage, escape, render_markdown

ACTION_CODES = {"pick": "sp", "show": "ss", "rate": "sr", "done": "sd", "quiz": "sq"}
CODE_ACTIONS = {code: kind for kind, code in ACTION_CODES.items()}
LETTERS = "ABCDEFGHIJKL"


def callback_data(action: Action) -> str:
    return f"{ACTION_CODES[action.kind]}:{action.arg}"


def parse_callback(data: str) -> tuple[str, str] | None:
    """(action kind, arg) of a companion button's data; None for other buttons."""
    code, _, arg = data.partition(":")
    kind = CODE_ACTIONS.get(code)
    return (kind, arg) if kind else None


# --- Telegram -----------------------------------------------------------------------------------------

def telegram_messages(reply: StudyReply) -> list[TelegramMessage]:
    return render_markdown(reply.text) if reply.text else []


def telegram_keyboard(actions: list[Action]) -> InlineKeyboardMarkup | None:
    if not actions:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(a.label, callback_data=callback_data(a)) for a in actions]])


def telegram_poll(post: QuizPost) -> dict:
    """``send_poll`` arguments for a native quiz: the correct option, and an explanation (shown to each
    member after they answer) that ends in a link to the cited section. Telegram counts the explanation's
    visible text, so the link's URL is free."""
    q = post.question
    source = message("study.source", post.lang)
    room = MAX_EXPLANATION - len(source) - 3
    text = q.explanation if len(q.explanation) <= room else q.explanation[: room - 1].rstrip() + "…"
    explanation = f'{escape(text)} — <a href="{html.escape(post.source_url, quote=True)}">{escape(source)}</a>'
    return {
        "question": q.prompt,
        "options": q.options,
        "type": "quiz",
        "correct_option_ids": [q.answer],
        "explanation": explanation,
        "explanation_parse_mode": "HTML",
    }


# --- Discord -----------------------------------------------------------------------------------------

def discord_messages(reply: StudyReply) -> list[str]:
    return split_message(reply.text, MESSAGE_LIMIT) if reply.text else []


def discord_quiz(post: QuizPost) -> str:
    """The question and its lettered options; the buttons under it carry the letters."""
    q = post.question
    lines = [f"**{message('study.quiz_title', post.lang)}** {q.prompt}"]
    lines += [f"**{LETTERS[i]}.** {option}" for i, option in enumerate(q.options)]
    lines.append(f"-# {message('study.quiz_footer', post.lang)}")
    return "\n".join(lines)
