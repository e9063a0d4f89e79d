"""``python -m ftlab.sweep``: choose page 03's learning rate and length on the validation split.

Each candidate is a whole run of the recipe with the cheap step (answer-only
logits, eager attention, fp32: the same numbers on every CPU), trained
for its own number of steps, so its learning rate decays to zero at its end
as the real recipe's does.  Each is scored on the **validation** split only:
the test split and the hand-written postings are for reporting a choice,
never for making it: once the choice is made, the chosen run alone is
scored on them, to report it.  The choice is the most accurate candidate;
between candidates within one validation posting of it, the shortest.
Runs come from the cache when they are there, so a second run of this
command re-reads them.

It writes ``docs/results/03-sweep.json``; page 03 prints it.
"""

from __future__ import annotations

import dataclasses
import sys

from ftlab.evaluate import evaluate
from ftlab.metrics import wilson_interval
from ftlab.provenance import load_results, save_results
from ftlab.train import NAMED_RUNS, TrainConfig, run_log, train_adapter

RESULTS = "03-sweep"
COMMAND = "python -m ftlab.sweep"
CHEAP_STEP = {"logits": "answer", "attention": "eager"}
LEARNING_RATES = (1e-3, 2e-3, 4e-3)
STEPS = (48, 96)  # 2 and 4 times the recipe's 24: 384 and 768 of the 960 training postings


def candidates(base: TrainConfig | None = None) -> list[TrainConfig]:
    """The recipe as it is, then each longer length at each learning rate."""
    base = dataclasses.replace(base or NAMED_RUNS["job-roles"], **CHEAP_STEP)
    longer = [dataclasses.replace(base, learning_rate=rate, steps=steps) for steps in STEPS for rate in LEARNING_RATES]
    return [base] + longer


def choose(rows: list[dict]) -> dict:
    """The most accurate row; among rows within one posting of it, the shortest (then the faster)."""
    best = max(row["validation_correct"] for row in rows)
    close = [row for row in rows if row["validation_correct"] >= best - 1]
    # Steps first: seconds of equally long runs differ by the machine's noise.
    return min(close, key=lambda row: (row["steps"], row["train_seconds"]))


def measure() -> dict:
    configs, rows = candidates(), []
    for config in configs:
        run = train_adapter(config)
        log, score = run_log(run), evaluate(run, "validation")
        low, high = wilson_interval(score.correct, score.total)
        rows.append({
            "learning_rate": config.learning_rate, "steps": config.steps,
            "postings_seen": config.steps * config.batch_size,
            "validation_correct": score.correct, "validation_total": score.total,
            "validation_accuracy": score.accuracy, "interval": [round(low, 3), round(high, 3)],
            "train_seconds": round(log["train_seconds"], 1), "final_loss": round(log["final_loss"], 4),
            "run_key": config.key(),
        })
        print(rows[-1], flush=True)
    chosen = choose(rows)
    return {"step": CHEAP_STEP, "rows": rows, "chosen": {k: chosen[k] for k in ("learning_rate", "steps")},
            "chosen_reported": report(configs[rows.index(chosen)])}


def report(config: TrainConfig) -> dict:
    """The chosen run on the test split and the hand-written postings: scored after the choice, not for it."""
    run = train_adapter(config)
    scores = {split: evaluate(run, split) for split in ("test", "handwritten")}
    return {split: {"correct": s.correct, "total": s.total, "accuracy": s.accuracy} for split, s in scores.items()}


def committed() -> dict:
    return load_results(RESULTS)


def chosen_recipe() -> TrainConfig:
    """The candidate the committed sweep chose."""
    chosen = committed()["results"]["chosen"]
    return next(c for c in candidates() if (c.learning_rate, c.steps) == (chosen["learning_rate"], chosen["steps"]))


def main(argv: list[str] | None = None) -> int:
    path = save_results(RESULTS, measure(), seed=NAMED_RUNS["job-roles"].seed, command=COMMAND)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
