"""Failure points 4 and 5 (Barnett et al., 2024): the answer did not extract what the context
says, or came out in the wrong format (language, cut off)."""

from __future__ import annotations

import re

from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import lang_name, make
from bot.domain import Diagnostic
from bot.text.markdown import FENCED_BLOCK
from bot.text.script import text_lang


def unsupported(f: Facts) -> list[Diagnostic]:
    """FP4: what the post-generation checks found and repaired in a shown LLM answer; whether the model
    needed a second try."""
    trace = f.inp.answer.trace
    check = trace.answer_check
    if check is None or trace.answer_mode != "llm":
        return []
    cfg, out = f.config, []
    if len(check.unsupported_sentences) > cfg.unsupported_max:
        data = {"sentences": check.unsupported_sentences}
        out.append(make("FP4_UNSUPPORTED", "warn", f.lang, data, count=len(check.unsupported_sentences)))
    for code, found in (("FP4_OUTSIDE_KNOWLEDGE", check.outside_knowledge),
                        ("FP4_CONTRADICTION", check.contradictions)):
        if found:
            out.append(make(code, "warn", f.lang, {"sentences": found}, count=len(found), example=found[0]))
    if check.repeated_sentences:
        out.append(make("FP4_REPEATED", "info", f.lang, {"sentences": check.repeated_sentences},
                        count=len(check.repeated_sentences)))
    if check.copy_share >= cfg.copied_share_info:
        out.append(make("FP4_COPIED", "info", f.lang, {"copy_share": check.copy_share},
                        share=f"{check.copy_share:.0%}"))
    if len(check.unmarked_sentences) > cfg.unmarked_max:
        data = {"sentences": check.unmarked_sentences}
        out.append(make("FP4_UNMARKED", "info", f.lang, data, count=len(check.unmarked_sentences)))
    if check.markers_dropped:
        markers = " ".join(f"[{n}]" for n in check.markers_dropped)
        out.append(make("FP4_DANGLING_MARKERS", "warn", f.lang, {"markers": check.markers_dropped}, markers=markers))
    if check.retried:
        out.append(make("LLM_CORRECTED", "info", f.lang, {"reason": check.retried}, reason=check.retried))
    return out


def wrong_format(f: Facts) -> list[Diagnostic]:
    """FP5: the answer's language differs from the question's; the model hit its token limit."""
    answer, trace = f.inp.answer, f.inp.answer.trace
    check = trace.answer_check if trace.answer_mode == "llm" else None  # a fallback shows the docs' text
    out: list[Diagnostic] = []
    # a quoted code block or a bare [n] is not the language the answer speaks
    prose = re.sub(r"\[\d+\]", "", FENCED_BLOCK.sub("", answer.text))
    written = check.answer_lang if check and check.answer_lang else (text_lang(prose) if re.search(r"[^\W\d_]", prose) else None)
    wanted = trace.language.lang
    if written and written != wanted:
        data = {"answer_lang": written, "question_lang": wanted}
        out.append(make("FP5_WRONG_LANGUAGE", "warn", f.lang, data,
                        answer_lang=lang_name(written, f.lang), question_lang=lang_name(wanted, f.lang)))
    if check and check.truncated:
        out.append(make("FP5_TRUNCATED", "warn", f.lang, {"tokens_out": trace.tokens_out}))
    return out


CHECKS = (unsupported, wrong_format)
