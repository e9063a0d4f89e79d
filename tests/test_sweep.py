"""The recipe sweep chooses on the validation split, and the cheapest of the near-best."""

from __future__ import annotations

import pytest

from ftlab import sweep
from ftlab.train import NAMED_RUNS


def row(correct, steps, seconds):
    return {"validation_correct": correct, "steps": steps, "train_seconds": seconds}


def test_the_choice_is_the_shortest_within_one_posting_of_the_best():
    rows = [row(70, 24, 100), row(74, 96, 400), row(73, 48, 210), row(73, 48, 200), row(60, 24, 50)]
    assert sweep.choose(rows) == row(73, 48, 200)


def test_the_candidates_start_from_the_recipe_and_change_only_rate_length_and_step():
    recipe = NAMED_RUNS["job-roles"]
    first, *longer = sweep.candidates()
    assert (first.steps, first.learning_rate) == (recipe.steps, recipe.learning_rate)
    changed = {field for config in longer for field in vars(config) if getattr(config, field) != getattr(recipe, field)}
    assert changed == {"steps", "learning_rate", "logits", "attention"}


def test_the_committed_sweep_was_scored_on_validation_and_matches_its_runs():
    try:
        committed = sweep.committed()["results"]
    except FileNotFoundError:
        pytest.fail("docs/results/03-sweep.json is missing: python -m ftlab measure sweep")
    assert [r["run_key"] for r in committed["rows"]] == [c.key() for c in sweep.candidates()], (
        "the recipe changed since the sweep ran: python -m ftlab measure sweep"
    )
    assert {r["validation_total"] for r in committed["rows"]} == {80}
    # Nothing the choice reads comes from the test split or the hand-written postings.
    assert not [key for r in committed["rows"] for key in r if "test" in key or "handwritten" in key]
    assert set(committed["chosen_reported"]) == {"test", "handwritten"}
    chosen = sweep.choose(committed["rows"])
    assert committed["chosen"] == {"learning_rate": chosen["learning_rate"], "steps": chosen["steps"]}
