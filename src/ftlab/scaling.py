"""Page 07's measurement: page 03's run trained by one process and by two.

``python -m ftlab.scaling`` trains page 03's recipe again with one process
and with two processes launched by ``accelerate`` (data parallel over gloo),
back to back, scores both on the test split and writes
``docs/results/scaling.json``; ``--reuse`` keeps runs already in the cache.
``python -m ftlab.scaling --gpu`` trains the same recipe on one CUDA GPU and
writes ``docs/results/scaling_gpu.json``.  Page 07 shows the functions
between the section markers.
"""

# --8<-- [start:imports]
from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from safetensors import safe_open

from ftlab.evaluate import evaluate
from ftlab.provenance import save_results
from ftlab.train import NAMED_RUNS, TrainConfig, run_dir, run_log, train_adapter, train_uncached
# --8<-- [end:imports]

DDP_CONFIG = "snippets/configs/ddp_cpu.yaml"  # from the repository's root, where experiments run


# --8<-- [start:free-port]
def free_port() -> int:
    """A port for the processes to meet on (another run may hold the default)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
# --8<-- [end:free-port]


# --8<-- [start:launch]
def split_over_two(config: TrainConfig) -> TrainConfig:
    """The same run by two processes: each takes half of every batch of 8 postings."""
    return replace(config, processes=2)


def ddp_launcher() -> list[str]:
    """The command that starts two training processes (``train_adapter`` appends ``-m ftlab.train ...``)."""
    return ["accelerate", "launch", "--config_file", DDP_CONFIG, "--main_process_port", str(free_port())]


def train_both(config: TrainConfig) -> tuple[Path, Path]:
    """``config`` trained by one process, and by two processes launched by accelerate."""
    # Both runs are cached under FTLAB_CACHE by a key of their config, like every run on the site.
    return train_adapter(config), train_adapter(split_over_two(config), launcher=ddp_launcher())
# --8<-- [end:launch]


# --8<-- [start:compare]
def adapter_shape(run: Path) -> tuple:
    """What kind of adapter a run saved: type, rank, target modules, tensor shapes."""
    config = json.loads((run / "adapter_config.json").read_text())
    with safe_open(str(run / "adapter_model.safetensors"), framework="pt") as weights:
        shapes = {name: tuple(weights.get_slice(name).get_shape()) for name in weights.keys()}
    return config["peft_type"], config["r"], sorted(config["target_modules"]), shapes


def compare(single_run: Path, ddp_run: Path) -> dict:
    """Same kind of adapter?  How far apart are the accuracies on the 160 test postings?"""
    one, two = evaluate(single_run), evaluate(ddp_run)
    return {
        "same_kind_of_adapter": adapter_shape(single_run) == adapter_shape(ddp_run),
        "test_accuracies": [one.accuracy, two.accuracy],
        "accuracy_gap": round(abs(one.accuracy - two.accuracy), 4),
        "same_answers": sum(a == b for a, b in zip(one.answers, two.answers)),
        "postings": one.total,
    }
# --8<-- [end:compare]


# --8<-- [start:measure]
def result_row(run: Path) -> dict:
    """One row of the results file: a run's times, loss and test accuracy, from its log."""
    log = run_log(run)
    return {
        "processes": log["processes"],
        "batch_per_process": log["config"]["batch_size"] // log["processes"],
        "steps": log["config"]["steps"],
        "seconds_per_step": round(log["seconds_per_step"], 2),
        "train_seconds": round(log["train_seconds"], 1),
        "wall_seconds": round(log["wall_seconds"], 1),  # with start-up and model loading
        "final_loss": round(log["final_loss"], 4),
        "test_accuracy": round(evaluate(run).accuracy, 4),
        "load_average_before": round(log["load_average_before"], 2),  # other work slows a run down
        "run_key": log["key"],  # config, data, model and versions it was trained with
    }


def measure(reuse: bool = False) -> Path:
    """Train page 03's run with 1 and 2 processes, back to back; writes docs/results/scaling.json.

    ``reuse=True`` keeps runs already in the cache: their logs hold the times
    (and the load average) of when they were trained.
    """
    recipe = NAMED_RUNS["job-roles"]
    if not reuse:
        for config in (recipe, split_over_two(recipe)):
            shutil.rmtree(run_dir(config), ignore_errors=True)  # time fresh runs, not the cache
    runs = train_both(recipe)
    return save_results("scaling", {"runs": [result_row(run) for run in runs], "comparison": compare(*runs)},
                        seed=recipe.seed, command="python -m ftlab.scaling")
# --8<-- [end:measure]


# --8<-- [start:gpu]
def measure_gpu() -> Path:
    """Page 03's run, unchanged, on one CUDA GPU; writes docs/results/scaling_gpu.json."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("python -m ftlab.scaling --gpu: needs a CUDA GPU, and torch sees none")
    recipe = NAMED_RUNS["job-roles"]
    with tempfile.TemporaryDirectory() as folder:
        run = train_uncached(recipe, Path(folder) / "run", device="cuda")
        row = result_row(run) | {"peak_gpu_memory_mb": round(run_log(run)["peak_gpu_memory_mb"])}
    if not row["peak_gpu_memory_mb"] > 0:
        raise RuntimeError("python -m ftlab.scaling --gpu: training allocated no GPU memory; it did not use the GPU")
    return save_results("scaling_gpu", {"runs": [row]}, seed=recipe.seed, command="python -m ftlab.scaling --gpu")
# --8<-- [end:gpu]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ftlab.scaling", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--reuse", action="store_true", help="keep CPU runs already in the cache")
    where.add_argument("--gpu", action="store_true", help="train on a CUDA GPU instead (scaling_gpu.json)")
    args = parser.parse_args(argv)
    path = measure_gpu() if args.gpu else measure(reuse=args.reuse)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
