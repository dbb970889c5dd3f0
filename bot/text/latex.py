"""LaTeX as readable text, for a chat that cannot render it: ``\\frac{4}{8}`` → 4/8, ``\\times`` → ×."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

# Named operators pylatexenc drops (\arg) or runs into their argument (\log p → "logp").
_OPERATORS = ("arg", "log", "ln", "exp", "max", "min", "lim", "sup", "inf", "sin", "cos", "tan", "det", "Pr")


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("named-operators", macros=[MacroTextSpec(op, op + " ") for op in _OPERATORS],
                                 prepend=True)
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


def latex_to_text(source: str) -> str:
    """``source`` (the inside of ``$…$`` or ``$$…$$``) as plain text, operators spaced."""
    try:
        text = _converter().latex_to_text(source)
    except Exception:  # noqa: BLE001 - malformed LaTeX from a doc: show it as written, never fail an answer
        text = source
    text = re.sub(r"\s*([×÷=≈≤≥±→])\s*", r" \1 ", text)
    text = re.sub(r"(?<=\S) +(?=_)", "", text)  # "arg max _M" → "arg max_M"
    return re.sub(r"\s{2,}", " ", text).strip()
