"""``python -m ftlab.bench``: how fast is fine-tuning on this machine?  (page 03)

One run, on one machine, measures:

* this CPU's fp32 matrix-multiply peak (FLOP/s), the ceiling for everything else;
* LoRA and full fine-tuning of page 03's recipe, trained afresh: seconds per
  step, tokens per second (real tokens, padding not counted), peak resident
  memory, and model-FLOPs utilisation (MFU) against that peak;
* their test accuracy and perplexity on general prose (forgetting), so the
  page can show full fine-tuning without training it in every test run;
* optionally (``--time-to 0.95``) how long LoRA training takes to reach a test
  accuracy, evaluating every few steps.

It writes ``docs/results/03-lora.json`` with the machine, versions, seed and
date.  It is a benchmark, not a test: timings on a shared machine vary, so the
page prints the committed figures and the test run checks only ratios.

FLOPs per token: a forward pass costs about 2 FLOPs per parameter per token
(one multiply, one add).  The backward pass costs about 2N more to carry the
gradient back through the frozen weights, and another 2N for the weight
gradients, which only full fine-tuning needs.  So LoRA ~ 4N, full ~ 6N
(attention's own matmuls and LoRA's tiny matrices are left out: a few %).
"""

from __future__ import annotations

import argparse
import sys
import time

FORWARD_FLOPS_PER_PARAMETER = 2
FLOPS_PER_TOKEN_FACTOR = {"lora": 4, "full": 6}


def matmul_peak(size: int = 2048, repeats: int = 10, rounds: int = 5, dtype: str = "float32") -> float:
    """Best observed FLOP/s of a square matmul (2·n³ FLOPs each) in ``dtype``."""
    import torch

    a, b = (torch.randn(size, size, dtype=getattr(torch, dtype)) for _ in range(2))
    a @ b  # warm-up: thread pool, caches
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = max(best, 2 * size**3 * repeats / (time.perf_counter() - started))
    return best


def training_figures(log: dict, peak: float) -> dict:
    """Speed figures of one training run's log, with its MFU against ``peak``."""
    method = log["config"]["method"]
    tokens_per_second = log["tokens_seen"] / log["train_seconds"]
    flops_per_token = FLOPS_PER_TOKEN_FACTOR[method] * log["total_parameters"]
    return {
        "method": method,
        "steps": log["config"]["steps"],
        "trainable_parameters": log["trainable_parameters"],
        "seconds_per_step": round(log["seconds_per_step"], 2),
        "train_seconds": round(log["train_seconds"], 1),
        "tokens_per_second": round(tokens_per_second, 1),
        "mfu": round(tokens_per_second * flops_per_token / peak, 3),
        "peak_rss_mb": round(log["peak_rss_mb"]),
        # 1-minute load averages around the run: above the core count, other
        # work was competing for the CPU and the times are pessimistic.
        "load_average": [log.get("load_average_before"), log.get("load_average_after")],
        # The run's cache key (config, data, model, versions): tests/test_bench.py
        # fails when the recipe changes and these figures no longer describe it.
        "run_key": log.get("key"),
    }


def quality(run) -> dict:
    """Test accuracy and perplexity on general prose (forgetting) of a trained run."""
    from ftlab.quantize import heldout_text, perplexity
    from ftlab.evaluate import evaluate
    from ftlab.train import load_trained

    model, tokenizer = load_trained(run)
    return {
        "test_accuracy": evaluate(run, "test").accuracy,
        "perplexity": round(perplexity(model, tokenizer, heldout_text()), 3),
    }


def time_to_accuracy(target: float, max_steps: int, every: int) -> dict:
    """One run of page 03's LoRA recipe, ``max_steps`` long, its test accuracy every ``every`` steps.

    The checkpoints belong to one schedule (warm-up, then linear decay to
    ``max_steps``), so step 24 here is not page 03's 24-step run, whose
    learning rate reaches zero at step 24.  Time at a checkpoint is its step
    count times the run's mean seconds per step.  The run (about twenty
    minutes here) comes from the cache when it is there, with or without
    ``--reuse``; its folder is ``runs/role-lora-<key>-every-<N>``.
    """
    import dataclasses

    from ftlab import jobs
    from ftlab.evaluate import evaluate_records
    from ftlab.train import NAMED_RUNS, checkpoints, load_trained, run_log, train_adapter

    config = dataclasses.replace(NAMED_RUNS["job-roles"], steps=max_steps)
    run = train_adapter(config, checkpoints_every=every)
    seconds_per_step = run_log(run)["seconds_per_step"]
    test = jobs.load_split("test")

    curve = []
    for steps, folder in checkpoints(run).items():
        # Answers cached in the checkpoint's folder, so --reuse re-reads them.
        score = evaluate_records(
            folder, test, cache_name="test", task="role", loader=lambda _: load_trained(run, checkpoint=steps)
        )
        accuracy, seconds = score.accuracy, round(steps * seconds_per_step, 1)
        # Every answer kept, so page 06 can test this run against its ladder's rungs.
        curve.append({"steps": steps, "train_seconds": seconds, "test_accuracy": accuracy, "answers": score.answers})
        print(f"  {steps} steps, {seconds:.0f} s: test accuracy {accuracy:.1%}", flush=True)
        if accuracy >= target:
            break
    reached = curve[-1]["test_accuracy"] >= target
    return {
        "target": target,
        "reached": reached,
        "schedule_steps": max_steps,
        "seconds_per_step": round(seconds_per_step, 2),
        "run_key": config.key(),
        "curve": curve,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ftlab.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--time-to", type=float, help="also measure time to this test accuracy, e.g. 0.95")
    parser.add_argument("--max-steps", type=int, default=160)
    parser.add_argument("--every", type=int, default=40)
    parser.add_argument(
        "--reuse", action="store_true",
        help="take the figures of runs already in the cache instead of training them afresh",
    )
    args = parser.parse_args(argv)

    from ftlab.model import load_model, load_tokenizer
    from ftlab.provenance import save_results
    from ftlab.quantize import heldout_text, perplexity
    from ftlab.train import NAMED_RUNS, run_log, train_adapter

    peak = matmul_peak()
    print(f"fp32 matmul peak: {peak / 1e9:.0f} GFLOP/s", flush=True)
    results = {"matmul_peak_gflops": round(peak / 1e9, 1), "runs": {}}
    for name, run_name in (("LoRA", "job-roles"), ("full", "job-roles-full")):
        run = train_adapter(NAMED_RUNS[run_name], fresh=not args.reuse)
        results["runs"][name] = training_figures(run_log(run), peak) | quality(run)
        print(f"{name}: {results['runs'][name]}", flush=True)
    results["base_perplexity"] = round(perplexity(load_model()[0], load_tokenizer(), heldout_text()), 3)
    if args.time_to:
        results["time_to_accuracy"] = time_to_accuracy(args.time_to, args.max_steps, args.every)
    command = "python -m ftlab.bench" + " ".join([""] + (argv if argv is not None else sys.argv[1:]))
    path = save_results("03-lora", results, seed=NAMED_RUNS["job-roles"].seed, command=command)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
