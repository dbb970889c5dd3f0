"""The one Redis connection and what the bot knows about it: up, or down since when and why; the
writes waiting for it to come back; the key prefix of this deployment.

When a call fails (Redis stopped, hung, unreachable at start) the link is marked down and a
background task pings Redis every ``retry_after_s``. While it is down no call waits on a timeout:
reads raise ``StoreUnavailable`` at once and writes that must not be lost wait in the journal. When
a ping answers, the journal is written in order, and only then is the link up again, so a reader
never sees Redis without the writes made while it was away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Op = Callable[[aioredis.Redis], Awaitable[Any]]
# Writes kept while Redis is away. 10,000 is hours of a busy study group's votes and trace copies; past
# it the oldest trace copies go first (they stay readable in this process), then, logged as an error,
# the oldest user writes.
JOURNAL_MAX = 10_000


class StoreUnavailable(Exception):
    """Redis is configured but cannot be reached now: the read or durable write did not happen."""


@dataclass
class Pending:
    op: Op
    droppable: bool  # a copy also kept in process (a trace): dropped first when the journal is full


class RedisLink:
    def __init__(self, url: str | None, *, prefix: str = "atlas", timeout_s: float = 0.25,
                 retry_after_s: float = 2.0) -> None:
        self.client = (aioredis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
                       if url else None)
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        self.lost = 0  # user writes dropped: journal full, or still waiting at shutdown
        self._down_since: float | None = None
        self._why = ""
        self._journal: deque[Pending] = deque()
        self._reconnecting: asyncio.Task | None = None

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    @property
    def configured(self) -> bool:
        return self.client is not None

    @property
    def up(self) -> bool:
        return self.client is not None and self._down_since is None

    @property
    def status(self) -> str:
        return "ok" if self._down_since is None else f"unavailable: {self._why}"

    @property
    def pending(self) -> int:
        return len(self._journal)

    def describe(self) -> str:
        """One line for /debug and the health check."""
        if self.client is None:
            return "in-process only (no Redis configured): lost on restart"
        if self._down_since is None:
            return "redis ok"
        down_s = time.monotonic() - self._down_since
        waiting = f"; {self.pending} write(s) kept in process until it returns" if self._journal else ""
        return f"redis unavailable for {down_s:.0f} s ({self._why}){waiting}"

    async def connect(self) -> None:
        """Check Redis at start; when it does not answer, start retrying in the background."""
        if self.client is None:
            return
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            self._failed(exc, "at start")

    async def call(self, op: Op) -> Any:
        """Run ``op`` on Redis; raises StoreUnavailable when it is down or the call fails."""
        if not self.up:
            raise StoreUnavailable(self._why or "no Redis configured")
        try:
            return await op(self.client)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            raise StoreUnavailable(self._why) from exc

    async def write(self, op: Op, *, droppable: bool = False) -> None:
        """Run ``op`` on Redis now, or keep it for when Redis returns. ``op`` must be idempotent: a write
        sent to a hung Redis may run when it wakes and again from the journal."""
        if self.up:
            try:
                await op(self.client)
                return
            except (RedisError, OSError) as exc:
                self._failed(exc)
        self._journal.append(Pending(op, droppable))
        if len(self._journal) > JOURNAL_MAX:
            self._drop_one()

    def _drop_one(self) -> None:
        victim = next((p for p in self._journal if p.droppable), None)
        if victim is None:
            victim = self._journal[0]
            self.lost += 1
            log.error("Redis has been away too long: %d waiting writes, dropping the oldest", JOURNAL_MAX)
        self._journal.remove(victim)

    def _failed(self, exc: BaseException, when: str = "") -> None:
        self._why = type(exc).__name__
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("Redis unavailable%s (%s); using the in-process store until it returns",
                        f" {when}" if when else "", self._why)
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect(), name="redis-reconnect")

    async def _reconnect(self) -> None:
        """Ping until Redis answers, write the journal in order, then mark the link up."""
        while True:
            await asyncio.sleep(self.retry_after_s)
            try:
                await self.client.ping()
                written = await self._flush()
            except (RedisError, OSError) as exc:
                self._why = type(exc).__name__
                continue
            self._down_since = None
            log.warning("Redis is back after an outage; %d waiting write(s) saved", written)
            return

    async def _flush(self) -> int:
        written = 0
        while self._journal:
            pending = self._journal[0]
            try:
                await pending.op(self.client)
            except (RedisError, OSError):
                raise
            except Exception:  # noqa: BLE001 - a broken write must not wedge the ones behind it
                log.exception("a waiting write failed for a reason other than Redis; dropped")
            self._journal.popleft()
            written += 1
        return written

    async def aclose(self) -> None:
        """Stop retrying; save what waits if Redis answers now, and say how much is lost if it does not."""
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            await asyncio.gather(self._reconnecting, return_exceptions=True)
            self._reconnecting = None
        if self.client is None:
            return
        if self._journal:
            try:
                await self.client.ping()
                await self._flush()
            except (RedisError, OSError):
                user_writes = sum(not p.droppable for p in self._journal)
                self.lost += user_writes
                if user_writes:
                    log.error("Redis is unavailable at shutdown: %d user write(s) (votes, gaps) could not be "
                              "saved", user_writes)
        await self.client.aclose()
