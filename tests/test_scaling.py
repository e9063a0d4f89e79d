"""Page 07's committed timings against the current recipe and this test run's own runs.

The page prints docs/results/scaling.json (written by
``python snippets/07_scaling.py --measure``, which trains page 03's full
24-step run with one and with two processes).  In the test run the page
trains a 6-step version of the same pair (the 2-process run for real, through
``accelerate launch``).  Here:

* the committed runs must be the current recipe: their cache keys (config,
  data, model, library versions) equal the ones this checkout computes, so
  changing the recipe without re-measuring fails here;
* the ratio of seconds per step (2 processes / 1 process) of the test run's
  own short runs must be near the committed ratio.  A ratio travels between
  machines far better than absolute seconds; the tolerance is wide because CI
  machines are shared and timings on them are noisy.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ftlab.provenance import load_results
from ftlab.train import NAMED_RUNS, run_dir, run_log

REGENERATE = "regenerate with: python snippets/07_scaling.py --measure"
# The ratio measured here may be this many times larger or smaller than the committed one.
RATIO_TOLERANCE = 3.0


@pytest.fixture(scope="module")
def committed():
    return {run["processes"]: run for run in load_results("scaling")["results"]["runs"]}


def split_over_two(config):
    return replace(config, processes=2)


def test_the_committed_runs_are_the_pages_comparison(committed):
    assert sorted(committed) == [1, 2]
    one, two = committed[1], committed[2]
    assert one["steps"] == two["steps"]
    # Same postings per optimizer step: the second run splits each batch in two.
    assert one["batch_per_process"] == 2 * two["batch_per_process"]
    gpu = load_results("scaling_gpu")
    assert gpu["provenance"]["device"].startswith("cuda:")
    assert [run["processes"] for run in gpu["results"]["runs"]] == [1]


def test_the_committed_cpu_runs_used_the_current_recipe(committed):
    recipe = NAMED_RUNS["job-roles"]
    assert committed[1]["run_key"] == recipe.key(), f"page 03's recipe changed since it was timed; {REGENERATE}"
    assert committed[2]["run_key"] == split_over_two(recipe).key(), REGENERATE


def test_seconds_per_step_ratio_matches_the_committed_one(committed):
    short = replace(NAMED_RUNS["job-roles"], steps=6)  # the pair page 07 trains in the test run
    logs = {}
    for config in (short, split_over_two(short)):
        folder = run_dir(config)
        if not folder.is_dir():
            pytest.skip(f"{folder.name} is not trained yet: run docs/07-scaling.md first (the full suite does)")
        logs[config.processes] = run_log(folder)
        assert logs[config.processes]["processes"] == config.processes
    ratio_here = logs[2]["seconds_per_step"] / logs[1]["seconds_per_step"]
    ratio_committed = committed[2]["seconds_per_step"] / committed[1]["seconds_per_step"]
    assert ratio_committed / RATIO_TOLERANCE <= ratio_here <= ratio_committed * RATIO_TOLERANCE, (
        f"2-process / 1-process seconds per step: {ratio_here:.2f} here, {ratio_committed:.2f} committed "
        f"(docs/results/scaling.json); {REGENERATE}"
    )
