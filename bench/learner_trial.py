"""Ask the learner-trial questions (tests/questions/learner_trial.jsonl) the way a study group would,
through the same flow the Discord and Telegram adapters use, and print what each asker reads.

Each ask is its own conversation (its own user and channel); a follow-up's turns are sent one after the
other in that conversation. The printed transcript is what gets read against the docs and scored by
hand (scores and notes, never the Atlas's text, go to tests/questions/learner_trial_scores.jsonl).

    .venv/bin/python bench/learner_trial.py [--only L-45,L-46] [--data-dir var] > trial.txt
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from rich.console import Console

from bot.adapters import flow
from bot.bootstrap import build_services
from bot.companion.records import Member
from bot.domain import Asker
from bot.render.terminal import print_answer
from bot.settings import Settings

TRIAL = Path(__file__).resolve().parent.parent / "tests" / "questions" / "learner_trial.jsonl"


async def run(only: set[str], settings: Settings) -> None:
    console = Console(width=110, force_terminal=False, color_system=None)
    services = build_services(settings)
    await services.start()
    try:
        for line in TRIAL.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if only and item["id"] not in only:
                continue
            asker = Asker(platform="cli", user_id=f"trial-{item['id']}", space_id="trial", channel_id=f"trial-{item['id']}",
                          conversation=f"trial:{item['id']}")
            member = Member(platform="cli", user_id=f"trial-{item['id']}", space_id="trial")
            turns = item.get("turns") or [item["ask"]]
            console.rule(f"{item['id']} · {item['category']} · {item['lang']}")
            for turn in turns:
                console.print(f">>> {turn}", highlight=False)
                lang = flow.ui_lang(turn, asker)
                outcome = await flow.ask(services, turn, asker, lang, member)
                if outcome.study is not None:  # a study request, answered by the companion
                    console.print(outcome.study.text, highlight=False)
                    if outcome.study.quiz is not None:
                        question = outcome.study.quiz.question
                        console.print(question.prompt, highlight=False)
                        for i, option in enumerate(question.options):
                            console.print(f"  {chr(65 + i)}. {option}", highlight=False)
                    console.print(" · ".join(a.label for a in outcome.study.actions), highlight=False)
                if outcome.notice is not None:
                    console.print(outcome.notice, highlight=False)
                if outcome.answer is not None:
                    print_answer(console, outcome.answer)
                    asker = asker.model_copy(update={"last_lang": outcome.answer.lang})
                console.print()
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated ids")
    parser.add_argument("--data-dir", type=Path, default=None, help="the index to ask (default: the settings')")
    args = parser.parse_args()
    overrides = {"rate_limit_per_user": 10_000, "daily_budget_per_space": 100_000}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    settings = Settings(**overrides)
    asyncio.run(run({i for i in args.only.split(",") if i}, settings))


if __name__ == "__main__":
    main()
