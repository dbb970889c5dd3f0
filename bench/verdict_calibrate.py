"""Fit the answer-level verdict (bot/diagnostics/verdict.py) on part of the dev set and check it on the rest.

    ATLAS_DATA_DIR=… .venv/bin/python bench/verdict_calibrate.py [--dev ../shared/eval/dev.jsonl]
        [--holdout tests/questions/holdout.jsonl] [--new SET …] [--hand SET …] [--labels FILE] [--show FILE] [--write]

Every answerable question of the sets goes through the real ask path (extractive answers); an answer
holding none of its key facts is *useless*, one holding two thirds or more *good* (partial ones are left
out). Our own sets with key facts (``--new``: tests/questions/fresh*.jsonl) are labelled the same way. Sets
without key facts (the learner trial's single asks, tests/questions/verdict_trial.jsonl) are labelled by
hand in tests/questions/verdict_labels.jsonl, each label tied to the answer it was given to. Dev, our own
sets and the hand labels are each split by a hash of their id: the ``fit``, ``new-fit`` and ``hand-fit``
halves (sha256(id) even) are the only ones the model and its threshold see; the ``dev-held``, ``new-held``
and ``hand-held`` halves and the holdout set are never used to choose anything (``unseen`` sums them). A logistic model over the
verdict's signals is fitted on the fitted halves (standardised features,
L2 0.3, classes weighted equally) and the threshold set there so that at most 15 % of their good answers
are flagged. Prints the model, then ROC AUC and flag rates per part and language, how often each red flag
is up on useless vs good answers, and what the verdict check costs per answer. ``--write`` puts the model into verdict.py and the threshold into
settings.py (re-run it after the answers change). It reads the index under ATLAS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.bootstrap import build_services  # noqa: E402
from bot.diagnostics.inputs import DiagnosisInput, Facts  # noqa: E402
from bot.diagnostics.verdict import FEATURES, signals, verdict  # noqa: E402
from bot.domain import Asker  # noqa: E402
from bot.settings import Settings  # noqa: E402

GOOD_FLAGGED = 0.15  # the share of good answers of the fit half the threshold may flag
PARTS = ("fit", "hand-fit", "new-fit", "dev-held", "holdout", "hand-held", "new-held")
FITTED = ("fit", "hand-fit", "new-fit")  # the parts the model and its threshold see
UNSEEN = ("dev-held", "holdout", "hand-held", "new-held")  # never used to choose anything
TIMINGS_MS: list[float] = []


def label(answer_text: str, facts: list[str]) -> str | None:
    hit = sum(f.lower() in answer_text.lower() for f in facts)
    return "useless" if hit == 0 else "good" if hit >= 2 / 3 * len(facts) else None


# each labelled set's fitted and held parts; the holdout is held whole
SPLITS = {"dev": ("fit", "dev-held"), "new": ("new-fit", "new-held"), "hand": ("hand-fit", "hand-held")}


def split_part(kind: str, question_id: str) -> str:
    """The fixed split of a set (``kind``: dev, our own sets with key facts, the hand labels): an id's hash,
    so adding or editing other questions never moves it; the even half is fitted on, the rest held back."""
    fitted, held = SPLITS[kind]
    return fitted if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 2 == 0 else held


def fingerprint(text: str) -> str:
    """Which answer a hand label was given to: a changed answer needs a new label."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def hand_labels(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return {(r := json.loads(line))["id"]: r for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def questions(path: Path) -> list[dict]:
    """A set's single asks (a follow-up's turns are left out: the verdict reads each answer on its own)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and "turns" not in (q := json.loads(line)) and q.get("answerable", True):
            out.append({**q, "question": q.get("question") or q["ask"]})
    return out


async def collect(sets: list[tuple[str, Path]], labels: dict[str, dict]) -> list[dict]:
    """Ask every question; label the answer by its key facts, or by hand (``labels``) when the set has none."""
    services = build_services(Settings())
    await services.start()
    index = services.asking.reader.current()
    config = Settings(_env_file=None).diag
    rows = []
    try:
        for kind, path in sets:
            for q in questions(path):
                # asked as the eval harness asks: each question on its own, never a follow-up of the one before
                asker = Asker(platform="eval", user_id=f"eval-{q['id']}", space_id="eval", channel_id=f"eval-{q['id']}")
                answer = await services.asking.ask(q["question"], asker)
                judged = any(d.code == "ANSWER_VERDICT" for d in answer.trace.diagnostics)
                row = {"part": kind if kind == "holdout" else split_part(kind, q["id"]), "id": q["id"], "lang": q["lang"],
                       "question": q["question"],
                       "answer": answer.text, "fingerprint": fingerprint(answer.text), "judged": judged}
                if q.get("key_facts"):
                    tag = label(answer.text, q["key_facts"])
                else:
                    row["part"] = split_part("hand", q["id"])
                    hand = labels.get(q["id"], {})
                    row["stale"] = bool(hand) and hand.get("answer") != row["fingerprint"]
                    tag = None if row["stale"] else {"useless": "useless", "good": "good"}.get(hand.get("label", ""))
                if answer.refused or not judged:  # a decline, an empty or a map answer: not judged
                    rows.append({**row, "useless": None})
                    continue
                inp = DiagnosisInput(question=q["question"], answer=answer, chunks=index.by_id, index=None,
                                     query_embed_model="", source_changed=None, tokenizer=services.tokenizer,
                                     idf=index.idf)
                facts = Facts.build(inp, config, None)
                s = signals(facts)
                started = time.perf_counter()
                verdict(facts)  # what the verdict adds to an ask: the whole check, timed
                TIMINGS_MS.append((time.perf_counter() - started) * 1000)
                rows.append({**row, "useless": None if tag is None else int(tag == "useless"), "x": list(s.vector()),
                             "red": list(s.red)})
    finally:
        await services.close()
    return rows


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.3) -> np.ndarray:
    """Logistic regression for P(useless), classes weighted equally; the last weight is the bias."""
    x = np.c_[x, np.ones(len(x))]
    w = np.zeros(x.shape[1])
    weight = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1)))
    for _ in range(4000):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 0.3 * (x.T @ ((p - y) * weight) / len(y) + l2 * np.r_[w[:-1], 0])
    return w


def auc(usefulness: np.ndarray, useless: np.ndarray) -> float:
    """The probability that a useless answer is judged less useful than a good one."""
    bad, good = usefulness[useless == 1], usefulness[useless == 0]
    if not len(bad) or not len(good):
        return float("nan")
    return float(np.mean([(b < g) + 0.5 * (b == g) for b in bad for g in good]))


def report(rows: list[dict], model: dict, threshold: float) -> None:
    mean, sd, w = (np.array(model[k]) for k in ("mean", "sd", "weights"))
    print(f"{'part':10s}{'lang':7s}{'useless':>8s}{'good':>6s}{'AUC':>7s}{'flags useless':>16s}{'flags good':>16s}")
    for part in (*PARTS, "unseen"):
        for lang in ("en", "zh", "mixed", "all"):
            sub = [r for r in rows if r["part"] in (UNSEEN if part == "unseen" else (part,)) and lang in ("all", r["lang"])]
            if not sub:
                continue
            x, y = np.array([r["x"] for r in sub]), np.array([r["useless"] for r in sub])
            usefulness = 1 / (1 + np.exp(-(((x - mean) / sd) @ w + model["bias"])))
            flagged = usefulness < threshold
            rate = lambda group: f"{group.mean():.2f} ({int(group.sum())}/{len(group)})" if len(group) else "–"  # noqa: E731
            print(f"{part:10s}{lang:7s}{int(y.sum()):8d}{int((1 - y).sum()):6d}{auc(usefulness, y):7.3f}"
                  f"{rate(flagged[y == 1]):>16s}{rate(flagged[y == 0]):>16s}")


def signal_report(rows: list[dict]) -> None:
    """Each signal alone: its AUC, and how often each red flag is up on useless vs good answers."""
    print("\nsignal            " + "".join(f"{p:>20s}" for p in PARTS))
    for i, name in enumerate(FEATURES):
        cells = []
        for part in PARTS:
            sub = [r for r in rows if r["part"] == part]
            sign = -1 if name == "flags" else 1  # a red flag up means less useful
            score = np.array([sign * r["x"][i] for r in sub])
            cells.append(f"AUC {auc(score, np.array([r['useless'] for r in sub])):.2f}")
        print(f"{name:18s}" + "".join(f"{c:>20s}" for c in cells))
    for flag in sorted({f.split(":")[0] for r in rows for f in r["red"]}):
        cells = []
        for part in PARTS:
            up = lambda r: any(f.split(":")[0] == flag for f in r["red"])  # noqa: E731
            bad = [up(r) for r in rows if r["part"] == part and r["useless"]]
            good = [up(r) for r in rows if r["part"] == part and not r["useless"]]
            cells.append(f"{sum(bad)}/{len(bad)} vs {sum(good)}/{len(good)}")
        print(f"{'  ' + flag:18s}" + "".join(f"{c:>20s}" for c in cells))


def write(model: dict, threshold: float) -> None:
    verdict = REPO / "bot" / "diagnostics" / "verdict.py"
    body = "".join(f'    "{k}": {tuple(model[k])},\n' for k in ("mean", "sd", "weights")) + f'    "bias": {model["bias"]},\n'
    text = re.sub(r"(VERDICT_MODEL = \{\n).*?(\}\n)", lambda m: m.group(1) + body + m.group(2),
                  verdict.read_text(encoding="utf-8"), count=1, flags=re.S)
    verdict.write_text(text, encoding="utf-8")
    settings = REPO / "bot" / "settings.py"
    text = re.sub(r"(verdict_threshold: float = Field\()[0-9.]+", lambda m: f"{m.group(1)}{threshold}",
                  settings.read_text(encoding="utf-8"), count=1)
    settings.write_text(text, encoding="utf-8")
    print(f"written: {verdict.relative_to(REPO)}, {settings.relative_to(REPO)}")


def show(rows: list[dict], labels: dict[str, dict], path: Path) -> None:
    """The hand-labelled sets' answers, for reading against the docs: each with its fingerprint and its label
    (or why it has none). Written outside the repository: it holds the Atlas's text."""
    out = []
    for r in rows:
        if not r["part"].startswith("hand"):
            continue
        hand = labels.get(r["id"], {})
        state = "not judged" if not r["judged"] else "stale" if r.get("stale") else hand.get("label", "unlabelled")
        out.append(f"=== {r['id']} · {r['lang']} · {state} · answer {r['fingerprint']}\n>>> {r['question']}\n{r['answer']}\n")
    path.write_text("\n".join(out), encoding="utf-8")


