"""A group's rhythm: a question of the day and a weekly recap, per channel, at the group's local time.

Each channel's schedule lives in ``study:rhythms`` (one field per ``<platform>:<channel>``). The bots
tick every minute (PTB's JobQueue, discord.py's ``tasks.loop``) and ask which slots are due: a slot is
one post ("2026-11-30 daily"), due from its time until the end of that local day (or week), so a bot
that was down at 09:00 posts when it is back, later that day. Before posting, a replica claims the slot
in ``study:posted:<platform>:<channel>`` (HSETNX: of two replicas exactly one wins); after posting it
marks it done. A claim whose holder died before posting expires after ``CLAIM_TTL``, so a crash loses
no post and a restart repeats none.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel

from bot.companion.records import PREFIX, tz_of
from bot.domain import Lang

RHYTHMS = f"{PREFIX}rhythms"
CLAIM_TTL = timedelta(minutes=5)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class Rhythm(BaseModel):
    platform: str
    channel: str  # where to post (a Telegram chat, a Discord channel)
    space: str  # the group whose board and members the recap reads
    lang: Lang = "en"
    tz: str = "UTC"
    daily: str | None = None  # "09:00": a question of the day
    weekly: str | None = None  # "sun 18:00": the weekly recap
    module: int | None = None  # the group's current module (questions of the day come from it)

    @property
    def field(self) -> str:
        return f"{self.platform}:{self.channel}"


class Slot(BaseModel):
    rhythm: Rhythm
    kind: str  # "daily" | "weekly"
    id: str  # "2026-11-30 daily", "2026-W48 weekly"


def parse_daily(text: str) -> str | None:
    m = _TIME.match(text.strip())
    return f"{int(m[1]):02d}:{m[2]}" if m else None


def parse_weekly(text: str) -> str | None:
    parts = text.strip().lower().split()
    if len(parts) != 2 or parts[0][:3] not in DAYS:
        return None
    at = parse_daily(parts[1])
    return f"{parts[0][:3]} {at}" if at else None


def due_slots(rhythm: Rhythm, now: datetime) -> list[Slot]:
    """The slots of ``rhythm`` whose time has come (in the group's timezone) and whose day or week is not over."""
    local = now.astimezone(tz_of(rhythm.tz))
    out = []
    if rhythm.daily:
        hour, minute = map(int, rhythm.daily.split(":"))
        if (local.hour, local.minute) >= (hour, minute):
            out.append(Slot(rhythm=rhythm, kind="daily", id=f"{local.date().isoformat()} daily"))
    if rhythm.weekly:
        day, at = rhythm.weekly.split()
        hour, minute = map(int, at.split(":"))
        if (local.weekday(), local.hour, local.minute) >= (DAYS.index(day), hour, minute):
            year, week, _ = local.isocalendar()
            out.append(Slot(rhythm=rhythm, kind="weekly", id=f"{year}-W{week:02d} weekly"))
    return out


def claim_value(now: datetime) -> str:
    return f"claimed {now.isoformat()}"


def claim_expired(value: str, now: datetime) -> bool:
    if not value.startswith("claimed "):
        return False
    return now - datetime.fromisoformat(value.split(" ", 1)[1]) > CLAIM_TTL

