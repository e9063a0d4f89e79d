"""The committed step profile (page 03) is whole, current, and adds up; page 03 re-profiles two steps."""

import pytest

from ftlab import stepprofile
from ftlab.train import NAMED_RUNS


def test_the_committed_profile_is_of_the_current_recipe_and_adds_up():
    record = stepprofile.committed()
    results = record["results"]
    assert record["provenance"]["command"] == stepprofile.COMMAND
    assert results["run_key"] == NAMED_RUNS["job-roles"].key(), (
        "page 03's recipe changed since it was profiled: python -m ftlab measure step-profile"
    )
    assert sum(results["phases_ms"].values()) == pytest.approx(results["step_ms"], abs=0.5)
    self_ms = [op["self_ms"] for op in results["operators"]]
    assert self_ms == sorted(self_ms, reverse=True) and sum(self_ms) <= results["profiled_self_ms"]
    assert 0 < results["vocabulary_ms"] < results["profiled_self_ms"]


@pytest.mark.parametrize("shapes, on_vocabulary", [
    ([[1168, 576], [576, 32768]], True),  # a chunk of the LM head
    ([[1168, 32768], []], True),
    ([[8, 147, 1536], [8, 147, 1536]], False),  # the MLP
    ([[], [8, 9, 147, 64]], False),
    ([], False),
])
def test_vocabulary_sized_operators_are_told_by_their_shapes(shapes, on_vocabulary):
    assert stepprofile._on_vocabulary(shapes) is on_vocabulary
