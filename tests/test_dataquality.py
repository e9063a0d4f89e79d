"""Page 02's clean-against-noisy experiment: its arms, and the committed file they must match."""

from __future__ import annotations

import math

import pytest

from ftlab import dataquality, sweep
from ftlab.dataquality import ARMS, CLEAN, ONE_EPOCH, RUNS, SAME_STEPS, arm_config
from ftlab.train import first_steps


def test_every_arm_is_the_chosen_recipe_on_other_data():
    recipe = sweep.chosen_recipe()
    for arm in ARMS:
        config = arm_config(arm)
        changed = {f for f in vars(config) if getattr(config, f) != getattr(recipe, f)}
        assert changed <= {"data", "train_examples"}, arm


def test_one_epoch_is_one_pass_over_the_arms_data():
    assert arm_config(CLEAN, ONE_EPOCH).steps == math.ceil(500 / 8)
    with pytest.raises(ValueError, match="unknown budget 'two epochs'"):
        arm_config(CLEAN, "two epochs")


def test_every_arm_runs_once_and_two_arms_run_with_three_seeds():
    assert {(arm, SAME_STEPS, 0) for arm in ARMS} <= set(RUNS)
    seeds = {arm: {seed for a, budget, seed in RUNS if a == arm and budget == SAME_STEPS} for arm in ARMS}
    assert sum(len(s) >= 3 for s in seeds.values()) >= 2
    assert len(set(RUNS)) == len(RUNS)


def test_the_committed_file_matches_its_runs():
    try:
        rows = dataquality.committed()["results"]["rows"]
    except FileNotFoundError:
        pytest.fail("docs/results/02-data-quality.json is missing: python -m ftlab measure data-quality")
    assert [(r["arm"], r["budget"], r["seed"]) for r in rows] == [tuple(run) for run in RUNS]
    for row in rows:
        assert row["run_key"] == arm_config(row["arm"], row["budget"], row["seed"]).key(), (
            "the recipe or the data changed since it ran: python -m ftlab measure data-quality"
        )
        assert len(row["losses"]) == row["steps"]
        assert [len(row[s]["answers"]) for s in ("test", "handwritten")] == [160, 40]
        assert sum(dataquality.correctness(row, "test")) == row["test"]["correct"]


@pytest.mark.parametrize("arm", list(ARMS))
def test_each_arms_first_steps_here_match_the_committed_run(arm):
    # Two steps of each arm on this machine (about 20 s each): the same data,
    # order, start and first update as the committed run (see first_steps).
    row = next(r for r in dataquality.committed()["results"]["rows"] if (r["arm"], r["budget"], r["seed"]) == (arm, SAME_STEPS, 0))
    here = first_steps(arm_config(arm), 2)
    assert len(here) == 2 and all(abs(a - b) < 1e-4 for a, b in zip(here, row["losses"])), (here, row["losses"][:2])
