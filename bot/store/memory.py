"""What the store keeps in this process: a bounded LRU of values (the cache, trace copies, counters)
and bounded maps (user data when no Redis is configured)."""

from __future__ import annotations

import time
from collections import OrderedDict


class LRU:
    """Values with an optional expiry, the least recently used dropped beyond ``size``."""

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

    def incr(self, key: str, ttl: int) -> int:
        value = int(self.get(key) or 0) + 1
        self.set(key, value, ttl, keep_ttl=True)
        return value


class Maps:
    """Named maps of field → bytes, never evicted as a whole. A map given ``max_len`` keeps only its most
    recently written fields, as the Redis side does."""

    def __init__(self) -> None:
        self.data: dict[str, OrderedDict[str, bytes]] = {}

    def put(self, key: str, field: str, value: bytes, max_len: int | None = None) -> None:
        fields = self.data.setdefault(key, OrderedDict())
        fields[field] = value
        fields.move_to_end(field)
        while max_len is not None and len(fields) > max_len:
            fields.popitem(last=False)

    def drop(self, key: str, field: str) -> None:
        self.data.get(key, {}).pop(field, None)

    def fields(self, key: str) -> dict[str, bytes]:
        return dict(self.data.get(key, {}))


def as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
