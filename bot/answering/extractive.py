"""The embedded default answer: no model, no network. From the chosen chunks, pick the few
sentences, bullets, code blocks or tables that answer the question and cite each with [n].

A unit's score is the share of the question's (idf-weighted) terms it contains, plus a little for
coming first in its section, where the Atlas usually states the point. The best chunk leads with
up to three units, in their original order (with the code block a sentence announces); at most two
more chunks add their single best unit each, if it is relevant enough. A code block or table is kept
whole, and taken only from the best chunk unless the question asks for one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.domain import Chunk
from bot.text.tokenizer import BilingualTokenizer

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_SENT_EN = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'*`(\[])")
_SENT_ZH = re.compile(r"(?<=[。！？])")
_BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_WANTS_CODE = re.compile(r"\b(code|command|snippet|example|script|config|yaml|json|install|run|cli)\b|代码|命令|示例|配置|怎么跑|安装", re.I)
_WANTS_TABLE = re.compile(r"\b(compare|comparison|vs\.?|versus|difference|table|which)\b|对比|区别|比较|哪个", re.I)


@dataclass
class Unit:
    text: str
    kind: str  # sentence | bullet | code | table | quote
    position: int


@dataclass
class ExtractedPart:
    chunk: Chunk
    units: list[str]


_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_NEXT = re.compile(r"^\W*(next|now that|in the next|up next|接下来|下一[章节步]|下面)", re.IGNORECASE)
_ENDS_WITH_DOC_LINK = re.compile(r"\]\([^)\s]*\.md(#[^)]*)?\)\W*$")  # "…find out in [Chapter 6](06_x.md)."
_CONTENT = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]")


def _link_share(text: str) -> float:
    """Share of a unit's characters spent on link targets and markup."""
    markup = sum(len(m.group(0)) - len(m.group(1)) for m in _LINK.finditer(text))
    return markup / max(len(text), 1)


def split_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush_para() -> None:
        if not para:
            return
        joined = " ".join(p.strip() for p in para).strip()
        para.clear()
        if not joined:
            return
        pieces = _SENT_ZH.split(joined) if re.search(r"[。！？]", joined) else _SENT_EN.split(joined)
        for piece in pieces:
            if piece.strip():
                units.append(Unit(piece.strip(), "sentence", len(units)))

    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            flush_para()
            fence = _FENCE.match(line).group(1)[0] * 3
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            units.append(Unit("\n".join(lines[i : j + 1]), "code", len(units)))
            i = j + 1
            continue
        if line.lstrip().startswith("|"):
            flush_para()
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            units.append(Unit("\n".join(lines[i:j]), "table", len(units)))
            i = j
            continue
        if _BULLET.match(line):
            flush_para()
            units.append(Unit(line.strip(), "bullet", len(units)))
        elif line.lstrip().startswith(">"):
            flush_para()
            units.append(Unit(line.lstrip("> ").strip(), "quote", len(units)))
        elif not line.strip() or line.lstrip().startswith("#"):
            flush_para()
        else:
            para.append(line)
        i += 1
    flush_para()
    return units


