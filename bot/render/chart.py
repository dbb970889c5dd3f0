"""Small PNGs for a phone: the candidates' scores per channel (/debug), a member's quiz accuracy per phase
(/progress)."""

from __future__ import annotations

import io
import threading

from bot.companion.replies import ProgressStats
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


def progress_chart_png(stats: ProgressStats) -> bytes | None:
    """Bars of quiz accuracy per phase (answers counted on each bar); None before any answer.
    Blocking (matplotlib): call it in a worker thread."""
    if not stats.phases:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with _PYPLOT:
        fig, ax = plt.subplots(figsize=(6, 0.45 * len(stats.phases) + 1.4), dpi=110)
        ys = list(range(len(stats.phases)))[::-1]
        shares = [100 * s.correct / s.answered if s.answered else 0 for s in stats.phases]
        ax.barh(ys, shares, height=0.6, color="#3b82f6")
        for y, s, share in zip(ys, stats.phases, shares):
            ax.text(min(share + 1, 88), y, f"{s.correct}/{s.answered}", va="center", fontsize=8)
        ax.set_yticks(ys, [s.phase for s in stats.phases], fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("quiz accuracy, %", fontsize=8)
        title = f"modules {stats.modules_done}/{stats.modules_total} · cards due {stats.cards_due} · streak {stats.streak} d"
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return buf.getvalue()
