"""``atlas-bot``: ingest, ask, chat, map, eval, gaps, health, discord, telegram."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from bot.logs import configure_logging
from bot.messages import message
from bot.settings import Settings
from ingestion.cli import ingest

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Atlas Bot: answers questions about the AI Model Atlas.")
console = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays on one line in logs


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@functools.wraps(ingest)  # the same options and help
def _ingest_and_prepare(*args, **kwargs) -> None:
    ingest(*args, **kwargs)
    from bot.bootstrap import prepare_generation

    prepare_generation(_settings())


app.command("ingest")(_ingest_and_prepare)


def _ask_once(question: str, debug: bool, as_json: bool) -> None:
    from bot.bootstrap import build_services
    from bot.domain import Asker
    from bot.render.terminal import print_answer, print_trace

    settings = _settings()

    async def run():
        services = build_services(settings)
        await services.start()
        try:
            return await services.asking.ask(question, Asker(platform="cli", user_id=os.environ.get("USER", "local")))
        finally:
            await services.close()

    answer = asyncio.run(run())
    if as_json:
        payload = {
            "text": answer.text,
            "lang": answer.lang,
            "refused": answer.refused,
            "notes": [message(n.key, answer.lang, **n.values) for n in answer.notes],
            "citations": [c.model_dump(mode="json") for c in answer.citations],
            "trace": answer.trace.model_dump(mode="json"),
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
        return
    print_answer(console, answer)
    if debug:
        print_trace(console, answer.trace)


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in English or Chinese."),
    debug: bool = typer.Option(False, "--debug", help="Show the trace: candidates, timings, diagnostics."),
    as_json: bool = typer.Option(False, "--json", help="Print the Answer as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Answer one question."""
    configure_logging(verbose)
    _ask_once(question, debug, as_json)


