"""``Store``: the cache, trace copies and user data, over one ``RedisLink`` and this process's memory.
The rules per kind of data are in the package docstring (``bot.store``)."""

from __future__ import annotations

import time

from bot.store.durable import DurableStore
from bot.store.link import RedisLink, StoreUnavailable
from bot.store.memory import LRU, Maps, as_bytes

# Put a field into a map that keeps only its ``max_len`` most recent fields, atomically across replicas.
# KEYS: the map (a hash), its order (a sorted set: field -> time written). ARGV: field, value, time, max_len,
# ttl in seconds (0: none; else both keys expire that long after the last write).
_PUT_BOUNDED = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
  redis.call('HDEL', KEYS[1], unpack(oldest))
end
if tonumber(ARGV[5]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
"""


class Store:
    """``backend`` is where values go now: "redis", or "lru" (no Redis configured, or Redis is down);
    ``status`` is "ok" or "unavailable: <why>"; ``durable`` is the member-data store on the same link."""

    def __init__(self, redis_url: str | None, *, prefix: str = "atlas", timeout_s: float = 0.25,
                 lru_size: int = 2048, retry_after_s: float = 2.0) -> None:
        self.link = RedisLink(redis_url, prefix=prefix, timeout_s=timeout_s, retry_after_s=retry_after_s)
        self._lru = LRU(lru_size)
        self._maps = Maps()  # user data, when no Redis is configured
        self._put_bounded = self.link.client.register_script(_PUT_BOUNDED) if self.link.configured else None
        self.durable = DurableStore(self.link)

    async def connect(self) -> None:
        await self.link.connect()

    async def aclose(self) -> None:
        await self.link.aclose()

    @property
    def backend(self) -> str:
        return "redis" if self.link.up else "lru"

    @property
    def status(self) -> str:
        return self.link.status

    def describe(self) -> str:
        return self.link.describe()

    # --- cache values, counters, trace copies ---------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        """Redis's value; else this process's copy (Redis down, or a copy Redis no longer has)."""
        if self.link.up:
            try:
                value = await self.link.call(lambda r: r.get(self.link.key(key)))
            except StoreUnavailable:
                value = None
            if value is not None:
                return value
        return self._lru.get(key)

    async def set(self, key: str, value: bytes | str, ttl: int | None = None, *, mirror: bool = False) -> None:
        """A cache value: in Redis, or in process while Redis is down. ``mirror``: a value a user comes back
        for (a trace, their last answer): also kept in process, and written to Redis when it returns."""
        value = as_bytes(value)
        name = self.link.key(key)
        if mirror and self.link.configured:
            self._lru.set(key, value, ttl)
            await self.link.write(lambda r: r.set(name, value, ex=ttl), droppable=True)
            return
        if self.link.up:
            try:
                await self.link.call(lambda r: r.set(name, value, ex=ttl))
                return
            except StoreUnavailable:
                pass
        self._lru.set(key, value, ttl)

    async def incr(self, key: str, ttl: int) -> int:
        """Increment a counter that expires ``ttl`` s after its first increment; counted in this process
        alone while Redis is down."""
        async def op(r):
            async with r.pipeline(transaction=True) as pipe:
                pipe.incr(self.link.key(key))
                pipe.expire(self.link.key(key), ttl, nx=True)
                count, _ = await pipe.execute()
            return int(count)

        if self.link.up:
            try:
                return await self.link.call(op)
            except StoreUnavailable:
                pass
        return self._lru.incr(key, ttl)

    # --- user data: maps whose writes are never dropped ------------------------------------------
    async def put_field(self, key: str, field: str, value: bytes | str, *, max_len: int | None = None,
                        ttl: int | None = None, mirror: bool = False) -> None:
        """Set one field of a map (the newest write of a field wins). With ``max_len`` the map keeps only
        its most recently written fields; with ``ttl`` (needs ``max_len``) the map expires that long after
        its last write. Never dropped: while Redis is down it waits in the journal. ``mirror``: a map this
        process also reads while Redis is away (a conversation's turns) — kept in process too, see
        ``fields(mirror=True)``."""
        value, written_at = as_bytes(value), time.time()
        if mirror:
            self._mirror_field(key, field, value, max_len, ttl)
            if not self.link.configured:
                return
        if not self.link.configured:
            self._maps.put(key, field, value, max_len)
            return
        name = self.link.key(key)
        if max_len is None:
            await self.link.write(lambda r: r.hset(name, field, value))
        else:
            await self.link.write(lambda r: self._put_bounded(keys=[name, f"{name}:order"],
                                                              args=[field, value, written_at, max_len, ttl or 0],
                                                              client=r))

    def _mirror_field(self, key: str, field: str, value: bytes, max_len: int | None, ttl: int | None) -> None:
        """This process's copy of a mirrored map: one LRU entry, bounded like the Redis side."""
        fields = dict(self._lru.get(f"map:{key}") or {})
        fields.pop(field, None)
        fields[field] = value
        while max_len is not None and len(fields) > max_len:
            fields.pop(next(iter(fields)))
        self._lru.set(f"map:{key}", fields, ttl)

    async def drop_field(self, key: str, field: str) -> None:
        """Remove one field of a map; kept for later like ``put_field`` while Redis is down."""
        if not self.link.configured:
            self._maps.drop(key, field)
            return
        name = self.link.key(key)

        async def op(r):
            async with r.pipeline(transaction=True) as pipe:
                pipe.hdel(name, field)
                pipe.zrem(f"{name}:order", field)
                await pipe.execute()

        await self.link.write(op)

    async def fields(self, key: str, *, mirror: bool = False) -> dict[str, bytes]:
        """Every field of a map. Raises StoreUnavailable while Redis is down: a partial answer would
        mislead. ``mirror`` (a map written with ``mirror=True``): this process's copy instead of raising, and
        when Redis no longer has the map (it restarted empty); ``backend`` says which was read."""
        if mirror and not self.link.up:
            return dict(self._lru.get(f"map:{key}") or {})
        if not self.link.configured:
            return self._maps.fields(key)
        try:
            raw = await self.link.call(lambda r: r.hgetall(self.link.key(key)))
        except StoreUnavailable:
            if mirror:
                return dict(self._lru.get(f"map:{key}") or {})
            raise
        if not raw and mirror:
            return dict(self._lru.get(f"map:{key}") or {})
        return {name.decode(): value for name, value in raw.items()}
