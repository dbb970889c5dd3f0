"""``DurableStore``: member data (the study companion's progress) — in Redis only, never evicted (no
TTL), never failing open. While Redis is down every call raises ``StoreUnavailable`` and nothing is
kept for later, so the caller can tell the member plainly that their change was not saved (the
adapters' error handlers show the ``store_unavailable`` message for it). Without a configured Redis
the data lives in this process for its lifetime (a laptop, the tests): never evicted, lost on restart.
"""

from __future__ import annotations

from bot.store.link import RedisLink
from bot.store.memory import Maps, as_bytes


class DurableStore:
    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self._values: dict[str, bytes] = {}  # without a configured Redis
        self._maps = Maps()

    async def get(self, key: str) -> bytes | None:
        if not self.link.configured:
            return self._values.get(key)
        return await self.link.call(lambda r: r.get(self.link.key(key)))

    async def set(self, key: str, value: bytes | str) -> None:
        value = as_bytes(value)
        if not self.link.configured:
            self._values[key] = value
            return
        await self.link.call(lambda r: r.set(self.link.key(key), value))

    async def delete(self, key: str) -> None:
        if not self.link.configured:
            self._values.pop(key, None)
            return
        await self.link.call(lambda r: r.delete(self.link.key(key)))

    async def fields(self, key: str) -> dict[str, bytes]:
        if not self.link.configured:
            return self._maps.fields(key)
        raw = await self.link.call(lambda r: r.hgetall(self.link.key(key)))
        return {name.decode(): value for name, value in raw.items()}

    async def put_field(self, key: str, field: str, value: bytes | str) -> None:
        value = as_bytes(value)
        if not self.link.configured:
            self._maps.put(key, field, value)
            return
        await self.link.call(lambda r: r.hset(self.link.key(key), field, value))

    async def drop_field(self, key: str, field: str) -> None:
        if not self.link.configured:
            self._maps.drop(key, field)
            return
        await self.link.call(lambda r: r.hdel(self.link.key(key), field))
