"""What the companion hands back to an adapter: plain data that each renderer draws its own way
(a Telegram quiz poll or inline keyboard, Discord buttons, the terminal)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.companion.questions import Question
from bot.domain import Lang

ActionKind = Literal["done", "show", "rate", "pick", "quiz"]


class Action(BaseModel):
    """A button under a reply. ``arg`` is what the button carries back (a module number, a card key
    and a rating, an option index)."""

    kind: ActionKind
    arg: str = ""
    label: str


class QuizPost(BaseModel):
    """A question to post for a chat: a Telegram quiz poll or Discord buttons; answers are scored per
    member through ``CompanionService.answer``."""

    quiz_id: str
    question: Question
    source_url: str
    lang: Lang


class PhaseScore(BaseModel):
    phase: str  # "curriculum 3", "deep_dives 2", "other"
    answered: int
    correct: int


class ProgressStats(BaseModel):
    """What /progress counts, for the chart the renderers draw beside the text."""

    phases: list[PhaseScore] = Field(default_factory=list)
    modules_done: int = 0
    modules_total: int = 0
    cards_due: int = 0
    cards_total: int = 0
    streak: int = 0


class StudyReply(BaseModel):
    """Markdown ``text`` (links absolute), then optionally a quiz, buttons, the numbers of a progress chart."""

    text: str = ""
    lang: Lang = "en"
    quiz: QuizPost | None = None
    actions: list[Action] = Field(default_factory=list)
    progress: ProgressStats | None = None


class AnswerResult(BaseModel):
    """A member's answer to a quiz or a review card, scored and scheduled."""

    correct: bool
    chosen: int
    question: Question
    again: bool = False  # this member had already answered this quiz: nothing changed
    text: str  # the verdict, the explanation and the citation (Markdown)
    lang: Lang
