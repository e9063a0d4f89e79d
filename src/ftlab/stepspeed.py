"""``python -m ftlab.stepspeed``: page 03's training step, TRL's way and made cheap, side by side.

One run trains page 03's recipe (24 steps of 8 postings, the same postings in
the same order) once per way of computing the step: TRL's own step, each
change alone, and the changes together.  For each it records every step's
seconds and real tokens, the loss at every step, and for three of them the
test accuracy of the adapter they trained: a speed-up that changed what is
learned would show there.  The fp32 and bf16 matmul peaks are measured in the
same run, for MFU.  bf16 variants run only on a CPU with bf16 arithmetic (AMX
or AVX-512 BF16); elsewhere the file says why they are missing.

It writes ``docs/results/03-step-speed.json``; page 03 prints it.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys

from ftlab import cpu
from ftlab.bench import FLOPS_PER_TOKEN_FACTOR, matmul_peak
from ftlab.evaluate import evaluate
from ftlab.provenance import load_results, save_results
from ftlab.train import NAMED_RUNS, TrainConfig, run_log, train_adapter

RESULTS = "03-step-speed"
COMMAND = "python -m ftlab.stepspeed"
# Each way of computing a step, as the TrainConfig fields it changes.
VARIANTS = {
    "TRL's step": {},
    "answer-only logits": {"logits": "answer"},
    "eager attention": {"attention": "eager"},
    "bf16 autocast": {"precision": "bf16"},
    "answer-only + eager, fp32": {"logits": "answer", "attention": "eager"},
    "all three": {"logits": "answer", "attention": "eager", "precision": "bf16"},
}
SCORED = ("TRL's step", "answer-only + eager, fp32", "all three")  # test accuracy: about a minute each
BF16_LEVEL = "AVX-512 BF16"  # the first of ftlab.cpu.LEVELS with bf16 dot products


def has_bf16_arithmetic(flags: set[str] | None = None, environ=None) -> bool:
    """Whether torch's kernels here multiply in bf16 natively: the CPU's level, lowered by any dispatch cap."""
    return cpu.LEVELS.index(cpu.dispatch_isa(flags, environ)) >= cpu.LEVELS.index(BF16_LEVEL)


def variant_config(changes: dict, base: TrainConfig | None = None) -> TrainConfig:
    return dataclasses.replace(base or NAMED_RUNS["job-roles"], **changes)


def step_figures(log: dict, peak_flops: float) -> dict:
    """Speed of one run from its per-step log, leaving out step 1 (it also builds the optimizer's state)."""
    timed = log["step_times"][1:]
    seconds = sum(step["seconds"] for step in timed)
    tokens = timed[-1]["tokens_seen"] - log["step_times"][0]["tokens_seen"]
    tokens_per_second = tokens / seconds
    flops_per_token = FLOPS_PER_TOKEN_FACTOR[log["config"]["method"]] * log["total_parameters"]
    return {
        "median_step_seconds": round(statistics.median(step["seconds"] for step in timed), 3),
        "tokens_per_second": round(tokens_per_second, 1),
        "ms_per_token": round(1000 / tokens_per_second, 3),
        "mfu": round(tokens_per_second * flops_per_token / peak_flops, 4),
        "train_seconds": round(log["train_seconds"], 1),
        "losses": [round(entry["loss"], 5) for entry in log["loss_history"]],
        "load_average": [log["load_average_before"], log["load_average_after"]],
        "run_key": log["key"],
    }


def measure() -> dict:
    bf16 = has_bf16_arithmetic()
    peaks = {"fp32": matmul_peak()} | ({"bf16": matmul_peak(dtype="bfloat16")} if bf16 else {})
    print("matmul peaks, GFLOP/s:", {k: round(v / 1e9) for k, v in peaks.items()}, flush=True)
    rows, skipped = {}, {}
    for name, changes in VARIANTS.items():
        config = variant_config(changes)
        if config.precision == "bf16" and not bf16:
            skipped[name] = (f"kernels here dispatch to {cpu.dispatch_isa()}, below {BF16_LEVEL}: "
                             f"bf16 would be emulated, slower than fp32")
            continue
        run = train_adapter(config, fresh=True)
        rows[name] = {"changes": changes} | step_figures(run_log(run), peaks[config.precision])
        if name in SCORED:
            rows[name]["test_accuracy"] = evaluate(run, "test").accuracy
        print(name, {k: v for k, v in rows[name].items() if k != "losses"}, flush=True)
    baseline = rows["TRL's step"]["tokens_per_second"]
    for row in rows.values():
        row["speedup"] = round(row["tokens_per_second"] / baseline, 2)
    return {
        "matmul_peak_gflops": {k: round(v / 1e9, 1) for k, v in peaks.items()},
        "variants": rows,
        "skipped": skipped,
    }


def committed() -> dict:
    return load_results(RESULTS)


def main(argv: list[str] | None = None) -> int:
    results = measure()
    path = save_results(RESULTS, results, seed=NAMED_RUNS["job-roles"].seed, command=COMMAND)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
