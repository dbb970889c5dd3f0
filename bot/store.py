"""A small key-value store that fails open.

Redis when configured and reachable; an in-process LRU when no Redis is configured or it cannot be
reached at start. When a configured Redis fails mid-run, every call behaves as a miss / no-op (the
answer is served without cache) and ``status`` says so; the store probes Redis again after
``retry_after_s`` and resumes as soon as it answers.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def get(self, key: str) -> object | None:
        item = self.data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires and expires < time.time():
            del self.data[key]
            return None
        self.data.move_to_end(key)
        return value

    def set(self, key: str, value: object, ttl: int | None, keep_ttl: bool = False) -> None:
        """``keep_ttl``: an existing key keeps its expiry (like Redis INCR on a key with a TTL)."""
        current = self.data.get(key) if keep_ttl else None
        self.data[key] = (current[0] if current else (time.time() + ttl if ttl else 0.0), value)
        self.data.move_to_end(key)
        while len(self.data) > self.size:
            self.data.popitem(last=False)


class Store:
    """``backend`` is "redis" or "lru"; ``status`` is "ok" or "unavailable: <why>"."""

    def __init__(self, redis_url: str | None, *, timeout_s: float = 0.25, lru_size: int = 2048,
                 retry_after_s: float = 2.0) -> None:
        self._redis = (
            aioredis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
            if redis_url else None
        )
        self._lru = _LRU(lru_size)
        self._down_since: float | None = None
        self._why = ""
        self.retry_after_s = retry_after_s
        self.backend = "redis" if self._redis else "lru"

    async def connect(self) -> None:
        """At start: fall back to the LRU for good when the configured Redis does not answer."""
        if self._redis is None:
            return
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            log.warning("Redis unreachable at start (%s); using an in-process cache", type(exc).__name__)
            await self._redis.aclose()
            self._redis = None
            self.backend = "lru"

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    @property
    def status(self) -> str:
        return "ok" if self._down_since is None else f"unavailable: {self._why}"

    def _usable(self) -> bool:
        if self._down_since is None:
            return True
        return time.monotonic() - self._down_since >= self.retry_after_s

    def _failed(self, exc: Exception) -> None:
        if self._down_since is None:
            log.warning("Redis error (%s); serving without cache", type(exc).__name__)
        self._down_since = time.monotonic()
        self._why = type(exc).__name__

    def _ok(self) -> None:
        if self._down_since is not None:
            log.info("Redis is back; caching resumes")
        self._down_since = None

    async def _call(self, op, default):
        if not self._usable():
            return default
        try:
            result = await op(self._redis)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return default
        self._ok()
        return result

    async def get(self, key: str) -> bytes | None:
        if self._redis is None:
            return self._lru.get(key)
        return await self._call(lambda r: r.get(key), None)

    async def set(self, key: str, value: bytes | str, ttl: int | None = None) -> None:
        if self._redis is None:
            self._lru.set(key, value.encode() if isinstance(value, str) else value, ttl)
            return
        await self._call(lambda r: r.set(key, value, ex=ttl), None)

    async def incr(self, key: str, ttl: int) -> int | None:
        """Increment a counter that expires ``ttl`` s after its first increment; None if unavailable."""
        if self._redis is None:
            value = int(self._lru.get(key) or 0) + 1
            self._lru.set(key, value, ttl, keep_ttl=True)
            return value

        async def op(r):
            async with r.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl, nx=True)
                count, _ = await pipe.execute()
            return int(count)

        return await self._call(op, None)

    async def push(self, key: str, value: bytes | str, max_len: int) -> None:
        """Prepend to a bounded list (newest first)."""
        if self._redis is None:
            items = list(self._lru.get(key) or [])
            items.insert(0, value.encode() if isinstance(value, str) else value)
            self._lru.set(key, items[:max_len], None)
            return

        async def op(r):
            async with r.pipeline(transaction=True) as pipe:
                pipe.lpush(key, value)
                pipe.ltrim(key, 0, max_len - 1)
                await pipe.execute()

        await self._call(op, None)

    async def items(self, key: str) -> list[bytes]:
        if self._redis is None:
            return list(self._lru.get(key) or [])
        return await self._call(lambda r: r.lrange(key, 0, -1), [])
