"""Quiz quality, judged by hand: regenerate the reviewed sample of questions from the index and score
the verdicts stored in tests/questions/quiz_review.jsonl (ids, verdicts and short notes; no doc text).

    python bench/quiz_review.py                 # shares per language and criterion
    python bench/quiz_review.py --show          # print the sample with its passages, for reviewing
    python bench/quiz_review.py --show --todo   # only questions without a verdict (new or changed)

The sample: ``--per-lang`` questions of each language, chosen by a seeded hash of their ids from the
bank of the index in ``ATLAS_DATA_DIR``. A question whose passage or wording changed gets a new id and shows as
"to review" until someone judges it again.
"""

from __future__ import annotations

import argparse
import json
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.companion.bank import QuestionBank  # noqa: E402
from bot.index.reader import IndexReader  # noqa: E402
from bot.settings import Settings  # noqa: E402

REVIEW = Path(__file__).resolve().parent.parent / "tests" / "questions" / "quiz_review.jsonl"
CRITERIA = ("well_formed", "answerable", "unambiguous", "distractors")
SEED = 12


def sample(bank: QuestionBank, lang: str, n: int) -> list:
    """The ``n`` questions whose seeded hash of the id is smallest: a question that changes leaves the
    sample and the next one joins, the rest stays (verdicts keep applying)."""
    pool = [q for q in bank.questions if q.lang == lang]
    return sorted(pool, key=lambda q: hashlib.sha256(f"{SEED}:{q.id}".encode()).hexdigest())[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-lang", type=int, default=64)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--todo", action="store_true")
    args = parser.parse_args()

    settings = Settings()
    reader = IndexReader(settings.data_dir, settings.chroma_host, settings.chroma_port)
    bank = QuestionBank(reader.current())
    verdicts = {}
    if REVIEW.exists():
        for line in REVIEW.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                verdicts[record["id"]] = record
    print(f"index {bank.index_id}: {len(bank.questions)} questions "
          f"({sum(q.choice for q in bank.questions)} multiple choice)")
    for lang in ("en", "zh"):
        questions = sample(bank, lang, args.per_lang)
        if args.show:
            for i, q in enumerate(questions):
                if args.todo and q.id in verdicts:
                    continue
                passage = bank.index.by_id[q.chunk_id].text.replace("\n", " ")[:600]
                print(f"\n[{lang} {i}] {q.id} {q.kind} {q.doc} › {q.anchor}\nQ: {q.prompt}\n"
                      f"O: {q.options} -> {q.answer_text}\nP: {passage}")
            continue
        judged = [verdicts[q.id] for q in questions if q.id in verdicts]
        todo = len(questions) - len(judged)
        print(f"\n{lang}: {len(judged)} of {len(questions)} sampled questions judged"
              + (f" ({todo} new or changed: run --show --todo)" if todo else ""))
        for criterion in CRITERIA:
            marks = [v[criterion] for v in judged if v.get(criterion) is not None]
            share = sum(marks) / len(marks) if marks else float("nan")
            print(f"  {criterion:<12} {share:6.1%}  ({sum(marks)}/{len(marks)})")
        overall = [all(v.get(c) is not False for c in CRITERIA) for v in judged]
        if overall:
            print(f"  {'all four':<12} {sum(overall) / len(overall):6.1%}  ({sum(overall)}/{len(overall)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
