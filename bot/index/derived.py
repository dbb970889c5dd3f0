"""What the bot works out from one index generation and keeps, so the next start reads it instead:
``<data dir>/cache/<kind>/<index id>.json``. A new generation has a new id; saving a kind's file for it
removes that kind's files of the other generations. Whoever saves a kind also checks, on reading it back,
that it was made by the code now running (a version, a sample worked out again)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def spread_sample(items: Sequence[T], count: int) -> list[T]:
    """At most ``count`` of ``items``, evenly spaced: the ones worked out again to check a saved file."""
    return list(items[:: max(1, len(items) // count)][:count])


class DerivedFiles:
    """One kind of derived data (``cache_dir`` is its folder), one JSON file per generation."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def has(self, index_id: str) -> bool:
        return (self.cache_dir / f"{index_id}.json").is_file()

    def read(self, index_id: str) -> dict | None:
        """The saved data of this generation; None when there is none or it cannot be read."""
        path = self.cache_dir / f"{index_id}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("could not read %s: working it out again", path, exc_info=True)
            return None

    def save(self, index_id: str, data: dict) -> None:
        """Written whole or not at all (two bots may start together); a failure is logged, not raised."""
        path = self.cache_dir / f"{index_id}.json"
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.cache_dir, suffix=".tmp",
                                             delete=False) as fh:
                json.dump(data, fh, ensure_ascii=False)
            os.chmod(fh.name, 0o644)  # as any other file of the data dir (a temporary file starts private)
            os.replace(fh.name, path)
            for other in self.cache_dir.glob("*.json"):
                if other != path:
                    other.unlink(missing_ok=True)
        except OSError:
            log.warning("could not save %s", path, exc_info=True)
