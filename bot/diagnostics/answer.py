"""Failure points 4 and 5 (Barnett et al., 2024): the answer did not extract what the context
says, or came out in the wrong format (language, cut off)."""

from __future__ import annotations

import re

from bot.diagnostics.inputs import Facts
from bot.diagnostics.messages import lang_name, make
from bot.domain import Diagnostic
from bot.text.script import text_lang

_CODE = re.compile(r"```.*?(```|$)", re.S)


def unsupported(f: Facts) -> list[Diagnostic]:
    """FP4: what the post-generation check found in an LLM answer."""
    check = f.inp.answer.trace.answer_check
    if check is None:
        return []
    cfg, out = f.config, []
    if len(check.unsupported_sentences) > cfg.unsupported_max:
        data = {"sentences": check.unsupported_sentences}
        out.append(make("FP4_UNSUPPORTED", "warn", f.lang, data, count=len(check.unsupported_sentences)))
    if len(check.unmarked_sentences) > cfg.unmarked_max:
        data = {"sentences": check.unmarked_sentences}
        out.append(make("FP4_UNMARKED", "info", f.lang, data, count=len(check.unmarked_sentences)))
    if check.markers_dropped:
        markers = " ".join(f"[{n}]" for n in check.markers_dropped)
        out.append(make("FP4_DANGLING_MARKERS", "warn", f.lang, {"markers": check.markers_dropped}, markers=markers))
    return out


def wrong_format(f: Facts) -> list[Diagnostic]:
    """FP5: the answer's language differs from the question's; the model hit its token limit."""
    answer, trace = f.inp.answer, f.inp.answer.trace
    check = trace.answer_check
    out: list[Diagnostic] = []
    # a quoted code block or a bare [n] is not the language the answer speaks
    prose = re.sub(r"\[\d+\]", "", _CODE.sub("", answer.text))
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
