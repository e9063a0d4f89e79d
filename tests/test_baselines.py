"""The committed baselines of page 06 (docs/results/06-baselines.json), checked without training.

Page 06 refits the linear models and re-trains the head's first steps; these
tests check what the page cannot show: that the head's learning rate was the
best on validation (the test split chose nothing), and that the file is whole.
"""

import pytest

from ftlab import jobs
from ftlab.baselines import COMMAND, HEAD, HEAD_LEARNING_RATES, HEAD_STEPS, RESULTS
from ftlab.jobs import ROLES
from ftlab.provenance import load_results

REGENERATE = f"regenerate with: {COMMAND}"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)["results"]


def test_every_baseline_predicts_a_role_for_every_test_posting(results):
    test = jobs.load_split("test")
    for name, run in results["runs"].items():
        assert len(run["predictions"]) == len(test), f"{name}: {REGENERATE}"
        assert set(run["predictions"]) <= set(ROLES), name


def test_the_heads_rate_was_the_best_on_validation_among_the_rates_in_the_code(results):
    sweep = results["head_sweep"]
    assert [run["learning_rate"] for run in sweep] == list(HEAD_LEARNING_RATES), REGENERATE
    best = max(sweep, key=lambda run: run["validation_accuracy"])  # the first of equals, as the code keeps
    assert results["runs"][HEAD]["learning_rate"] == best["learning_rate"]


def test_the_head_trained_for_page_03s_budget(results):
    assert results["config"]["head_steps"] == HEAD_STEPS
    assert len(results["runs"][HEAD]["losses"]) == HEAD_STEPS, REGENERATE
