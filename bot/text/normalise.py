"""One canonical form of a chat message: what the caches key a question by."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def fold(text: str) -> str:
    """NFKC, lower case, runs of whitespace folded to one space."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", text)


def digest(text: str) -> str:
    """A short stable key for a question: two spellings that fold alike share it."""
    return hashlib.sha256(fold(text).encode()).hexdigest()[:32]
