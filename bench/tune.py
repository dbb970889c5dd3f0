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

from bot.bootstrap import build_services
from bot.eval.harness import load_questions
from bot.retrieval.evidence import EvidenceConfig
from bot.retrieval.hybrid import FusionWeights
from bot.settings import Settings
from bot.text.language import detect_question_language

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
    asking = build_services(Settings()).asking
    index, retriever = asking.reader.current(), asking.retriever  # the retriever that answers in production
    questions = []
    for q in load_questions(args.set):
        query = retriever.prepare(q["question"], detect_question_language(q["question"]).lang, index)
        questions.append((q, dataclasses.replace(query, vector=retriever.embed(q["question"]))))

    def run(weights: FusionWeights):
        tuned = retriever.with_weights(weights)
        return [(q, query, tuned.search(index, query)) for q, query in questions]

    best = None
    base = FusionWeights()
    grid = itertools.product(*[sorted({round(v * f, 3) for f in (0.5, 1, 1.5)}) if v else [0.0, 0.15] for v in (
        base.dense, base.same_language, base.twin_support, base.title_match, base.hub_for_navigation,
        base.project_docs)])  # each weight at half, at, and one and a half times its shipped value
    for dense, lang_boost, twin, title, hub, project in grid:
        weights = FusionWeights(dense=dense, same_language=lang_boost, twin_support=twin, title_match=title,
                                hub_for_navigation=hub, project_docs=project)
        ranks = {"en": [], "zh": [], "mixed": []}
        for q, _, retrieval in run(weights):
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
    tuned = retriever.with_weights(best[1], config)
    scored = []
    for q, query, retrieval in run(best[1]):
        scored.append((tuned.assess(index, query, retrieval).score, q.get("answerable", True)))
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
