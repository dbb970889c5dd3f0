"""Per-user rate limit and per-space (guild / chat) daily budget, counted in the shared store.

While Redis is away each process counts on its own (``Store.incr``): a cache outage neither silences
the bot nor lifts the limits.
"""

from __future__ import annotations

import time

from bot.domain import Asker
from bot.domain import Admission
from bot.store import Store


class Limiter:
    def __init__(self, store: Store, per_user: int, window_s: int, daily_per_space: int) -> None:
        self.store = store
        self.per_user = per_user
        self.window_s = window_s
        self.daily_per_space = daily_per_space

    async def admit(self, asker: Asker, now: float | None = None) -> Admission:
        if asker.platform in ("cli", "eval"):
            return Admission(ok=True)
        now = time.time() if now is None else now
        window = int(now // self.window_s)
        count = await self.store.incr(f"rate:{asker.platform}:{asker.user_id}:{window}", self.window_s)
        if count > self.per_user:
            return Admission(ok=False, reason="rate_limited", retry_after_s=int(self.window_s - now % self.window_s) + 1)
        day = time.strftime("%Y%m%d", time.gmtime(now))
        used = await self.store.incr(f"budget:{asker.platform}:{asker.space_id}:{day}", 26 * 3600)
        if used > self.daily_per_space:
            return Admission(ok=False, reason="daily_budget", retry_after_s=int(86400 - now % 86400))
        return Admission(ok=True)
