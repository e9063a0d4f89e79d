"""``python -m ftlab.dataquality``: 500 clean postings against 5,000 noisy ones, measured (page 02).

Every arm trains the recipe page 03's sweep chose on the validation split
(:func:`ftlab.sweep.chosen_recipe`) on another training set
(:mod:`ftlab.noisy`): 500 clean postings, 5,000 noisy ones with no wrong
labels and at two rates of them, and each of the last two after
``validate --fix``.  The budget is the
recipe's number of steps for every arm (the same compute), and for the clean
set also one epoch.  The clean arm and the 10% noisy arm are trained with
three seeds (the seed also picks the 500 postings and their order).  Each run
is scored on the test split and on the hand-written postings, and every
answer is kept, so the page computes its paired tests from this file.

It writes ``docs/results/02-data-quality.json``.  Runs come from the cache
when they are there.
"""

from __future__ import annotations

import dataclasses
import math
import sys

from ftlab import jobs, metrics
from ftlab.evaluate import evaluate
from ftlab.predict import score_from_answers
from ftlab.provenance import load_results, save_results
from ftlab.sweep import chosen_recipe
from ftlab.train import TrainConfig, losses, run_log, train_adapter, training_records

RESULTS = "02-data-quality"
COMMAND = "python -m ftlab.dataquality"
CLEAN = "clean 500"
ARMS = {  # name: what changes in the recipe
    CLEAN: {"train_examples": 500},
    "noisy 5,000, no wrong": {"data": "noisy-0"},
    "noisy 5,000, 10% wrong": {"data": "noisy-10"},
    "noisy 10%, after --fix": {"data": "noisy-10-fixed"},
    "noisy 5,000, 30% wrong": {"data": "noisy-30"},
    "noisy 30%, after --fix": {"data": "noisy-30-fixed"},
}
SAME_STEPS, ONE_EPOCH = "same steps", "one epoch"
SEEDS = (0, 1, 2)
# (arm, budget, seed), in the order they run: every arm once, then the seeds.
RUNS = (
    [(arm, SAME_STEPS, 0) for arm in ARMS]
    + [(CLEAN, ONE_EPOCH, 0)]
    + [(arm, SAME_STEPS, seed) for seed in SEEDS[1:] for arm in (CLEAN, "noisy 5,000, 10% wrong")]
)
SPLITS = ("test", "handwritten")


def arm_config(arm: str, budget: str = SAME_STEPS, seed: int = 0) -> TrainConfig:
    """The chosen recipe on an arm's data, for a budget: the recipe's steps, or one pass over the data."""
    config = dataclasses.replace(chosen_recipe(), seed=seed, **ARMS[arm])
    if budget == ONE_EPOCH:
        config = dataclasses.replace(config, steps=math.ceil(len(training_records(config)) / config.batch_size))
    elif budget != SAME_STEPS:
        raise ValueError(f"unknown budget {budget!r}; expected {SAME_STEPS!r} or {ONE_EPOCH!r}")
    return config


def run_row(arm: str, budget: str, seed: int) -> dict:
    config = arm_config(arm, budget, seed)
    run = train_adapter(config)
    log = run_log(run)
    examples = len(training_records(config))
    row = {
        "arm": arm, "budget": budget, "seed": seed, "data": config.data, "examples": examples,
        "steps": config.steps, "epochs": round(config.steps * config.batch_size / examples, 2),
        "train_seconds": round(log["train_seconds"], 1), "losses": [round(x, 5) for x in losses(run)],
        "run_key": config.key(),
    }
    for split in SPLITS:
        score = evaluate(run, split)
        row[split] = {"correct": score.correct, "total": score.total, "answers": score.answers}
    return row


def measure() -> dict:
    rows = []
    for arm, budget, seed in RUNS:
        rows.append(run_row(arm, budget, seed))
        print({k: v for k, v in rows[-1].items() if k not in ("losses", *SPLITS)},
              {split: rows[-1][split]["correct"] for split in SPLITS}, flush=True)
    return {"recipe": {k: getattr(chosen_recipe(), k) for k in ("learning_rate", "steps", "logits", "attention")},
            "rows": rows}


def committed() -> dict:
    return load_results(RESULTS)


def correctness(row: dict, split: str) -> list[bool]:
    """Which postings of ``split`` a committed run got right, from its kept answers."""
    records = jobs.load_split(split)
    score = score_from_answers(row[split]["answers"], records, task="role")
    return metrics.correctness([r["role"] for r in records], score.predictions)


def main(argv: list[str] | None = None) -> int:
    path = save_results(RESULTS, measure(), seed=0, command=COMMAND)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
