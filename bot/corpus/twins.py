"""The Atlas's naming rule: ``X.md`` is English and ``X_zh.md`` its Chinese twin."""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

ZH_SUFFIX = "_zh"
# An ask reads the same few hundred paths thousands of times (diagnostics compare docs as twins), and a
# PurePosixPath costs microseconds each: ~1 ms of every ask before these were remembered.
_PATHS_REMEMBERED = 4096


@lru_cache(maxsize=_PATHS_REMEMBERED)
def lang_from_name(path: str) -> str:
    return "zh" if PurePosixPath(path).stem.endswith(ZH_SUFFIX) else "en"


@lru_cache(maxsize=_PATHS_REMEMBERED)
def twin_path(path: str) -> str:
    """``X.md`` ↔ ``X_zh.md``."""
    p = PurePosixPath(path)
    if p.stem.endswith(ZH_SUFFIX):
        return str(p.with_name(p.stem[: -len(ZH_SUFFIX)] + p.suffix))
    return str(p.with_name(p.stem + ZH_SUFFIX + p.suffix))


@lru_cache(maxsize=_PATHS_REMEMBERED)
def doc_key(doc: str) -> str:
    """A doc and its twin share one key (the English path): ``X_zh.md`` → ``X.md``."""
    return twin_path(doc) if lang_from_name(doc) == "zh" else doc
