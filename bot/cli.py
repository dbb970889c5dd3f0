"""``atlas-bot``: ingest, ask, chat, map, eval, gaps, health, discord, telegram."""

from __future__ import annotations

import asyncio
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


app.command("ingest")(ingest)


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
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run a golden set through the real ask path; report metrics; gate on regressions."""
    from bot.bootstrap import build_services
    from bot.eval.harness import evaluate

    configure_logging(verbose)
    if not set_path.exists():
        raise _fail(f"golden set not found: {set_path}", 2)
    settings = _settings()

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


if __name__ == "__main__":
    app()
