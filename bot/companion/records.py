"""A member's study data and a group's, as Redis maps under ``study:`` (member data: ``Store.durable``,
never evicted, refused while Redis is down), and the FSRS scheduling of their cards.

``study:member:<platform>:<user>``  profile · ``card:<question key>`` (FSRS state + the question's id) ·
    ``done:<module>`` · ``acc:<phase>:n|ok`` (answers, correct) · ``day:<YYYY-MM-DD>`` (study actions,
    in the member's timezone)
``study:group:<platform>:<space>``  ``all:<user>`` / ``w:<ISO week>:<user>`` (correct answers) ·
    ``act:<ISO week>:<user>`` (answers) · ``name:<user>`` · ``optout:<user>`` · ``miss:<ISO week>:<question key>`` ·
    ``rhythm`` (the group's schedule) · ``module`` (the group's current module)
``study:quiz:<platform>:<quiz id>``  ``q`` (the question as asked) · ``where`` · ``a:<user>`` (their option)
``study:posted:<platform>:<channel>``  ``<slot>`` → when a scheduled post went out (never twice)

Every change a member makes is one ``Writes`` (MULTI/EXEC): after a failure nothing of it is saved.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fsrs import Card, Rating, Scheduler
from pydantic import BaseModel, Field

from bot.store import DurableStore
from bot.store.durable import Writes

PREFIX = "study:"


class Member(BaseModel):
    """Who studies, and where (a guild or group is the unit of a leaderboard)."""

    platform: str
    user_id: str
    space_id: str = "dm"
    name: str = ""

    @property
    def key(self) -> str:
        return f"{PREFIX}member:{self.platform}:{self.user_id}"

    @property
    def group_key(self) -> str:
        return f"{PREFIX}group:{self.platform}:{self.space_id}"


def quiz_key(platform: str, quiz_id: str) -> str:
    return f"{PREFIX}quiz:{platform}:{quiz_id}"


def posted_key(platform: str, channel: str) -> str:
    return f"{PREFIX}posted:{platform}:{channel}"


class Profile(BaseModel):
    tz: str = "UTC"
    track: str = ""  # a reading track's id; empty: the curriculum in order
    optout: bool = False  # left out of leaderboards
    groups: list[str] = Field(default_factory=list)  # group maps holding this member's scores


class CardRecord(BaseModel):
    """One card of one member: which question (by key, so a rebuilt passage keeps the card), and its
    FSRS state as the library serialises it."""

    key: str
    question_id: str
    doc: str
    phase: str
    fsrs: dict

    @property
    def card(self) -> Card:
        return Card.from_dict(self.fsrs)

    @property
    def due(self) -> datetime:
        return self.card.due


def tz_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_tz(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


class Scheduling:
    """FSRS (the ``fsrs`` package's default parameters, 90 % desired retention)."""

    def __init__(self) -> None:
        self.scheduler = Scheduler()

    def review(self, record: CardRecord | None, rating: Rating, now: datetime, *, key: str, question_id: str,
               doc: str, phase: str) -> CardRecord:
        card = record.card if record else Card()
        card, _log = self.scheduler.review_card(card, rating, now)
        return CardRecord(key=key, question_id=question_id, doc=doc, phase=phase, fsrs=card.to_dict())

    @staticmethod
    def new_card(now: datetime) -> dict:
        """A card never reviewed, due ``now`` (a flashcard made on request)."""
        return Card(due=now).to_dict()


class MemberData(BaseModel):
    """One member's map, read once and parsed."""

    profile: Profile = Field(default_factory=Profile)
    cards: dict[str, CardRecord] = Field(default_factory=dict)
    done: dict[int, str] = Field(default_factory=dict)
    accuracy: dict[str, tuple[int, int]] = Field(default_factory=dict)  # phase -> (answered, correct)
    days: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def parse(cls, fields: dict[str, bytes]) -> MemberData:
        data = cls()
        acc: dict[str, list[int]] = {}
        for name, raw in fields.items():
            value = raw.decode()
            kind, _, rest = name.partition(":")
            if name == "profile":
                data.profile = Profile.model_validate_json(value)
            elif kind == "card":
                data.cards[rest] = CardRecord.model_validate_json(value)
            elif kind == "done" and rest.isdigit():
                data.done[int(rest)] = value
            elif kind == "acc":
                phase, _, which = rest.rpartition(":")
                acc.setdefault(phase, [0, 0])[0 if which == "n" else 1] = int(value)
            elif kind == "day":
                data.days[rest] = int(value)
        data.accuracy = {p: (n, ok) for p, (n, ok) in acc.items()}
        return data

    def due_cards(self, now: datetime) -> list[CardRecord]:
        return sorted((c for c in self.cards.values() if c.due <= now), key=lambda c: c.due)

    def streak(self, now: datetime) -> int:
        """Days in a row with study, in the member's timezone, ending today (or yesterday: today is not over)."""
        today = now.astimezone(tz_of(self.profile.tz)).date()
        day = today if today.isoformat() in self.days else today - timedelta(days=1)
        count = 0
        while day.isoformat() in self.days:
            count += 1
            day -= timedelta(days=1)
        return count


def local_day(now: datetime, profile: Profile) -> date:
    return now.astimezone(tz_of(profile.tz)).date()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Records:
    """Reads and transactional writes of the ``study:`` maps."""

    def __init__(self, store: DurableStore) -> None:
        self.store = store

    async def member(self, member: Member) -> MemberData:
        return MemberData.parse(await self.store.fields(member.key))

    async def fields(self, key: str) -> dict[str, str]:
        return {k: v.decode() for k, v in (await self.store.fields(key)).items()}

    async def apply(self, writes: Writes, unless: tuple[str, str] | None = None) -> bool:
        return await self.store.apply(writes, unless=unless)

    async def export(self) -> dict[str, dict[str, str]]:
        """Every ``study:`` map: what ``atlas-bot progress export`` writes."""
        out = {}
        for key in await self.store.keys(f"{PREFIX}*"):
            out[key] = await self.fields(key)
        return out

    async def restore(self, data: dict[str, dict[str, str]]) -> int:
        """Replace every ``study:`` map by ``data``, in one transaction. Returns the number of maps."""
        if any(not k.startswith(PREFIX) or not isinstance(v, dict) for k, v in data.items()):
            raise ValueError(f"every key must start with {PREFIX!r} and hold a map of fields")
        writes = Writes(delete=await self.store.keys(f"{PREFIX}*"))
        for key, values in data.items():
            for name, value in values.items():
                writes.set(key, name, value if isinstance(value, str) else json.dumps(value))
        await self.store.apply(writes)
        return len(data)
