"""Page 03's committed speed figures (docs/results/03-lora.json) against this run.

The page prints the committed benchmark; here the arithmetic is checked, and
the runs the page trained in this test run (cached by then, since pages run
first) are compared with it.  Seconds per step differ between machines and
with load, so only the ratio full / LoRA is compared, with a wide tolerance.
"""

from __future__ import annotations

import pytest

from ftlab.bench import training_figures
from ftlab.provenance import load_results
from ftlab.train import NAMED_RUNS, run_log, train_adapter

RATIO_TOLERANCE = 2.0


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


def test_full_over_lora_step_time_matches_the_committed_ratio(committed):
    runs = committed["results"]["runs"]
    committed_ratio = runs["full"]["seconds_per_step"] / runs["LoRA"]["seconds_per_step"]
    here = {name: run_log(train_adapter(name))["seconds_per_step"] for name in ("job-roles", "job-roles-full")}
    ratio_here = here["job-roles-full"] / here["job-roles"]
    assert committed_ratio / RATIO_TOLERANCE <= ratio_here <= committed_ratio * RATIO_TOLERANCE, (
        f"full / LoRA seconds per step: {ratio_here:.2f} in this run, {committed_ratio:.2f} committed "
        f"(docs/results/03-lora.json); regenerate with: python -m ftlab.bench"
    )