@app.command()
def chat(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """An interactive session; /debug shows the trace of the last answer, /quit leaves."""
    from bot.bootstrap import build_services
    from bot.domain import Asker
    from bot.render.terminal import print_answer, print_trace

    configure_logging(verbose)
    settings = _settings()
    # one conversation per session: follow-ups ("and why?") read against this session's questions only
    asker = Asker(platform="cli", user_id=os.environ.get("USER", "local"), conversation=f"cli:{uuid.uuid4().hex[:12]}")

    async def loop() -> None:
        services = build_services(settings)
        await services.start()
        last = None
        console.print("[bold]Atlas Bot[/bold] — ask about the AI Model Atlas. /debug shows the last trace, /quit leaves.")
        try:
            while True:
                try:
                    line = await asyncio.to_thread(console.input, "[cyan]›[/cyan] ")
                except (EOFError, KeyboardInterrupt):
                    break
                line = line.strip()
                if line in ("/quit", "/exit"):
                    break
                if line == "/debug":
                    if last is None:
                        console.print("No answer yet.")
                    else:
                        print_trace(console, last.trace)
                    continue
                if not line:
                    continue
                last = await services.asking.ask(line, asker)
                print_answer(console, last)
        finally:
            await services.close()

    asyncio.run(loop())


@app.command("eval")
def eval_command(
    set_path: Path = typer.Option(Path("../shared/eval/dev.jsonl"), "--set", help="Golden questions (JSONL)."),
    out: Path = typer.Option(Path("var/eval/run.json"), "--out", help="Where to write the run JSON."),
    compare: Optional[Path] = typer.Option(None, "--compare", help="A baseline run JSON to compare against."),
    tolerance: float = typer.Option(0.02, "--tolerance", help="Largest allowed drop of a metric."),
    without_answers: bool = typer.Option(False, "--without-answers",
                                         help="Blank the answer texts in the run JSON (for a baseline kept in git)."),
    llm: bool = typer.Option(False, "--llm", help="Judge the configured LLM against the extractive answers."),
    limit: int = typer.Option(30, "--limit", help="With --llm: how many answerable questions (stratified)."),
    ids: Optional[str] = typer.Option(None, "--ids", help="With --llm: only these question ids of the subset "
                                      "(comma-separated), e.g. to rerun the ones a change concerns."),
    langs: Optional[str] = typer.Option(None, "--langs", help="With --llm: only these languages of the subset "
                                        "(comma-separated: en, zh, mixed)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run a golden set through the real ask path; report metrics; gate on regressions."""
    from bot.bootstrap import build_services
    from bot.eval.harness import evaluate

    configure_logging(verbose)
    if not set_path.exists():
        raise _fail(f"golden set not found: {set_path}", 2)
    settings = _settings()
    if llm:
        raise typer.Exit(_eval_llm(settings, set_path, out, limit, _csv(ids), _csv(langs)))

    async def run() -> int:
        services = build_services(settings)
        await services.start()
        try:
            return await evaluate(services, set_path, out, compare, tolerance)
        finally:
            await services.close()

    code = asyncio.run(run())
    if without_answers and out.exists():
        data = json.loads(out.read_text())
        for record in data["records"]:
            record["answer"] = ""
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1))
    raise typer.Exit(code)


@app.command("map")
def map_command(
    series: Optional[str] = typer.Option(None, "--series", help="Only this series: curriculum, deep_dives, threat_model."),
    lang: str = typer.Option("en", "--lang", help="en or zh."),
    as_json: bool = typer.Option(False, "--json", help="Print the map as JSON."),
) -> None:
    """The Atlas's map as the live index holds it: series, phases, modules or chapters, tracks."""
    from bot.index.reader import IndexMissing, IndexReader
    from bot.render.terminal import print_atlas_map

    if lang not in ("en", "zh"):
        raise _fail(f"--lang must be en or zh, not {lang!r}", 2)
    try:
        atlas_map = IndexReader(_settings().data_dir).atlas_map()
    except IndexMissing as exc:
        raise _fail(str(exc))
    known = [s.id for s in atlas_map.series]
    if series is not None and series not in known:
        raise _fail(f"no series {series!r} in the map; it has: {', '.join(known) or 'none'}", 2)
    if as_json:
        sys.stdout.write(atlas_map.model_dump_json(indent=1) + "\n")
        return
    print_atlas_map(console, atlas_map, lang, series)


def _csv(value: Optional[str]) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _llm_subset(set_path: Path, limit: int, ids: list[str], langs: list[str]) -> list[dict]:
    """The stratified ``limit``-question subset, cut to ``ids`` / ``langs`` when given (exit 2 on one not in it)."""
    from bot.eval.harness import EvalInputError, load_questions
    from bot.eval.llm_eval import pick_subset

    try:
        questions = pick_subset(load_questions(set_path), limit)
    except EvalInputError as exc:
        raise _fail(f"eval: {exc}", 2) from None
    unknown = sorted(set(ids) - {q["id"] for q in questions}) + sorted(set(langs) - {"en", "zh", "mixed"})
    if unknown:
        raise _fail(f"eval --llm: not in the {limit}-question subset: {', '.join(unknown)}", 2)
    return [q for q in questions if (not ids or q["id"] in ids) and (not langs or q["lang"] in langs)]


def _eval_llm(settings, set_path: Path, out: Path, limit: int, ids: list[str], langs: list[str]) -> int:
    """``eval --llm``: the subset (``ids`` / ``langs`` of it, when given) through the LLM path and the
    extractive path; per-language table."""
    from rich.table import Table

    from bot.bootstrap import build_services
    from bot.corpus.embedders import load_embedder
    from bot.eval.llm_eval import run_llm_eval

    if not settings.llm_base_url:
        raise _fail("eval --llm needs an LLM: set ATLAS_LLM_BASE_URL and ATLAS_LLM_MODEL", 2)
    questions = _llm_subset(set_path, limit, ids, langs)
    console = Console()
    partial = out.with_suffix(".partial.jsonl")  # one record per line as it comes: a long run can be read early
    out.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("", encoding="utf-8")

    def progress(i: int, n: int, record: dict) -> None:
        with partial.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        console.print(f"{i}/{n} {record['id']} [{record['lang']}] {record['mode']}"
                      f"{' (' + record['fallback'] + ')' if record['fallback'] else ''}"
                      f"{' retried ' + record['retried'] if record['retried'] else ''} facts "
                      f"{record['facts_llm']}/{record['facts_extractive']}/{record['facts_total']} "
                      f"{record['latency_ms'] / 1000:.1f} s")

    async def run() -> dict:
        embedder = load_embedder(settings.embed_model)
        local = settings.model_copy(update={"redis_url": None})
        with_llm = build_services(local, embedder=embedder)
        without = build_services(local.model_copy(update={"llm_base_url": None}), embedder=embedder)
        await with_llm.start()
        await without.start()
        try:
            return await run_llm_eval(with_llm.asking, without.asking, questions, progress=progress)
        finally:
            await with_llm.close()
            await without.close()

    result = asyncio.run(run())
    result["meta"] = {"llm_model": settings.llm_model, "prompt_version": settings.prompt_version,
                      "questions": len(questions), "set": str(set_path)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    table = Table(title=f"LLM eval: {settings.llm_model} ({len(questions)} questions)")
    table.add_column("metric")
    groups = ("en", "zh", "mixed", "overall")
    for group in groups:
        table.add_column(group, justify="right")
    for key in result["summary"]["overall"]:
        table.add_row(key, *(str(result["summary"][g].get(key, "–")) for g in groups))
    console.print(table)
    console.print(f"run: {out}")
    return 0


@app.command()
def gaps(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Questions the Atlas did not answer (or that got 👎), grouped: what to write next."""
    from bot.bootstrap import build_services
    from bot.store import StoreUnavailable

    configure_logging(verbose)
    settings = _settings()

    async def run() -> str:
        services = build_services(settings)
        await services.start()
        try:
            return await services.admin.gaps_report()
        finally:
            await services.close()

    try:
        report = asyncio.run(run())
    except StoreUnavailable as exc:
        raise _fail(f"Redis is unavailable ({exc}); the coverage gaps live there. Try again once it is back.")
    sys.stdout.write(report + "\n")  # plain Markdown, unwrapped: fit for a file or an issue


@app.command()
def health(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """One line per part (index, Redis, Chroma, LLM); exits 1 when the bot cannot answer."""
    from bot.bootstrap import build_health

    configure_logging(verbose)
    service = build_health(_settings())

    async def run():
        try:
            return await service.check()
        finally:
            await service.close()

    parts = asyncio.run(run())
    for part in parts:
        typer.echo(f"{part.name:<7}{part.verdict:<9}{part.detail}")
    raise typer.Exit(0 if all(p.ok for p in parts if p.required) else 1)


@app.command()
def discord(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Run the Discord bot (token from ATLAS_DISCORD_TOKEN)."""
    from bot.adapters.discord import run
    from bot.bootstrap import build_services

    configure_logging(verbose)
    settings = _settings()
    raise typer.Exit(run(settings, build_services(settings)))


@app.command()
def telegram(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Run the Telegram bot (token from ATLAS_TELEGRAM_TOKEN); webhook when ATLAS_TELEGRAM_WEBHOOK_URL is set."""
    from bot.adapters.telegram import run
    from bot.bootstrap import build_services

    configure_logging(verbose)
    settings = _settings()
    raise typer.Exit(run(settings, build_services(settings)))


# --- the study companion: the chat commands, for trying them; progress export / import -----------------
study_app = typer.Typer(no_args_is_help=True, help="The study companion's commands, as a chat member would use them.")
progress_app = typer.Typer(no_args_is_help=True, help="Back up or move the companion's member data (JSON).")
app.add_typer(study_app, name="study")
app.add_typer(progress_app, name="progress")


def _with_companion(work):
    """Run ``work(services)`` against the configured index and store; a Redis outage is one clear line."""
    from bot.bootstrap import build_services
    from bot.store import StoreUnavailable

    settings = _settings()

    async def run():
        services = build_services(settings)
        await services.start()
        try:
            return await work(services)
        finally:
            await services.close()

    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        raise _fail(f"Redis is unavailable ({exc}): member data lives there, nothing was changed.")


def _member():
    from bot.companion.records import Member

    return Member(platform="cli", user_id=os.environ.get("USER", "local"), space_id="local",
                  name=os.environ.get("USER", "local"))


def _show(reply) -> None:
    from rich.markdown import Markdown

    if reply.text:
        console.print(Markdown(reply.text.replace("\n", "  \n")))  # the chat's line breaks kept


@study_app.command("quiz")
def study_quiz(topic: str = typer.Argument("", help="A topic (\"RAG\") or a module number."),
               lang: str = typer.Option("en", "--lang", help="en or zh")) -> None:
    """One question from the Atlas; answer with its letter."""
    from rich.markdown import Markdown

    async def work(services):
        reply = await services.companion.quiz(_member(), lang, topic)
        if reply.quiz is None:
            return reply
        q = reply.quiz.question
        await services.companion.open_quiz("cli", reply.quiz.quiz_id, q, "terminal")
        console.print(q.prompt)
        for i, option in enumerate(q.options):
            console.print(f"  {chr(65 + i)}. {option}")
        letter = (await asyncio.to_thread(console.input, "answer › ")).strip().upper()[:1] or "?"
        chosen = ord(letter) - 65 if "A" <= letter <= chr(64 + len(q.options)) else -1
        return await services.companion.answer("cli", reply.quiz.quiz_id, _member(), chosen)

    result = _with_companion(work)
    console.print(Markdown(result.text))


@study_app.command("review")
def study_review(lang: str = typer.Option("en", "--lang")) -> None:
    """The most overdue card; rate yourself 1-4 (again, hard, good, easy)."""

    async def work(services):
        companion = services.companion
        reply = await companion.review(_member(), lang)
        _show(reply)
        if not reply.actions:
            return None
        action = reply.actions[0]
        if action.kind == "pick":
            letter = (await asyncio.to_thread(console.input, "answer › ")).strip().upper()[:1] or "?"
            key = action.arg.rsplit(":", 1)[0]
            return await companion.review_pick(_member(), key, ord(letter) - 65)
        await asyncio.to_thread(console.input, "(press Enter for the answer) ")
        _show(await companion.show(_member(), action.arg, lang))
        rating = (await asyncio.to_thread(console.input, "1 again · 2 hard · 3 good · 4 easy › ")).strip()
        return await companion.rate(_member(), action.arg, rating, lang)

    result = _with_companion(work)
    if result is not None:
        _show(result)


def _study_command(name: str, call, doc: str):
    def command(arg: str = typer.Argument("", help="Topic, track, module number or weeks, as the command takes."),
                lang: str = typer.Option("en", "--lang")) -> None:
        _show(_with_companion(lambda services: call(services.companion, _member(), lang, arg)))

    command.__doc__ = doc
    study_app.command(name)(command)


for _name, _call, _doc in (
    ("flashcards", lambda c, m, lang, arg: c.flashcards(m, lang, arg), "Flashcards on a topic, added to your deck."),
    ("path", lambda c, m, lang, arg: c.path(lang, arg, m), "A track's modules (default: the curriculum)."),
    ("next", lambda c, m, lang, arg: c.next_module(m, lang), "Your next module."),
    ("module", lambda c, m, lang, arg: c.module(lang, int(arg or 0)), "A module's outline."),
    ("done", lambda c, m, lang, arg: c.mark_done(m, lang, int(arg or 0)), "Mark a module done."),
    ("plan", lambda c, m, lang, arg: c.plan(m, lang, int(arg or 2)), "A plan over N weeks (default 2)."),
    ("track", lambda c, m, lang, arg: c.set_track(m, lang, arg), "Follow a reading track."),
    ("progress", lambda c, m, lang, arg: c.progress(m, lang), "Modules done, accuracy, cards due, streak."),
    ("leaderboard", lambda c, m, lang, arg: c.leaderboard(m, lang, arg != "all"), "This week's board ('all': all time)."),
    ("tz", lambda c, m, lang, arg: c.set_timezone(m, lang, arg), "Your timezone (e.g. Asia/Shanghai)."),
    ("forget", lambda c, m, lang, arg: c.forget(m, lang), "Delete all your study data."),
):
    _study_command(_name, _call, _doc)


@progress_app.command("export")
def progress_export(out: Optional[Path] = typer.Option(None, "--out", help="A file (default: standard output).")) -> None:
    """Every member's progress, cards, scores and every group's schedule, as one JSON document."""
    data = _with_companion(lambda services: services.companion.export())
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    if out:
        out.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")


@progress_app.command("import")
def progress_import(source: Path = typer.Argument(..., help="A file written by `atlas-bot progress export`.")) -> None:
    """Replace all member data by an export, in one transaction (nothing changes if it fails)."""
    try:
        data = json.loads(source.read_text())
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read {source}: {exc}", 2)
    if not isinstance(data, dict):
        raise _fail(f"{source} is not an export (a JSON object of maps)", 2)
    try:
        count = _with_companion(lambda services: services.companion.restore(data))
    except ValueError as exc:
        raise _fail(str(exc), 2)
    typer.echo(f"imported {count} maps")


if __name__ == "__main__":
    app()
