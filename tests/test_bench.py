"""Page 03's committed speed figures (docs/results/03-lora.json) against this run.

The page prints the committed benchmark; here its arithmetic is checked, and
that it was measured with the recipes page 03 uses now (their cache keys).
Timings are not re-measured in the test run: training the full fine-tuning
run alone would add several minutes.
"""

from __future__ import annotations

import pytest

from ftlab.bench import training_figures
from ftlab.provenance import load_results
from ftlab.train import NAMED_RUNS

@pytest.fixture(scope="module")
def committed():
    return load_results("03-lora")


def test_mfu_is_tokens_per_second_times_flops_per_token_over_peak():
    log = {
        "config": {"method": "lora", "steps": 10}, "trainable_parameters": 1, "total_parameters": 100,
        "tokens_seen": 1000, "train_seconds": 10.0, "seconds_per_step": 1.0, "peak_rss_mb": 1.0,
    }
    figures = training_figures(log, peak=40_000.0)
    assert figures["tokens_per_second"] == 100.0
    assert figures["mfu"] == pytest.approx(100 * 4 * 100 / 40_000)  # LoRA: ~4 FLOPs per parameter per token
    full = training_figures({**log, "config": {"method": "full", "steps": 10}}, peak=40_000.0)
    assert full["mfu"] == pytest.approx(1.5 * figures["mfu"])  # full: ~6, the weight gradients too


def test_committed_runs_are_the_pages_recipes(committed):
    runs = committed["results"]["runs"]
    assert set(runs) == {"LoRA", "full"}
    assert runs["LoRA"]["steps"] == NAMED_RUNS["job-roles"].steps
    assert runs["full"]["steps"] == NAMED_RUNS["job-roles-full"].steps
    assert runs["full"]["trainable_parameters"] > 20 * runs["LoRA"]["trainable_parameters"]
    assert 0 < runs["LoRA"]["mfu"] < 1 and 0 < runs["full"]["mfu"] < 1


def test_committed_runs_used_the_current_recipes(committed):
    """Timing is the benchmark's job, not the test run's (full fine-tuning alone
    would add minutes); what the test run checks is that the committed figures
    still describe page 03's recipes, and page 03 checks its own LoRA accuracy
    against them."""
    runs = committed["results"]["runs"]
    for label, name in (("LoRA", "job-roles"), ("full", "job-roles-full")):
        assert runs[label]["run_key"] == NAMED_RUNS[name].key(), (
            f"{name}'s recipe changed since docs/results/03-lora.json was measured; "
            f"regenerate with: python -m ftlab.bench"
        )


def test_time_to_accuracy_was_measured_with_the_current_recipe(committed):
    """One long run of page 03's recipe, evaluated at checkpoints (python -m ftlab.bench --time-to)."""
    import dataclasses

    measured = committed["results"]["time_to_accuracy"]
    curve = measured["curve"]
    config = dataclasses.replace(NAMED_RUNS["job-roles"], steps=measured["schedule_steps"])
    assert measured["run_key"] == config.key(), "recipe changed: regenerate with python -m ftlab.bench --time-to 0.95"
    steps = [point["steps"] for point in curve]
    assert steps == sorted(steps) and steps[-1] <= measured["schedule_steps"]
    assert all(0 <= point["test_accuracy"] <= 1 for point in curve)
    # The measurement stops at the first checkpoint that reaches the target, so
    # "reached" is true exactly when the last point is the only one at or above it.
    above = [point["test_accuracy"] >= measured["target"] for point in curve]
    assert measured["reached"] == above[-1] and not any(above[:-1])
    for point in curve:
        assert point["train_seconds"] == pytest.approx(point["steps"] * measured["seconds_per_step"], abs=0.5)


def test_time_to_accuracy_answers_give_its_accuracies(committed):
    from ftlab import jobs
    from ftlab.predict import score_from_answers

    test = jobs.load_split("test")
    for point in committed["results"]["time_to_accuracy"]["curve"]:
        assert score_from_answers(point["answers"], test).accuracy == point["test_accuracy"]
