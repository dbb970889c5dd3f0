"""``DurableStore``: member data (the study companion's progress) — in Redis only, never evicted (no
TTL), never failing open. While Redis is down every call raises ``StoreUnavailable`` and nothing is
kept for later, so the caller can tell the member plainly that their change was not saved (the
adapters' error handlers show the ``store_unavailable`` message for it). Without a configured Redis
the data lives in this process for its lifetime (a laptop, the tests): never evicted, lost on restart.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from redis.exceptions import WatchError

from bot.store.link import RedisLink
from bot.store.memory import Maps, as_bytes


@dataclass
class Writes:
    """Changes to several maps that land together or not at all (one MULTI/EXEC): a quiz answer
    updates the member's card, their stats and the group's board in one step."""

    put: dict[str, dict[str, bytes | str]] = field(default_factory=dict)  # map -> fields to set
    drop: dict[str, list[str]] = field(default_factory=dict)  # map -> fields to remove
    incr: dict[str, dict[str, int]] = field(default_factory=dict)  # map -> field -> amount
    delete: list[str] = field(default_factory=list)  # whole maps to remove (first)

    def set(self, key: str, name: str, value: bytes | str) -> Writes:
        self.put.setdefault(key, {})[name] = value
        return self

    def add(self, key: str, name: str, amount: int = 1) -> Writes:
        bucket = self.incr.setdefault(key, {})
        bucket[name] = bucket.get(name, 0) + amount
        return self


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

    async def apply(self, writes: Writes, *, unless: tuple[str, str] | None = None) -> bool:
        """All of ``writes`` in one transaction: after a failure nothing of it is in Redis. With ``unless``
        (a map and a field), nothing is written when that field exists — checked and written atomically
        (WATCH, then MULTI/EXEC, again if the map changed meanwhile), so of two concurrent answers of one
        member exactly one counts. Returns whether the writes were made."""
        if not self.link.configured:
            if unless and unless[1] in self._maps.fields(unless[0]):
                return False
            self._apply_here(writes)
            return True

        def queue(pipe) -> None:
            if writes.delete:
                pipe.delete(*(self.link.key(k) for k in writes.delete))
            for key, names in writes.drop.items():
                if names:
                    pipe.hdel(self.link.key(key), *names)
            for key, values in writes.put.items():
                if values:
                    pipe.hset(self.link.key(key), mapping={n: as_bytes(v) for n, v in values.items()})
            for key, amounts in writes.incr.items():
                for name, amount in amounts.items():
                    pipe.hincrby(self.link.key(key), name, amount)

        async def op(r) -> bool:
            async with r.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        if unless:
                            await pipe.watch(self.link.key(unless[0]))
                            if await pipe.hexists(self.link.key(unless[0]), unless[1]):
                                await pipe.reset()
                                return False
                            pipe.multi()
                        queue(pipe)
                        await pipe.execute()
                        return True
                    except WatchError:
                        continue

        return await self.link.call(op)

    def _apply_here(self, writes: Writes) -> None:
        for key in writes.delete:
            self._maps.data.pop(key, None)
        for key, names in writes.drop.items():
            for name in names:
                self._maps.drop(key, name)
        for key, values in writes.put.items():
            for name, value in values.items():
                self._maps.put(key, name, as_bytes(value))
        for key, amounts in writes.incr.items():
            for name, amount in amounts.items():
                current = int(self._maps.fields(key).get(name, b"0"))
                self._maps.put(key, name, str(current + amount).encode())

    async def keys(self, pattern: str) -> list[str]:
        """The maps whose names match ``pattern`` (a glob, without the deployment prefix)."""
        if not self.link.configured:
            return sorted(k for k, v in self._maps.data.items() if v and fnmatch.fnmatchcase(k, pattern))
        strip = len(self.link.key(""))

        async def op(r):
            return [k.decode()[strip:] async for k in r.scan_iter(match=self.link.key(pattern), count=500)]

        return sorted(await self.link.call(op))
