"""The eval run as a Markdown report with a PNG chart beside it, and as a console table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from rich.table import Table  # noqa: E402

from bot.eval.metrics import code_signal, GROUPS  # noqa: E402

ROWS = ("n", "answerable", "unanswerable", "hit@1", "hit@3", "hit@5", "mrr@10", "twin@5", "refusal_recall",
        "false_refusal", "key_fact_recall", "citation_valid", "cited_gold_share", "shape_problems", "verdict_auc",
        "verdict_flags_useless", "verdict_flags_good", "latency_p50_ms", "latency_p95_ms")
CHART_METRICS = ("hit@1", "hit@5", "mrr@10")


def report_path(run_path: Path) -> Path:
    """RUN.json → RUN.md (RUN.report.md when the run itself ends in .md)."""
    run_path = Path(run_path)
    return run_path.with_name(run_path.stem + ".report.md") if run_path.suffix == ".md" else run_path.with_suffix(".md")


def _fmt(value, row: str = "") -> str:
    if value is None:
        return "–"
    if row.endswith("_ms"):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) <= 1 else f"{value:.1f}"
    return str(value)


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def summary_table(summary: dict) -> Table:
    table = Table(title="Atlas eval")
    table.add_column("metric")
    for group in GROUPS:
        table.add_column(group, justify="right")
    for row in ROWS:
        table.add_row(row, *(_fmt(summary.get(g, {}).get(row), row) for g in GROUPS))
    return table


def _as_dict(run) -> dict:
    return run.to_dict() if hasattr(run, "to_dict") else run


def _summary_md(summary: dict) -> list[str]:
    lines = ["| metric | " + " | ".join(GROUPS) + " |", "|---|" + "---:|" * len(GROUPS)]
    lines += [f"| {row} | " + " | ".join(_fmt(summary.get(g, {}).get(row), row) for g in GROUPS) + " |" for row in ROWS]
    return lines


def _shapes_md(summary: dict) -> list[str]:
    codes = sorted({code for g in GROUPS for code in summary.get(g, {}).get("shapes", {})})
    if not codes:
        return ["No answer shows raw markup, a dangling lead-in, boilerplate, a relative link or damaged text."]
    lines = ["| problem | " + " | ".join(GROUPS) + " |", "|---|" + "---:|" * len(GROUPS)]
    lines += [f"| {code} | " + " | ".join(str(summary.get(g, {}).get("shapes", {}).get(code, 0)) for g in GROUPS)
              + " |" for code in codes]
    return lines


def _signal_md(records: list[dict]) -> list[str]:
    """Fire rates of each warn/fail code on answers holding none of their key facts vs two thirds or more
    (and on answers the bot gave to questions it should have declined)."""
    rates = code_signal(records)
    if not rates:
        return ["No labelled answers (the set has no key facts)."]
    pct = lambda v: "–" if v is None else f"{v:.0%}"  # noqa: E731
    lines = ["| code | on useless answers | on good answers | on answers to questions the Atlas does not cover |",
             "|---|---:|---:|---:|"]
    lines += [f"| {code} | {pct(u)} | {pct(g)} | {pct(n)} |"
              for code, (u, g, n) in sorted(rates.items(), key=lambda kv: (-(kv[1][0] or 0), kv[0]))]
    return lines


def _diagnostics_md(summary: dict) -> list[str]:
    codes = sorted({code for g in GROUPS for code in summary.get(g, {}).get("diagnostics", {})})
    if not codes:
        return ["No diagnostics were raised."]
    lines = ["| code | " + " | ".join(GROUPS) + " |", "|---|" + "---:|" * len(GROUPS)]
    lines += [f"| {code} | " + " | ".join(str(summary.get(g, {}).get("diagnostics", {}).get(code, 0)) for g in GROUPS)
              + " |" for code in codes]
    return lines


def _miss_line(r: dict) -> str:
    rank = r.get("gold_rank")
    top = ", ".join(f"`{d}`" for d in r.get("docs", [])[:3]) or "none"
    gold = ", ".join(f"`{d}`" for d in r.get("gold", [])) or "–"
    return (f"- **{r['id']}** ({r['lang']}) {_cell(r.get('question', ''))} — gold {gold} at rank "
            f"{rank if rank else '–'}; top docs: {top}")


def _misses_md(records: list[dict]) -> list[str]:
    missed = [r for r in records if r.get("answerable", True) and not (r.get("gold_rank") and r["gold_rank"] <= 5)]
    declined = [r for r in records if r.get("answerable", True) and r["refused"]]
    made_up = [r for r in records if not r.get("answerable", True) and not r["refused"]]
    lines = [f"### Gold doc not in the top 5 ({len(missed)})", ""] + ([_miss_line(r) for r in missed] or ["none"])
    lines += ["", f"### Declined an answerable question ({len(declined)})", ""]
    lines += [_miss_line(r) for r in declined] or ["none"]
    lines += ["", f"### Answered a question the Atlas does not cover ({len(made_up)})", ""]
    lines += [_miss_line(r) for r in made_up] or ["none"]
    return lines


def _comparison_md(cmp) -> list[str]:
    changed = {k: d for k, d in cmp.deltas.items() if d["delta"]}
    lines = ["## Compared with the baseline", ""]
    if changed:
        lines += ["| metric | baseline | current | Δ |", "|---|---:|---:|---:|"]
        lines += [f"| {k} | {_fmt(d['baseline'], k)} | {_fmt(d['current'], k)} | {d['delta']:+.3f} |"
                  for k, d in sorted(changed.items())]
    else:
        lines.append("No metric changed.")
    sections = (("Newly failing (hit@5 lost)", cmp.newly_failing), ("Newly passing", cmp.newly_passing),
                ("Newly refused", cmp.newly_refused), ("No longer refused", cmp.no_longer_refused),
                ("Rank of the first gold doc changed", cmp.rank_changes))
    for title, rows in sections:
        lines += ["", f"### {title} ({len(rows)})", ""]
        lines += [f"- **{r['id']}** {_cell(r['question'])} — rank {r['baseline_rank'] or '–'} → "
                  f"{r['current_rank'] or '–'}" for r in rows] or ["none"]
    return lines


def write_chart(summary: dict, out_png: Path) -> Path:
    """Grouped bars of hit@1, hit@5 and mrr@10 per language."""
    fig = Figure(figsize=(7, 3.6), dpi=110)
    ax = fig.subplots()
    width = 0.26
    for i, metric in enumerate(CHART_METRICS):
        values = [summary.get(g, {}).get(metric) or 0.0 for g in GROUPS]
        bars = ax.bar([x + (i - 1) * width for x in range(len(GROUPS))], values, width, label=metric)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(len(GROUPS)), [f"{g} (n={summary.get(g, {}).get('answerable', 0)})" for g in GROUPS])
    ax.set_ylim(0, 1.22)
    ax.set_ylabel("score")
    ax.set_title("Retrieval per language")
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, format="png")
    return out_png


def write_report(run, out_md: Path, compare=None) -> Path:
    """Write the Markdown report and its PNG chart (same name, .png) and return the report's path."""
    data, out_md = _as_dict(run), Path(out_md)
    meta, summary = data.get("meta", {}), data["summary"]
    out_md.parent.mkdir(parents=True, exist_ok=True)
    chart = write_chart(summary, out_md.with_suffix(".png"))
    created = meta.get("created_at")
    when = dt.datetime.fromtimestamp(created, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if created else "–"
    lines = [
        "# Atlas eval report", "",
        f"index `{meta.get('index_id') or '–'}` · embedder `{meta.get('embed_model') or '–'}` · prompt "
        f"`{meta.get('prompt_version') or '–'}` · llm `{meta.get('llm_model') or 'none'}` · {when}", "",
        "## Summary", "", *_summary_md(summary), "", f"![scores per language]({chart.name})", "",
        "## Answer shape (what a reader would stumble on)", "", *_shapes_md(summary), "",
        "## Diagnostics", "", *_diagnostics_md(summary), "",
        "## Which diagnostics tell a useless answer from a good one", "", *_signal_md(data["records"]), "",
        "## Misses", "", *_misses_md(data["records"]),
    ]
    if compare is not None:
        lines += ["", *_comparison_md(compare)]
    out_md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out_md
