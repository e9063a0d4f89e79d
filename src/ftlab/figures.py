"""Every chart drawn from a committed results file: its name in docs/assets, its source, its drawing.

    python -m ftlab figures          # redraw them all from docs/results/
    python -m ftlab figures --check  # exit 1 naming each chart that differs

An experiment that rewrites a results file redraws the charts drawn from
it; ``tests/test_figures.py`` redraws every chart in the test run and
compares it with the committed file, so a chart cannot drift from its
numbers.  (Page 04's precision plot is drawn from the points the page
itself prints, and checked by ``tests/test_quantize.py``.)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable

from ftlab import charts, jobs
from ftlab.memory import SEVEN_B_WAYS, estimate, llama2_7b_config, shape_of, smollm2_config
from ftlab.model import ensure_converted
from ftlab.metrics import classification_report, wilson_interval
from ftlab.predict import score_from_answers
from ftlab.provenance import assets_dir, load_results
from ftlab.train import NAMED_RUNS

TEST_POSTINGS = "the 160 test postings"


@dataclass(frozen=True)
class Chart:
    name: str  # the file in docs/assets
    results: str | None  # the docs/results file it is drawn from (None: computed, no file)
    draw: Callable[..., str]  # that file's "results" -> SVG text (no argument when results is None)
    page: str


def step_losses(results: dict) -> str:
    """Page 03: every way of computing a step, its loss at each of the same 24 steps."""
    series = {name: (list(range(1, len(v["losses"]) + 1)), v["losses"]) for name, v in results["variants"].items()}
    return charts.line_chart(series, x_label="step (8 postings each, the same postings for every way)",
                             y_label="training loss (log scale)", log_y=True)


def time_to_accuracy(results: dict) -> str:
    """Page 03: test accuracy against training seconds, the 160-step run's checkpoints and the 24-step run."""
    curve = results["time_to_accuracy"]["curve"]
    lora = results["runs"]["LoRA"]
    series = {
        f"{results['time_to_accuracy']['schedule_steps']}-step schedule, scored every 40 steps":
            ([p["train_seconds"] for p in curve], [p["test_accuracy"] for p in curve]),
        "24-step recipe": ([lora["train_seconds"]], [lora["test_accuracy"]]),
    }
    return charts.line_chart(series, x_label="training seconds on this machine's 2 cores",
                             y_label=f"accuracy on {TEST_POSTINGS}", markers=True)


def dpo_history(results: dict) -> str:
    """Page 05: the committed DPO run's log-probabilities of chosen and rejected answers, and its margin."""
    history = results["runs"]["dpo"]["history"]
    steps = [entry["step"] for entry in history]
    log_probabilities = {
        "chosen": (steps, [entry["logps/chosen"] for entry in history]),
        "rejected": (steps, [entry["logps/rejected"] for entry in history]),
    }
    margins = {"chosen minus rejected": (steps, [entry["rewards/margins"] for entry in history])}
    return charts.line_panels(
        [("log-probability of the answer (nats)", log_probabilities),
         ("reward margin: beta x (gap of log-ratios)", margins)],
        x_label="DPO step (4 pairs each)",
    )


def lora_picture() -> str:
    """Page 03: page 03's rank on one of SmolLM2's attention projections (q_proj: hidden size x hidden size)."""
    ensure_converted()
    hidden = smollm2_config().hidden_size
    return charts.lora_update(hidden, hidden, NAMED_RUNS["job-roles"].rank, layer="q_proj")


def seven_b_memory() -> str:
    """Page 04: the estimated peak of each way of fine-tuning a 7B model, part by part, against 24 GiB."""
    shape, gib = shape_of(llama2_7b_config()), 2**30
    bars = {}
    for label, setup in SEVEN_B_WAYS.items():
        parts = estimate(shape, setup)
        bars[label.strip()] = {
            "weights and scales": (parts.weights + parts.quant_constants) / gib,
            "trained weights": parts.trainable / gib,
            "gradients": parts.gradients / gib,
            "optimizer state": parts.optimizer / gib,
            "activations or optimizer step": max(parts.activations, parts.optimizer_step) / gib,
        }
    return charts.stacked_bars(bars, x_label="estimated GiB at batch 1, 512 tokens, gradient checkpointing",
                               line=(24, "24 GiB card"), x_max=30)


