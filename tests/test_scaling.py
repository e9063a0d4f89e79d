"""Page 07's committed timings against the current recipe and this test run's own runs.

The page prints docs/results/scaling.json (written by
``python -m ftlab measure scaling``, which trains page 03's full
24-step run with one and with two processes; too long for every test run).
Here the committed runs must be the current recipe: their cache keys (config,
data, model, library versions) equal the ones this checkout computes, so
changing the recipe without re-measuring fails here.
"""

from __future__ import annotations

import pytest

from ftlab.provenance import load_results
from ftlab.scaling import split_over_two
from ftlab.train import NAMED_RUNS

REGENERATE = "regenerate with: python -m ftlab measure scaling"


@pytest.fixture(scope="module")
def committed():
    return {run["processes"]: run for run in load_results("scaling")["results"]["runs"]}


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
    # The page's two-process run: the same recipe, each batch split between 2 processes.
    assert committed[2]["run_key"] == split_over_two(recipe).key(), REGENERATE
