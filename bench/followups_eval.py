"""Follow-ups in context, measured on ``tests/questions/followups.jsonl`` (36 conversations of 2-3 turns;
each turn names the doc its answer should come from; in a ``switch`` conversation the last turn starts a
new topic).

Each conversation is asked turn by turn through the real pipeline (extractive answers), twice: without
conversation memory (every message stands alone — what main did before follow-ups) and with it. Per
half of the set — odd lines (used to choose the rules and weights) and even lines (held out) — it prints:

- follow-up turns answered from the right doc (the first cited doc is the turn's ``about``), and read
  as follow-ups (without memory nothing is),
- switch turns not carried over (read as a new topic; nothing of the old subject searched) and from the
  right doc,
- first turns from the right doc (a control: standalone questions are never rewritten),
- declines among follow-up turns.

    PYTHONPATH=. .venv/bin/python bench/followups_eval.py [--data-dir DIR] [--show]

``--data-dir``: an index built by ``atlas-bot ingest`` (default ``ATLAS_DATA_DIR``). ``--show`` prints
every turn: the message, how it was read, the searched question and the doc answered from.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SET = REPO / "tests" / "questions" / "followups.jsonl"


def _settings(data_dir: Path | None):
    from bot.settings import Settings

    extra = {"data_dir": data_dir} if data_dir else {}
    return Settings(_env_file=None, redis_url=None, llm_base_url=None, **extra)


async def _run(services, conversations: list[dict], memory: bool, show: bool) -> list[dict]:
    from bot.domain import Asker

    asking = services.asking
    keep = asking.conversations
    if not memory:
        asking.conversations = None
    rows = []
    try:
        for conv in conversations:
            asker = Asker(platform="bench", user_id=conv["id"], space_id="bench", channel_id=conv["id"],
                          conversation=f"bench:{conv['id']}:{uuid.uuid4().hex[:8]}")
            for i, turn in enumerate(conv["turns"]):
                answer = await asking.ask(turn["ask"], asker)
                docs = [c.doc for c in answer.citations]
                f = answer.trace.followup
                last = i == len(conv["turns"]) - 1
                role = "first" if i == 0 else "switch" if conv.get("switch") and last else "followup"
                row = {"id": conv["id"], "line": conv["line"], "turn": i, "role": role, "about": turn["about"],
                       "doc": docs[0] if docs else None, "refused": answer.refused or not docs,
                       "read": f.status if f else "-", "searched": answer.trace.searched}
                rows.append(row)
                if show:
                    mark = "✓" if row["doc"] == row["about"] else "✗"
                    print(f"{mark} {conv['id']}.{i} [{role}/{row['read']}] {turn['ask']!r} → {row['searched']!r} → "
                          f"{Path(row['doc']).name if row['doc'] else 'declined'} (want {Path(turn['about']).name})")
    finally:
        asking.conversations = keep
    return rows


def _share(rows: list[dict], ok) -> str:
    if not rows:
        return "–"
    n = sum(1 for r in rows if ok(r))
    return f"{n}/{len(rows)} = {n / len(rows):.0%}"


def _report(title: str, rows: list[dict]) -> None:
    follow = [r for r in rows if r["role"] == "followup"]
    switch = [r for r in rows if r["role"] == "switch"]
    first = [r for r in rows if r["role"] == "first"]
    print(f"  {title}")
    print(f"    follow-up turns from the right doc : {_share(follow, lambda r: r['doc'] == r['about'])}")
    print(f"    follow-up turns read as follow-ups : {_share(follow, lambda r: r['read'] == 'followup')}")
    print(f"    switch turns not carried over      : {_share(switch, lambda r: r['read'] != 'followup')}")
    print(f"    switch turns from the right doc    : {_share(switch, lambda r: r['doc'] == r['about'])}")
    print(f"    first turns from the right doc     : {_share(first, lambda r: r['doc'] == r['about'])}")
    print(f"    follow-up turns declined           : {_share(follow, lambda r: r['refused'])}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from bot.bootstrap import build_services

    conversations = []
    for n, line in enumerate(SET.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            conversations.append({**json.loads(line), "line": n})
    services = build_services(_settings(args.data_dir))
    await services.start()
    try:
        results = {}
        for memory in (False, True):
            if args.show:
                print(f"--- {'with' if memory else 'without'} memory")
            results[memory] = await _run(services, conversations, memory, args.show)
    finally:
        await services.close()
    for half, pick in (("odd lines (tuned on)", 1), ("even lines (held out)", 0), ("all", None)):
        print(f"\n{half}")
        for memory in (False, True):
            rows = [r for r in results[memory] if pick is None or r["line"] % 2 == pick]
            _report("with memory" if memory else "without memory (main)", rows)


if __name__ == "__main__":
    asyncio.run(main())
