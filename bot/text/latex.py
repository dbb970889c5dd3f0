"""LaTeX as readable text, for a chat that cannot render it: ``\\frac{4}{8}`` → 4/8, ``\\times`` → ×."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def latex_to_text(source: str) -> str:
    """``source`` (the inside of ``$…$`` or ``$$…$$``) as plain text, operators spaced."""
    try:
        text = _converter().latex_to_text(source)
    except Exception:  # noqa: BLE001 - malformed LaTeX from a doc: show it as written, never fail an answer
        text = source
    text = re.sub(r"\s*([×÷=≈≤≥±→])\s*", r" \1 ", text)
    return re.sub(r"\s{2,}", " ", text).strip()