def data_quality(results: dict) -> str:
    """Page 02: each data arm's test accuracy (seed 0) with its 95% interval."""
    rows = []
    for row in results["rows"]:
        if row["seed"] == 0:
            test = row["test"]
            low, high = wilson_interval(test["correct"], test["total"])
            rows.append((f"{row['arm']} ({row['budget']})", test["correct"] / test["total"], low, high))
    return charts.interval_chart(rows, x_label=f"accuracy on {TEST_POSTINGS}, with 95% interval")


def ladder(results: dict) -> str:
    """Page 06: every rung's accuracy with its 95% interval."""
    rows = [(row["rung"], row["accuracy"], *row["interval"]) for row in results["rows"]]
    return charts.interval_chart(rows, x_label=f"accuracy on {TEST_POSTINGS}, with 95% interval")


def lora_confusion(results: dict) -> str:
    """Page 06: the LoRA rung's confusion matrix, from its committed answers."""
    records = jobs.load_split("test")
    predictions = score_from_answers(results["answers"]["LoRA"], records).predictions
    report = classification_report([r["role"] for r in records], predictions)
    return charts.heatmap(report.confusion, rows=list(report.labels), columns=list(report.columns),
                          title=f"LoRA (page 03) on {TEST_POSTINGS}", x_label="predicted", y_label="gold")


def learning_curve(results: dict) -> str:
    """Page 06: accuracy by number of training examples, with 95% intervals."""
    rows = [(f"{row['examples']} examples", row["accuracy"], *row["interval"]) for row in results["rows"]]
    return charts.interval_chart(
        rows, x_label=f"LoRA accuracy on {TEST_POSTINGS} ({results['steps']} steps of {results['batch_size']}), "
                      "with 95% interval")


CHARTS = (
    Chart("02-data-quality.svg", "02-data-quality", data_quality, "02"),
    Chart("03-lora-update.svg", None, lora_picture, "03"),
    Chart("03-step-losses.svg", "03-step-speed", step_losses, "03"),
    Chart("03-time-to-accuracy.svg", "03-lora", time_to_accuracy, "03"),
    Chart("04-memory-7b.svg", None, seven_b_memory, "04"),
    Chart("05-dpo-history.svg", "05-preference", dpo_history, "05"),
    Chart("06-ladder.svg", "06-ladder", ladder, "06"),
    Chart("06-confusion-lora.svg", "06-ladder", lora_confusion, "06"),
    Chart("06-learning-curve.svg", "06-learning-curve", learning_curve, "06"),
)


def drawn(chart: Chart) -> str:
    """The chart as its committed results (or its computation) draw it now."""
    return chart.draw(load_results(chart.results)["results"]) if chart.results else chart.draw()


def redraw(results_name: str | None = None) -> list[str]:
    """Write the charts drawn from ``results_name`` (every chart if None); their file names."""
    assets_dir().mkdir(parents=True, exist_ok=True)
    written = []
    for chart in CHARTS:
        if results_name in (None, chart.results):
            (assets_dir() / chart.name).write_text(drawn(chart), encoding="utf-8")
            written.append(chart.name)
    return written


def stale() -> list[str]:
    """The charts whose committed file is not what their results draw now."""
    def committed(chart):
        path = assets_dir() / chart.name
        return path.read_text(encoding="utf-8") if path.exists() else None

    return [chart.name for chart in CHARTS if committed(chart) != drawn(chart)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="redraw nothing; exit 1 if a chart differs")


def run(args) -> int:
    if args.check:
        differing = stale()
        for name in differing:
            print(f"docs/assets/{name}: not what its results draw; run python -m ftlab figures", file=sys.stderr)
        return 1 if differing else 0
    for name in redraw():
        print(f"docs/assets/{name}")
    return 0
