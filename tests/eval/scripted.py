"""A tiny deterministic stand-in for the services, for the eval tests: each question gets the ranked docs,
refusal and answer text its script says, as a real ``Answer`` with a trace."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain import Answer, Asker, Candidate, Citation, Diagnostic, IndexInfo, LanguageDecision, Trace


@dataclass
class Script:
    docs: list[str]  # one candidate chunk per entry, in fused order (repeats = two chunks of one doc)
    text: str = ""
    refused: bool = False
    cited: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)


GOLDEN = [
    {"id": "Q1", "lang": "en", "question": "What is alpha?", "answerable": True,
     "gold": [{"doc": "docs/a.md", "section": "Alpha"}], "key_facts": ["alpha", "Beta"], "kind": "factual"},
    {"id": "Q2", "lang": "zh", "question": "阿尔法是什么？", "answerable": True,
     "gold": [{"doc": "docs/a_zh.md", "section": "阿尔法"}], "key_facts": ["检索"], "kind": "factual"},
    {"id": "Q3", "lang": "mixed", "question": "RAG 里的 gamma 怎么选？", "answerable": True,
     "gold": [{"doc": "docs/m_zh.md", "section": "伽马"}], "key_facts": ["gamma 值"], "kind": "factual"},
    {"id": "Q4", "lang": "en", "question": "What is the weather on Mars?", "answerable": False, "gold": [],
     "key_facts": [], "kind": "out_of_scope"},
    {"id": "Q5", "lang": "zh", "question": "火星天气如何？", "answerable": False, "gold": [], "key_facts": [],
     "kind": "out_of_scope"},
]

BASELINE_SCRIPTS = {
    "What is alpha?": Script(["docs/b.md", "docs/b.md", "docs/a.md", "docs/c.md"], "Alpha, then beta [1].",
                             cited=["docs/a.md"]),
    "阿尔法是什么？": Script(["docs/a.md", "docs/x_zh.md"], "检索得到的答案 [2]。", cited=["docs/a.md"],
                        diagnostics=["LANG_MISMATCH"]),
    "RAG 里的 gamma 怎么选？": Script(["docs/m_zh.md", "docs/n_zh.md"], "看情况。", cited=["docs/m_zh.md"]),
    "What is the weather on Mars?": Script(["docs/z.md"], "The Atlas does not cover this.", refused=True,
                                           diagnostics=["FP1_MISSING_CONTENT"]),
    "火星天气如何？": Script(["docs/z_zh.md"], "火星很冷。"),
}


def write_golden(path: Path, rows: list[dict] = GOLDEN) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@dataclass
class ScriptedService:
    scripts: dict[str, Script]
    asked: list[tuple[str, Asker]] = field(default_factory=list)

    async def ask(self, question: str, asker: Asker) -> Answer:
        self.asked.append((question, asker))
        s = self.scripts[question]
        candidates = [
            Candidate(chunk_id=f"{doc}#{i}", doc=doc, section="S", lang="zh" if doc.endswith("_zh.md") else "en",
                      fused_score=1.0 - i / 10, fused_rank=i + 1, lexical_rank=i + 1)
            for i, doc in enumerate(s.docs)
        ][::-1]  # the trace's order is not the ranking
        trace = Trace(trace_id=f"t-{len(self.asked)}", question=question, created_at=0.0,
                      language=LanguageDecision(lang="en", reason="test"), candidates=candidates, index_id="idx-1",
                      embed_model="fake-embed", prompt_version="v1",
                      diagnostics=[Diagnostic(code=c, severity="warn", message=c) for c in s.diagnostics])
        citations = [Citation(n=n, doc=doc, title=doc, section="S", heading=doc, url=f"https://x/{doc}", lang="en",
                              chunk_id=f"{doc}#0") for n, doc in enumerate(s.cited, 1)]
        return Answer(text=s.text, lang="en", refused=s.refused, citations=citations, trace=trace)

    @property
    def asking(self) -> "ScriptedService":  # shaped like Services: it asks and it knows the index
        return self

    @property
    def admin(self) -> "ScriptedService":
        return self

    def about(self) -> IndexInfo:
        return IndexInfo(index_id="idx-1", built_at=0.0, source="x", commit=None, embed_model="fake-embed",
                         embed_dim=4, chunks=1, docs=1)
