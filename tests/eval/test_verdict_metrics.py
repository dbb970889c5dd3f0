"""The eval harness's report on the verdict: labels from key facts, ROC AUC, flag rates, and how often
each diagnostic fires on useless vs good answers (and on answers to questions the Atlas does not cover)."""

from __future__ import annotations

from bot.eval.metrics import code_signal, fact_label, verdict_metrics


def record(found: int, total: int, usefulness: float | None, *codes: str, answerable: bool = True,
           refused: bool = False) -> dict:
    diagnostics = [{"code": c, "severity": "warn"} for c in codes]
    if usefulness is not None and "ANSWER_VERDICT" not in codes:
        diagnostics.append({"code": "ANSWER_VERDICT", "severity": "info"})
    return {"facts_found": found, "facts_total": total, "usefulness": usefulness, "diagnostics": diagnostics,
            "answerable": answerable, "refused": refused}


RECORDS = [
    record(0, 3, 0.2, "ANSWER_VERDICT", "ANSWER_FRAGMENT"),  # useless, flagged
    record(0, 2, 0.6),  # useless, missed
    record(2, 3, 0.7),  # good
    record(3, 3, 0.4, "ANSWER_VERDICT"),  # good, flagged
    record(1, 3, 0.1, "ANSWER_VERDICT"),  # partial: no label
    record(0, 3, None, refused=True),  # a decline is not judged
    record(0, 0, 0.3, "ANSWER_VERDICT", "FP1_MISSING_CONTENT", answerable=False),  # made up: not covered
]


def test_labels_come_from_the_key_facts_the_answer_holds():
    assert [fact_label(r) for r in RECORDS] == ["useless", "useless", "good", "good", None, None, None]


def test_auc_and_flag_rates_count_only_labelled_answers():
    # pairs (useless, good): 0.2<0.7, 0.2<0.4, 0.6<0.7 are right, 0.6>0.4 is wrong: 3 of 4
    assert verdict_metrics(RECORDS) == {"verdict_auc": 0.75, "verdict_flags_useless": 0.5, "verdict_flags_good": 0.5}


def test_each_code_fires_at_its_own_rate_on_useless_good_and_made_up_answers():
    rates = code_signal(RECORDS)
    assert rates["ANSWER_FRAGMENT"] == (0.5, 0.0, 0.0)
    assert rates["ANSWER_VERDICT"] == (0.5, 0.5, 1.0)
    assert rates["FP1_MISSING_CONTENT"] == (0.0, 0.0, 1.0)  # silent on answers, fires where the docs say nothing
