"""The one ask flow both adapters share: a chat message becomes a question, the limits are checked,
the ask service answers. The adapter only renders what comes back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.companion.records import Member
from bot.companion.replies import StudyReply
from bot.companion.requests import study_request
from bot.domain import Answer, Asker, Lang
from bot.messages import message
from bot.services import Services
from bot.text.language import detect_question_language


@dataclass(frozen=True)
class Outcome:
    """An answer, a study reply (the message was a study request), or a notice to show instead (the
    question was empty or not admitted)."""

    answer: Answer | None = None
    notice: str | None = None
    study: StudyReply | None = None


async def study(services: Services, text: str, member: Member, lang: Lang) -> StudyReply | None:
    """The companion's reply when ``text`` is a study request ("quiz me on RAG", "我学到哪了"), else None."""
    request = study_request(text)
    if request is None:
        return None
    return await services.companion.handle(request, member, lang)


def ui_lang(text: str, asker: Asker, platform_hint: Lang | None = None) -> Lang:
    """The language of what the bot says around an answer: the asker's /lang choice, else the
    platform's locale, else the language the message is written in."""
    if asker.preferred_lang:
        return asker.preferred_lang
    if platform_hint:
        return platform_hint
    return detect_question_language(text, last_lang=asker.last_lang).lang


async def admit(services: Services, question: str, asker: Asker, lang: Lang) -> str | None:
    """None when the question may be answered now; else the notice to show (in ``lang``)."""
    if not question.strip():
        return message("ask_usage", lang)
    admission = await services.limits.admit(asker)
    if admission.ok:
        return None
    key = admission.reason if admission.reason in ("rate_limited", "daily_budget") else "not_admitted"
    return message(key, lang, seconds=max(admission.retry_after_s, 1))


async def ask(services: Services, question: str, asker: Asker, lang: Lang, member: Member | None = None,
              on_draft: Callable[[str], None] | None = None,
              on_preview: Callable[[Answer], None] | None = None) -> Outcome:
    """A study request goes to the companion (for ``member``); anything else is admitted, then answered.
    ``lang`` is the language of any notice; ``on_draft`` sees an LLM answer streaming, unchecked, and
    ``on_preview`` the docs' own answer shown while the LLM writes (``AskService.ask``)."""
    if member is not None:
        reply = await study(services, question, member, lang)
        if reply is not None:
            return Outcome(study=reply)
    notice = await admit(services, question, asker, lang)
    if notice is not None:
        return Outcome(notice=notice)
    return Outcome(answer=await services.asking.ask(question.strip(), asker, on_draft=on_draft, on_preview=on_preview))
