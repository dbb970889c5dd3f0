"""What fills the context: low-value passages and passages in the wrong language."""

from __future__ import annotations

import re

from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import lang_name, make
from bot.domain import Chunk, Diagnostic

_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
_NAV_LINE = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s*\[[^\]]*\]\([^)]*\)|\d+[.)]\s*\[[^\]]*\]\([^)]*\)|←|→|\|?\s*\[)")

KIND_NAMES = {
    "boilerplate": ("navigation/contents", "导航/目录"),
    "near_duplicate": ("near-duplicates", "近似重复"),
    "twin": ("the same passage in both languages", "同一段落的中英两个版本"),
}


def _is_navigation(chunk: Chunk, f: Facts) -> bool:
    if chunk.boilerplate:
        return True
    text = chunk.text.strip()
    if not text:
        return True
    link_chars = sum(len(m.group()) for m in _LINK.finditer(text))
    if link_chars / len(text) > f.config.link_share_max:
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 3 and sum(bool(_NAV_LINE.match(line)) for line in lines) / len(lines) > f.config.heading_share_max


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def low_value(f: Facts) -> list[Diagnostic]:
    """Context slots spent on navigation, near-duplicates, or a passage already there in the other
    language."""
    cfg, flagged = f.config, {}
    terms = [set(f.inp.tokenizer.content_terms(c.text)) for c in f.context]
    for i, chunk in enumerate(f.context):
        if _is_navigation(chunk, f):
            flagged[chunk.id] = "boilerplate"
            continue
        for j in range(i):
            other = f.context[j]
            if chunk.lang == other.lang and _jaccard(terms[i], terms[j]) >= cfg.near_duplicate_jaccard:
                flagged[chunk.id] = "near_duplicate"
                break
            is_twin = chunk.twin == other.doc or other.twin == chunk.doc
            if is_twin and chunk.lang != other.lang and abs(chunk.order - other.order) <= cfg.twin_order_slack:
                flagged[chunk.id] = "twin"
                break
    if not flagged:
        return []
    kinds = sorted(set(flagged.values()))
    names = ", ".join(KIND_NAMES[k][1 if f.lang == "zh" else 0] for k in kinds)
    severity = "warn" if len(flagged) >= cfg.low_value_warn_slots else "info"
    data = {"chunks": flagged, "slots": len(f.context)}
    return [make("LOW_VALUE_CONTEXT", severity, f.lang, data, count=len(flagged), slots=len(f.context), kinds=names)]


def lang_mismatch(f: Facts) -> list[Diagnostic]:
    """Few context passages in the question's language, most in the other: the answer leans on the twin."""
    wanted = f.inp.answer.trace.language.lang
    same = sum(c.lang == wanted for c in f.context)
    other = len(f.context) - same
    if same >= f.config.lang_support_min or other <= same:
        return []
    other_lang = "en" if wanted == "zh" else "zh"
    data = {"question_lang": wanted, "same_lang": same, "other_lang": other}
    return [make("LANG_MISMATCH", "warn", f.lang, data, same=same, question_lang=lang_name(wanted, f.lang),
                 other_lang=lang_name(other_lang, f.lang))]


CHECKS = (low_value, lang_mismatch)
