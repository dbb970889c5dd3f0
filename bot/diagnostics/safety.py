"""Prompt injection: instructions aimed at the bot in the question, or attack strings quoted by the
retrieved passages (the Atlas's security chapters quote them on purpose: content, never orders)."""

from __future__ import annotations

from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import make
from bot.domain import Diagnostic
from bot.text.injection import attack_strings


def _extra(f: Facts) -> tuple[str, ...]:
    return tuple(f.config.injection_patterns_extra)


def injection_in_question(f: Facts) -> list[Diagnostic]:
    found = attack_strings(f.inp.question, _extra(f))
    if not found:
        return []
    return [make("PROMPT_INJECTION", "warn", f.lang, {"where": "question", "matches": found}, match=found[0])]


def injection_in_context(f: Facts) -> list[Diagnostic]:
    chunks = {c.id: attack_strings(c.text, _extra(f)) for c in f.context}
    chunks = {cid: found for cid, found in chunks.items() if found}
    if not chunks:
        return []
    first = next(iter(chunks.values()))[0]
    return [make("PROMPT_INJECTION_CONTEXT", "info", f.lang, {"where": "context", "chunks": chunks}, match=first)]


CHECKS = (injection_in_question, injection_in_context)
