"""How well the citation support test (``bot/answering/support.py``) and the contradiction check
(``bot/answering/checks.py``) separate sentence-passage pairs, measured on pairs built from the index.

    .venv/bin/python bench/support_pairs.py [--data-dir DIR] [--per-label 80] [--seed 7] [--grid]

Pairs are built at run time from the live index with a fixed seed (no Atlas text is stored), per language:

- ``supports``: a prose sentence of passage P, lightly reworded (a fifth of its words dropped, a lead-in
  added) as a model restating it would, paired with P;
- ``related``: a sentence from another section of P's own doc (same topic, different claim), with P;
- ``unrelated``: a sentence from another doc, with P;
- ``contradicts``: the sentence of P with its negation flipped or a number changed, with P (for the
  contradiction check; the support test is expected to accept these, the contradiction check to catch them).

Prints precision and recall of "supported" (positives: ``supports``; negatives: ``related`` + ``unrelated``),
the acceptance rate of each kind, and the contradiction check's catch rate and false alarms. ``--grid``
searches the two bars on one half of the pairs and reports the other half.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answering.checks import contradiction  # noqa: E402
from bot.answering.support import SupportTest  # noqa: E402
from bot.corpus.embedders import load_embedder  # noqa: E402
from bot.index.reader import IndexReader  # noqa: E402
from bot.text.sentences import sentences  # noqa: E402
from bot.text.tokenizer import BilingualTokenizer  # noqa: E402

EN_LEAD = ["In short, ", "According to the notes, ", "Basically, ", ""]
ZH_LEAD = ["简单来说，", "根据笔记，", "", "也就是说，"]
EN_FLIP = [(r"\b(is|are|can|does|will|should)\b", r"\1 not"), (r"\b(is|are|can|does|will|should) not\b", r"\1")]
ZH_FLIP = [(r"不(会|能|是|需要|应该)", r"\1"), (r"(会|能|是|需要|应该)", r"不\1")]


def prose_sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("-*>0123456789. ")
        if not line or line.startswith(("#", "|", "```", "!", "$$")):
            continue
        out.extend(s for s in sentences(line) if 40 <= len(s) <= 300 or (re.search("[\u4e00-\u9fff]", s) and 15 <= len(s) <= 150))
    return out


def reword(sentence: str, lang: str, rng: random.Random, tokenizer: BilingualTokenizer) -> str:
    if lang == "zh":
        words = tokenizer._jieba.lcut(sentence)  # noqa: SLF001 - the bench reuses the bot's jieba
        kept = [w for w in words if rng.random() > 0.2 or not w.strip()]
        return rng.choice(ZH_LEAD) + "".join(kept)
    words = sentence.split()
    kept = [w for w in words if rng.random() > 0.2]
    return rng.choice(EN_LEAD) + " ".join(kept)


def flip(sentence: str, lang: str, rng: random.Random) -> str | None:
    numbers = re.findall(r"\d+(?:\.\d+)?", sentence)
    if numbers and rng.random() < 0.5:
        n = rng.choice(numbers)
        return sentence.replace(n, str(int(float(n)) * 2 + 3), 1)
    for pattern, repl in (ZH_FLIP if lang == "zh" else EN_FLIP):
        changed = re.sub(pattern, repl, sentence, count=1)
        if changed != sentence:
            return changed
    return None


def build_pairs(index, lang: str, per_label: int, rng: random.Random, tokenizer) -> list[tuple[str, str, str]]:
    chunks = [c for c in index.chunks if c.lang == lang and not c.boilerplate and len(c.text) >= 200]
    by_doc = defaultdict(list)
    for c in chunks:
        by_doc[c.doc].append(c)
    pairs: list[tuple[str, str, str]] = []
    counts = defaultdict(int)
    tries = 0
    while min(counts[k] for k in ("supports", "related", "unrelated", "contradicts")) < per_label and tries < 50000:
        tries += 1
        passage = rng.choice(chunks)
        own = prose_sentences(passage.text)
        if not own:
            continue
        label = rng.choice(["supports", "related", "unrelated", "contradicts"])
        if counts[label] >= per_label:
            continue
        if label == "supports":
            sentence = reword(rng.choice(own), lang, rng, tokenizer)
        elif label == "contradicts":
            sentence = flip(rng.choice(own), lang, rng)
        elif label == "related":
            others = [c for c in by_doc[passage.doc] if c.section_path != passage.section_path]
            pool = [s for c in others for s in prose_sentences(c.text) if s not in passage.text]
            sentence = rng.choice(pool) if pool else None
        else:
            other = rng.choice(chunks)
            pool = prose_sentences(other.text) if other.doc != passage.doc else []
            sentence = rng.choice(pool) if pool else None
        if not sentence:
            continue
        counts[label] += 1
        pairs.append((label, sentence, f"{passage.heading_line()}\n{passage.text}"))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "var")
    parser.add_argument("--per-label", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()

    index = IndexReader(args.data_dir).current()
    tokenizer = BilingualTokenizer.in_data_dir(args.data_dir)
    embedder = load_embedder(index.manifest.embed_model)
    test = SupportTest(tokenizer, idf=index.idf, encode=embedder.encode)
    rng = random.Random(args.seed)
    scored = []
    for lang in ("en", "zh"):
        for label, sentence, passage in build_pairs(index, lang, args.per_label, rng, tokenizer):
            lex, dense = test.matrix([sentence], [passage])
            scored.append((lang, label, float(lex[0, 0]), float(dense[0, 0]), sentence, passage))
    print(f"{len(scored)} pairs (seed {args.seed}, {args.per_label} per kind and language)")

    def report(rows, min_lex, min_dense, title):
        print(f"\n{title}: lexical >= {min_lex:.2f} or dense >= {min_dense:.2f}")
        for lang in ("en", "zh", "all"):
            sel = [r for r in rows if lang in ("all", r[0])]
            accept = {k: [r for r in sel if r[1] == k] for k in ("supports", "related", "unrelated", "contradicts")}
            ok = lambda r: r[2] >= min_lex or r[3] >= min_dense  # noqa: E731
            tp = sum(ok(r) for r in accept["supports"])
            fp = sum(ok(r) for r in accept["related"] + accept["unrelated"])
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / len(accept["supports"]) if accept["supports"] else 0.0
            rates = " ".join(f"{k} {sum(ok(r) for r in v) / max(len(v), 1):.2f}" for k, v in accept.items())
            print(f"  {lang:3s} precision {precision:.3f} recall {recall:.3f} | accepted: {rates}")
        return

    if args.grid:
        rng.shuffle(scored)
        tune, hold = scored[::2], scored[1::2]
        best = None
        for min_lex in [x / 20 for x in range(6, 19)]:
            for min_dense in [x / 40 for x in range(16, 40)]:
                sel = tune
                tp = sum(1 for r in sel if r[1] == "supports" and (r[2] >= min_lex or r[3] >= min_dense))
                fp = sum(1 for r in sel if r[1] in ("related", "unrelated") and (r[2] >= min_lex or r[3] >= min_dense))
                pos = sum(1 for r in sel if r[1] == "supports")
                precision, recall = tp / max(tp + fp, 1), tp / max(pos, 1)
                key = (precision >= 0.95, recall if precision >= 0.95 else precision)
                if best is None or key > best[0]:
                    best = (key, min_lex, min_dense)
        _, min_lex, min_dense = best
        report(tune, min_lex, min_dense, "tuning half")
        report(hold, min_lex, min_dense, "held-out half")
    report(scored, test.min_lexical, test.min_dense, "shipped bars, all pairs")

    caught = defaultdict(lambda: [0, 0])
    for lang, label, _lex, _dense, sentence, passage in scored:
        if label in ("contradicts", "supports"):
            hit = contradiction(sentence, passage) is not None
            caught[(lang, label)][0] += hit
            caught[(lang, label)][1] += 1
    print("\ncontradiction check (negation flipped / number changed):")
    for lang in ("en", "zh"):
        c, s = caught[(lang, "contradicts")], caught[(lang, "supports")]
        print(f"  {lang}: caught {c[0]}/{c[1]} ({c[0] / max(c[1], 1):.2f}); false alarms on supporting pairs "
              f"{s[0]}/{s[1]} ({s[0] / max(s[1], 1):.2f})")


if __name__ == "__main__":
    main()
