"""Re-tune the fusion weights and the decline threshold on a golden set — how the defaults in
``bot/retrieval/hybrid.py`` and ``bot/retrieval/evidence.py`` were chosen, and what to run after
pointing the bot at other docs or another embedding model.

    .venv/bin/python bench/tune.py [--set ../shared/eval/dev.jsonl] [--max-false-refusal 0.03]

Searches around the shipped weights (each at ½×, 1×, 1½×; about 730 settings, ~10 minutes here).
Prints the best fusion weights by mrr@10 among those that keep hit@5 at its goals, then the
refusal recall reachable at the allowed false-refusal rate for the shipped evidence weights, with the
threshold that reaches it. It reads the index under ATLAS_DATA_DIR; nothing is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from pathlib import Path

from bot.bootstrap import build_pipeline
from bot.eval.harness import load_questions
from bot.language import detect_question_language
from bot.retrieval.evidence import EvidenceConfig, assess
from bot.retrieval.hybrid import FusionWeights, about_project, retrieve, wants_navigation
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def _gold_rank(ranked, gold: set[str]) -> int | None:
    docs: list[str] = []
    for scored in ranked:
        if scored.chunk.doc not in docs:
            docs.append(scored.chunk.doc)
    return next((i + 1 for i, d in enumerate(docs) if d in gold), None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", type=Path, default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--max-false-refusal", type=float, default=0.03)
    args = parser.parse_args()
    pipeline = build_pipeline(Settings())
    index, tokenizer, embedder = pipeline.parts.reader.current(), pipeline.parts.tokenizer, pipeline.parts.embedder
    questions = []
    for q in load_questions(args.set):
        tokens, _ = index.spelling.expand(tokenizer.tokens(q["question"]))
        questions.append((q, detect_question_language(q["question"]).lang, tokens, embedder.encode([q["question"]])[0]))

    def run(weights: FusionWeights):
        out = []
        for q, lang, tokens, vector in questions:
            retrieval = retrieve(index, tokens, vector, lang, weights, 40, wants_navigation(q["question"]),
                                 about_project(q["question"]))
            out.append((q, retrieval, tokens))
        return out

    best = None
    base = FusionWeights()
    grid = itertools.product(*[sorted({round(v * f, 3) for f in (0.5, 1, 1.5)}) if v else [0.0, 0.15] for v in (
        base.dense, base.same_language, base.twin_support, base.title_match, base.hub_for_navigation,
        base.project_docs)])  # each weight at half, at, and one and a half times its shipped value
    for dense, lang_boost, twin, title, hub, project in grid:
        weights = FusionWeights(dense=dense, same_language=lang_boost, twin_support=twin, title_match=title,
                                hub_for_navigation=hub, project_docs=project)
        ranks = {"en": [], "zh": [], "mixed": []}
        for q, retrieval, _ in run(weights):
            if q.get("answerable", True):
                ranks[q["lang"]].append(_gold_rank(retrieval.ranked, {g["doc"] for g in q["gold"]}))
        every = [r for rs in ranks.values() for r in rs]
        hit5 = {k: sum(1 for r in v if r and r <= 5) / max(len(v), 1) for k, v in ranks.items()}
        mrr = sum(1 / r for r in every if r and r <= 10) / len(every)
        if hit5["en"] >= 0.97 and hit5["zh"] >= 0.95 and hit5["mixed"] >= 0.95 and (best is None or mrr > best[0]):
            best = (mrr, weights, hit5)
    if best is None:
        print("no weights reach the hit@5 goals on this set")
        return
    print(f"fusion: mrr@10 {best[0]:.3f}, hit@5 {best[2]} with {best[1]}")

    config = EvidenceConfig()
    scored = []
    for q, retrieval, tokens in run(best[1]):
        evidence = assess(tokens, retrieval, index, tokenizer, config)
        scored.append((evidence["score"], q.get("answerable", True)))
    answerable = [s for s, a in scored if a]
    unanswerable = [s for s, a in scored if not a]
    for threshold in sorted({s for s, _ in scored}):
        false = sum(s < threshold for s in answerable) / len(answerable)
        if false > args.max_false_refusal:
            break
        reach = (sum(s < threshold for s in unanswerable) / max(len(unanswerable), 1), false, threshold)
    print(f"decline below {reach[2]:.3f}: refusal recall {reach[0]:.3f}, false refusal {reach[1]:.3f} "
          f"(shipped threshold {config.threshold}; weights {dataclasses.asdict(config)})")


if __name__ == "__main__":
    main()
