"""Preference pairs and page 05's committed runs.

``docs/results/05-preference.json`` is written by
``python -m ftlab.preference measure``; page 05 re-trains DPO's first step
in every test run.  Here: the pairs themselves, the configs' checks, and the
committed file against this checkout (cache keys, figures recomputed from
the committed answers).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from ftlab import jobs
from ftlab.predict import score_from_answers
from ftlab.task import complies, prompt_for
from ftlab.preference import (
    CHATTER, CONFUSABLE, RUNS, PreferenceConfig, exact_role, held_out_pairs, preference_pairs,
)
from ftlab.provenance import load_results


def test_every_role_has_a_confusable_other_role():
    assert set(CONFUSABLE) == set(jobs.ROLES)
    assert all(other in jobs.ROLES and other != role for role, other in CONFUSABLE.items())


def test_a_pair_asks_page_03s_prompt_and_prefers_the_exact_role():
    records = jobs.load_split("train")
    by_text = {r["text"]: r for r in records}
    for pair in preference_pairs("train", 64):
        record = by_text[pair["prompt"][-1]["content"]]
        assert pair["prompt"] == prompt_for(record["text"])
        chosen, rejected = pair["chosen"][0]["content"], pair["rejected"][0]["content"]
        assert chosen == record["role"] and complies(chosen)
        assert rejected != chosen
        if pair["kind"] == "confusable role":
            assert rejected == CONFUSABLE[record["role"]]
        else:
            assert record["role"] in rejected and not complies(rejected)


def test_pairs_are_balanced_over_roles_mixed_in_kind_and_reproducible():
    pairs = preference_pairs("train", 128)
    roles = Counter(pair["chosen"][0]["content"] for pair in pairs)
    assert roles == Counter({role: 16 for role in jobs.ROLES})
    kinds = Counter(pair["kind"] for pair in pairs)
    assert set(kinds) == {"confusable role", "chatter"} and min(kinds.values()) > 40
    assert pairs == preference_pairs("train", 128)


def test_held_out_pairs_come_from_postings_never_trained_on():
    train = {r["text"] for r in jobs.load_split("train")}
    held_out = held_out_pairs()
    assert len(held_out) == len(jobs.load_split("validation"))
    assert not {pair["prompt"][-1]["content"] for pair in held_out} & train


def test_every_chatter_template_names_the_role():
    assert all("{role}" in template for template in CHATTER)


def test_the_grpo_reward_is_one_only_for_the_exact_role():
    completions = [[{"role": "assistant", "content": text}] for text in
                   ("Data Engineer", " Data Engineer\n", "a Data Engineer", "ML Engineer")]
    assert exact_role(completions, ["Data Engineer"] * 4) == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("change, message", [
    ({"method": "ppo"}, "'ppo' is not 'dpo', 'reward' or 'grpo'"),
    ({"steps": 0}, "need steps >= 1"),
    ({"pairs": 2, "batch_size": 4}, "at least one batch of pairs"),
])
def test_a_bad_config_is_refused_with_the_field_named(change, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dataclasses.replace(PreferenceConfig(), **change)


# --------------------------------------------------------------------------- committed results


@pytest.fixture(scope="module")
def committed():
    return load_results("05-preference")["results"]["runs"]


def test_the_committed_runs_are_the_named_runs_with_the_current_keys(committed):
    assert sorted(committed) == sorted(RUNS)
    for name, config in RUNS.items():
        assert committed[name]["config"] == dataclasses.asdict(config), name
        assert committed[name]["key"] == config.key(), (
            f"{name}: config, data or versions changed since the measurement; "
            "regenerate with python -m ftlab.preference measure"
        )


def test_the_sft_row_was_timed_with_the_preference_runs_on_page_03s_recipe():
    # Page 05 compares step times across the methods: one measurement made them all.
    sft = load_results("05-preference")["results"]["sft"]
    assert sft["key"] == RUNS["dpo"].start_run().key(), "regenerate with python -m ftlab.preference measure"


def test_the_method_table_compares_runs_from_one_measurement(committed):
    # Page 05 says all four rows were timed together: a partial re-measurement breaks that.
    import datetime

    stamps = [load_results("05-preference")["results"]["sft"]["measured"]]
    stamps += [run["measured"] for run in committed.values()]
    times = [datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M UTC") for stamp in stamps]
    assert max(times) - min(times) <= datetime.timedelta(hours=2), (
        f"rows measured at {sorted(stamps)}: regenerate them together with python -m ftlab.preference measure")


def test_every_step_of_every_run_was_logged(committed):
    for name, run in committed.items():
        assert [entry["step"] for entry in run["history"]] == list(range(1, RUNS[name].steps + 1)), name


def test_the_committed_test_scores_follow_from_the_committed_answers(committed):
    test = jobs.load_split("test")
    for name in (name for name in committed if RUNS[name].method in ("dpo", "grpo")):
        for which in ("test", "start_test"):
            scored = committed[name][which]
            score = score_from_answers(scored["answers"], test)
            assert (score.correct, score.total, score.compliant) == (
                scored["correct"], scored["total"], scored["compliant"]), (name, which)


def test_the_reward_models_own_count_agrees_with_trls(committed):
    held_out = committed["reward"]["held_out"]
    assert held_out["all"]["total"] == len(jobs.load_split("validation"))
    ours = held_out["all"]["correct"] / held_out["all"]["total"]
    assert ours == pytest.approx(committed["reward"]["held_out_trl_accuracy"], abs=1e-4)


# --------------------------------------------------------------------------- every run's key


def test_each_run_shows_only_the_fields_its_trainer_reads():
    assert "beta" in RUNS["dpo"].used_settings() and "generations" not in RUNS["dpo"].used_settings()
    assert set(RUNS["reward"].used_settings()) == {"steps", "batch_size", "learning_rate", "pairs", "seed"}
    assert "beta" not in RUNS["grpo"].used_settings() and RUNS["grpo"].used_settings()["generations"] == 4