def fit_model(rows: list[dict]) -> tuple[dict, float]:
    """The model and threshold, from the fitted parts only."""
    fitted = [r for r in rows if r["part"] in FITTED]
    x, y = np.array([r["x"] for r in fitted]), np.array([r["useless"] for r in fitted])
    mean, sd = x.mean(0), x.std(0) + 1e-9
    w = -fit((x - mean) / sd, y)  # the model gives P(useless); the verdict reports usefulness: flip the signs
    model = {"mean": [round(float(v), 4) for v in mean], "sd": [round(float(v), 4) for v in sd],
             "weights": [round(float(v), 4) for v in w[:-1]], "bias": round(float(w[-1]), 4)}
    usefulness = 1 / (1 + np.exp(-(((x - mean) / sd) @ np.array(model["weights"]) + model["bias"])))
    good = np.sort(usefulness[y == 0])
    # the largest threshold that flags (usefulness below it) at most GOOD_FLAGGED of the good answers
    threshold = math.floor(float(good[int(np.floor(GOOD_FLAGGED * len(good)))]) * 1000) / 1000  # rounded down: still ≤ 15 %
    return model, threshold


def main() -> None:
    parser = argparse.ArgumentParser()
    questions_dir = REPO / "tests" / "questions"
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--holdout", type=Path, default=questions_dir / "holdout.jsonl")
    parser.add_argument("--hand", type=Path, nargs="*", default=[questions_dir / "learner_trial.jsonl",
                                                                 questions_dir / "verdict_trial.jsonl"],
                        help="sets without key facts, labelled by hand in --labels")
    parser.add_argument("--new", type=Path, nargs="*", default=sorted(questions_dir.glob("fresh*.jsonl")),
                        help="our own sets with key facts, split like dev")
    parser.add_argument("--labels", type=Path, default=questions_dir / "verdict_labels.jsonl")
    parser.add_argument("--write", action="store_true", help="put the model and threshold into the code")
    parser.add_argument("--rows", type=Path, help="also write each labelled answer's signals here (JSON)")
    parser.add_argument("--show", type=Path, help="write the hand-labelled sets' answers here, to label them")
    args = parser.parse_args()
    labels = hand_labels(args.labels)
    sets = [("dev", args.dev), ("holdout", args.holdout), *(("new", p) for p in args.new), *(("hand", p) for p in args.hand)]
    rows = asyncio.run(collect(sets, labels))
    if args.rows:
        args.rows.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.show:
        show(rows, labels, args.show)
    stale = sorted(r["id"] for r in rows if r.get("stale"))
    if stale:
        print(f"hand labels given to another answer (relabel them, --show): {', '.join(stale)}")
    rows = [r for r in rows if r["useless"] is not None]
    model, threshold = fit_model(rows)
    print("VERDICT_MODEL = " + json.dumps({"features": list(FEATURES), **model}))
    print(f"threshold (≤ {GOOD_FLAGGED:.0%} of the fitted parts' good answers flagged): {threshold}\n")
    report(rows, model, threshold)
    signal_report(rows)
    ordered = sorted(TIMINGS_MS)
    print(f"\nthe verdict check per answer: p50 {statistics.median(ordered):.2f} ms, "
          f"p95 {ordered[int(0.95 * (len(ordered) - 1))]:.2f} ms ({len(ordered)} answers)")
    if args.write:
        write(model, threshold)


if __name__ == "__main__":
    main()
