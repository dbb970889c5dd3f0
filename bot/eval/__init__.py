"""The evaluation harness: golden questions → run JSON, Markdown report, chart, regression gate."""

from bot.eval.compare import Comparison, compare_runs, regressions
from bot.eval.harness import EvalInputError, EvalRun, evaluate, load_questions, load_run, run_eval
from bot.eval.metrics import compute_metrics
from bot.eval.report import write_report

__all__ = ["Comparison", "EvalInputError", "EvalRun", "compare_runs", "compute_metrics", "evaluate",
           "load_questions", "load_run", "regressions", "run_eval", "write_report"]
