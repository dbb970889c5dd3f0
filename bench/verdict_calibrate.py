"""Fit the answer-level verdict (bot/diagnostics/verdict.py) and check it on questions it was not fitted on.

    .venv/bin/python bench/verdict_calibrate.py [--fit ../shared/eval/dev.jsonl] [--check tests/questions/holdout.jsonl]

Every answerable question of both sets goes through the real ask path (extractive answers); an answer
holding none of its key facts is *useless*, one holding two thirds or more *good* (partial ones are left
out). A logistic model over the verdict's signals is fitted on the first set (standardised features,
L2 0.3, classes weighted equally) and its threshold chosen there so that at most 15 % of good answers
are flagged. Prints the model to paste into ``VERDICT_MODEL``, then ROC AUC and flag rates on both sets,
per language. It reads the index under ATLAS_DATA_DIR; nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.bootstrap import build_services  # noqa: E402
from bot.diagnostics.inputs import DiagnosisInput, Facts  # noqa: E402
from bot.diagnostics.verdict import FEATURES, signals  # noqa: E402
from bot.domain import Asker  # noqa: E402
from bot.settings import Settings  # noqa: E402


def label(answer_text: str, facts: list[str]) -> str | None:
    hit = sum(f.lower() in answer_text.lower() for f in facts)
    return "useless" if hit == 0 else "good" if hit >= 2 / 3 * len(facts) else None


async def collect(path: Path) -> list[tuple[str, int, list[float]]]:
    services = build_services(Settings())
    await services.start()
    index = services.asking.reader.current()
    rows = []
    try:
        for line in path.read_text().splitlines():
            q = json.loads(line)
            if not q.get("answerable", True) or not q.get("key_facts"):
                continue
            answer = await services.asking.ask(q["question"], Asker(platform="eval", user_id=q["id"]))
            tag = label(answer.text, q["key_facts"])
            if answer.refused or tag is None:
                continue
            inp = DiagnosisInput(question=q["question"], answer=answer, chunks=index.by_id, index=None,
                                 query_embed_model="", source_changed=None, tokenizer=services.tokenizer,
                                 idf=index.idf)
            s = signals(Facts.build(inp, Settings(_env_file=None).diag, None))
            rows.append((q["lang"], int(tag == "useless"), list(s.vector())))
    finally:
        await services.close()
    return rows


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.3) -> np.ndarray:
    x = np.c_[x, np.ones(len(x))]
    w = np.zeros(x.shape[1])
    weight = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1)))
    for _ in range(4000):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.3 * (x.T @ ((p - y) * weight) / len(y) + l2 * np.r_[w[:-1], 0])
    return w


def auc(score: np.ndarray, y: np.ndarray) -> float:
    pos, neg = score[y == 1], score[y == 0]
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])) if len(pos) and len(neg) else float("nan")


def report(name: str, rows, mean, sd, w, threshold) -> None:
    for lang in ("en", "zh", "mixed", "all"):
        part = [r for r in rows if lang == "all" or r[0] == lang]
        if not part:
            continue
        x = (np.array([r[2] for r in part]) - mean) / sd
        y = np.array([r[1] for r in part])
        usefulness = 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))
        flagged = usefulness < threshold
        print(f"{name:6s} {lang:5s} n={len(part):3d} useless={int(y.sum()):2d}  AUC {auc(-usefulness, y):.3f}  "
              f"flags useless {flagged[y == 1].mean() if y.sum() else float('nan'):.2f}  "
              f"good {flagged[y == 0].mean():.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", type=Path, default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--check", type=Path, default=REPO / "tests" / "questions" / "holdout.jsonl")
    args = parser.parse_args()
    fit_rows, check_rows = asyncio.run(collect(args.fit)), asyncio.run(collect(args.check))
    x = np.array([r[2] for r in fit_rows])
    y = np.array([r[1] for r in fit_rows])
    mean, sd = x.mean(0), x.std(0) + 1e-9
    w = fit((x - mean) / sd, y)
    # the model gives P(useless); the verdict reports usefulness = 1 - P(useless): flip the signs
    usefulness = 1 / (1 + np.exp((((x - mean) / sd) @ w[:-1] + w[-1])))
    threshold = float(np.quantile(usefulness[y == 0], 0.15))
    print("VERDICT_MODEL = " + json.dumps({
        "features": list(FEATURES), "mean": [round(v, 4) for v in mean], "sd": [round(v, 4) for v in sd],
        "weights": [round(-v, 4) for v in w[:-1]], "bias": round(-w[-1], 4)}))
    print(f"threshold (≤ 15 % of good answers flagged on the fit set): {threshold:.3f}")
    flipped = -w
    report("fit", fit_rows, mean, sd, flipped, threshold)
    report("check", check_rows, mean, sd, flipped, threshold)


if __name__ == "__main__":
    main()