class ExtractiveAnswerer:
    def __init__(self, tokenizer: BilingualTokenizer, max_chars: int = 700, max_sources: int = 3,
                 min_secondary: float = 0.35) -> None:
        self.tokenizer = tokenizer
        self.max_chars = max_chars
        self.max_sources = max_sources
        self.min_secondary = min_secondary  # a further source adds a line only if it is this relevant

    def _score(self, unit: Unit, weights: dict[str, float], total: float) -> float:
        if total <= 0:
            return 0.0
        tokens = set(self.tokenizer.tokens(unit.text))
        overlap = sum(w for t, w in weights.items() if t in tokens) / total
        return overlap + (0.15 if unit.position == 0 else 0.0) + (0.05 if unit.kind == "bullet" else 0.0)

    def extract(self, question: str, chunks: list[Chunk], doc_freq) -> list[ExtractedPart]:
        """``doc_freq(token) -> int`` gives each question term its weight (rarer counts more)."""
        q_tokens = list(dict.fromkeys(self.tokenizer.tokens(question)))
        weights = {t: math.log(1 + 1000 / (1 + doc_freq(t))) for t in q_tokens}
        total = sum(weights.values())
        wants_code = bool(_WANTS_CODE.search(question))
        wants_table = bool(_WANTS_TABLE.search(question))
        parts: list[ExtractedPart] = []
        budget = self.max_chars
        for rank, chunk in enumerate(chunks[: self.max_sources]):
            units = split_units(chunk.text)
            scored = []
            for unit in units:
                if unit.kind in ("code", "table") and rank > 0 and (len(unit.text) > 500 or not (wants_code or wants_table)):
                    continue  # a (long) block from a secondary source is rarely the answer
                if unit.kind not in ("code", "table") and (_link_share(unit.text) > 0.2 or _NEXT.match(unit.text)
                                                           or _ENDS_WITH_DOC_LINK.search(unit.text)
                                                           or not _CONTENT.search(_BULLET.sub("", unit.text))):
                    continue  # "Source: [file](…)", "Next, let's step into […](…)" — pointers, not answers
                score = self._score(unit, weights, total)
                if unit.kind == "code" and not wants_code:
                    score *= 0.3
                if unit.kind == "table" and not wants_table:
                    score *= 0.6
                scored.append((score, unit))
            picked: list[Unit] = []
            for score, unit in sorted(scored, key=lambda su: -su[0]):
                if len(picked) >= (3 if rank == 0 else 1) or (rank > 0 and score < self.min_secondary):
                    break
                if picked and len(unit.text) > budget:
                    continue
                picked.append(unit)
                budget -= len(unit.text)
            if rank == 0 and picked:
                picked = self._complete(picked, units, budget)
            if picked:
                parts.append(ExtractedPart(chunk, [u.text for u in sorted(picked, key=lambda u: u.position)]))
            if budget <= 0:
                break
        return parts

    def _complete(self, picked: list[Unit], units: list[Unit], budget: int) -> list[Unit]:
        """Keep what a picked sentence announces ("…run:" → the command) and lead bullets with their intro."""
        out = list(picked)
        for unit in picked:
            follow = units[unit.position + 1] if unit.position + 1 < len(units) else None
            if unit.text.rstrip().endswith((":", "：")) and follow is not None and follow not in out \
                    and len(follow.text) <= max(budget, 400):
                out.append(follow)
        first = min(out, key=lambda u: u.position)
        if first.kind == "bullet":
            lead = next((u for u in reversed(units[: first.position]) if u.kind == "sentence"), None)
            if lead is not None and lead not in out:
                out.append(lead)
        return out


def _is_block(unit: str) -> bool:
    return bool(_FENCE.match(unit)) or unit.lstrip().startswith("|")


def _kind(unit: str) -> str:
    return "block" if _is_block(unit) else "bullet" if _BULLET.match(unit) else "sentence"


def _runs(units: list[str]) -> list[tuple[str, list[str]]]:
    """Consecutive units of one kind together; every block alone."""
    runs: list[tuple[str, list[str]]] = []
    for unit in units:
        kind = _kind(unit)
        if runs and runs[-1][0] == kind != "block":
            runs[-1][1].append(unit)
        else:
            runs.append((kind, [unit]))
    return runs


def compose(parts: list[ExtractedPart], numbers: dict[str, int], lang: str) -> str:
    """The best chunk's units in their own order — sentences joined into a paragraph, bullets kept as
    a list, code blocks and tables whole — then one line per further source. Each paragraph, list or
    block ends with its [n]."""
    blocks: list[str] = []
    joiner = "" if lang == "zh" else " "
    for i, part in enumerate(parts):
        marker = f"[{numbers[part.chunk.id]}]"
        if i > 0:
            prose = [_BULLET.sub("", u) for u in part.units if not _is_block(u)]
            if prose:
                blocks.append(f"- {joiner.join(prose)} {marker}")
            blocks.extend(f"{u}\n{marker}" for u in part.units if _is_block(u))
            continue
        for kind, run in _runs(part.units):
            if kind == "block":
                blocks.append(f"{run[0]}\n{marker}")
            elif kind == "bullet":
                blocks.append("\n".join(f"- {_BULLET.sub('', u)}" for u in run) + f" {marker}")
            else:
                blocks.append(f"{joiner.join(run)} {marker}")
    return "\n\n".join(blocks)
