"""A small PNG of the candidates' scores per channel, for the /debug view on a phone."""

from __future__ import annotations

import io
import threading

from bot.domain import Trace

_PYPLOT = threading.Lock()  # pyplot keeps global state: one chart at a time, whichever adapter asks


def score_chart_png(trace: Trace, max_rows: int = 8) -> bytes | None:
    """Horizontal bars of dense, lexical (scaled to the best) and fused scores; None if < 2 rows.
    Blocking (matplotlib): call it in a worker thread."""
    rows = sorted((c for c in trace.candidates if c.fused_rank), key=lambda c: c.fused_rank or 0)[:max_rows]
    if len(rows) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best_lex = max((c.lexical_score or 0.0) for c in rows) or 1.0
    best_fused = max(c.fused_score for c in rows) or 1.0
    labels = [f"#{c.fused_rank} {'✓' if c.used else ' '} {c.doc.rsplit('/', 1)[-1][:22]}" for c in rows][::-1]
    dense = [c.dense_score or 0.0 for c in rows][::-1]
    lexical = [(c.lexical_score or 0.0) / best_lex for c in rows][::-1]
    fused = [c.fused_score / best_fused for c in rows][::-1]
    with _PYPLOT:
        return _draw(plt, rows, labels, dense, lexical, fused)


def _draw(plt, rows, labels, dense, lexical, fused) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(rows) + 1.2), dpi=110)
    ys = range(len(rows))
    h = 0.27
    ax.barh([y + h for y in ys], dense, height=h, label="dense (cosine)")
    ax.barh(list(ys), lexical, height=h, label="lexical (÷ best)")
    ax.barh([y - h for y in ys], fused, height=h, label="fused (÷ best)")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.set_xlim(0, 1.05)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("retrieval scores", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
