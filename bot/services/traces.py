"""Traces and feedback: what /debug and the 🔍 / 👍 / 👎 buttons read and write.

Every answer's trace is kept under its id, and a per-asker pointer names their last answer in a
channel; both are mirrored in process so /debug works while Redis is away. A vote is one field per
voter in the answer's feedback map — pressing again replaces it — and never dropped (see
``bot.store``). A 👎 also files the question as a coverage gap; a later 👍 by the same person withdraws it.
"""

from __future__ import annotations

from bot.domain import Answer, Asker, Trace, Vote
from bot.services.gaps import GapRecorder
from bot.store import Store


def _last_key(asker: Asker) -> str:
    return f"last:{asker.platform}:{asker.channel_id}:{asker.user_id}"


def _part_key(platform: str, message_id: str) -> str:
    return f"answerpart:{platform}:{message_id}"


def feedback_key(trace_id: str) -> str:
    """The map of votes on one answer: ``platform:user id`` → ``up`` | ``down``."""
    return f"feedback:v2:{trace_id}"


class TraceBook:
    def __init__(self, store: Store, *, ttl_s: int, gaps: GapRecorder | None = None) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.gaps = gaps

    async def keep(self, answer: Answer, asker: Asker) -> None:
        """Remember the trace and make it this asker's last answer here (eval runs keep nothing)."""
        if asker.platform == "eval":
            return
        trace = answer.trace
        await self.store.set(f"trace:{trace.trace_id}", trace.model_dump_json(), self.ttl_s, mirror=True)
        await self.store.set(_last_key(asker), trace.trace_id, self.ttl_s, mirror=True)

    async def keep_parts(self, platform: str, message_ids: list[str], trace_id: str) -> None:
        """Each message a long answer was sent as names the answer: a reply to any of its parts follows it
        (only the last part carries the buttons that name it). Discord's 2,000-character messages split one
        answer in five; Telegram's 4,096 hold every answer in one."""
        for message_id in message_ids:
            await self.store.set(_part_key(platform, message_id), trace_id, self.ttl_s, mirror=True)

    async def answer_of_part(self, platform: str, message_id: str) -> str | None:
        """The trace id of the answer a message of ours was a part of, if it was one."""
        raw = await self.store.get(_part_key(platform, message_id))
        return raw.decode() if raw else None

    async def get(self, trace_id: str) -> Trace | None:
        raw = await self.store.get(f"trace:{trace_id}")
        return Trace.model_validate_json(raw) if raw else None

    async def last(self, asker: Asker) -> Trace | None:
        trace_id = await self.store.get(_last_key(asker))
        return await self.get(trace_id.decode()) if trace_id else None

    async def vote(self, trace_id: str, asker: Asker, vote: Vote) -> None:
        """One vote per person per answer: the latest counts."""
        await self.store.put_field(feedback_key(trace_id), f"{asker.platform}:{asker.user_id}", vote)
        trace = await self.get(trace_id) if self.gaps is not None else None
        if trace is None:
            return
        if vote == "down":
            await self.gaps.record(trace, "downvote", asker)
        else:
            await self.gaps.retract(trace, asker)
