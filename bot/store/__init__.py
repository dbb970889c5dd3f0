"""Where the bot keeps things: Redis when one is configured, this process's memory when none is —
and while a configured Redis is away. One rule per kind of data:

- **Cache** (answers, query vectors, rate counters): ``Store.get / set / incr``. While Redis is down
  they use an in-process LRU; nothing waits for Redis and nothing is written back.
- **Traces and pointers** (what /debug and 🔍 show, a user's last answer and language):
  ``Store.set(..., mirror=True)``. Also kept in process always, so /debug works through an outage,
  and written to Redis when it returns.
- **User data** (votes, coverage gaps, conversation turns): ``Store.put_field / drop_field / fields``
  (maps; writes are idempotent). Never dropped: while Redis is down the writes wait in an in-process
  journal and are written in order when it returns. Reading them while it is down raises
  ``StoreUnavailable`` rather than return a partial answer — except a map written with ``mirror=True``
  (a conversation's last turns, needed to read the next message): it is also kept in process, and
  ``fields(..., mirror=True)`` reads that copy while Redis is away.
- **Member data** (the study companion's progress): ``Store.durable`` (a ``DurableStore``) — Redis
  only, no TTL, never failing open: while Redis is down each call raises ``StoreUnavailable`` and
  nothing is kept, so the member is told their change was not saved.

After a start without Redis, or an outage, the store retries in the background and resumes by
itself; ``Store.describe()`` says its state in one line (in every trace and in ``atlas-bot health``).
Every key is prefixed with the deployment's ``key_prefix`` (``ATLAS_KEY_PREFIX``), so two installs
can share one Redis.
"""

from bot.store.durable import DurableStore
from bot.store.kv import Store
from bot.store.link import RedisLink, StoreUnavailable

__all__ = ["DurableStore", "RedisLink", "Store", "StoreUnavailable"]
