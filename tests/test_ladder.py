"""The ladder of page 06: prompts, the committed results and their plots.

``docs/results/06-ladder.json`` and ``06-learning-curve.json`` are written by
``python -m ftlab.ladder measure`` and ``... curve`` (about an hour together
here).  The test run re-asks a sample of postings on page 06 itself; here the
committed files are checked against the code of this checkout: the trained
rungs' cache keys, every figure recomputed from the committed answers, and
the plots redrawn from the committed numbers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ftlab import jobs, ladder
from ftlab.metrics import classification_report, wilson_interval
from ftlab.predict import score_from_answers
from ftlab.task import complies, parse_label, prompt_for
from ftlab.provenance import load_results

TEST = jobs.load_split("test")
POSTING = TEST[0]["text"]


# --------------------------------------------------------------------------- prompts


def test_every_role_has_a_definition_in_the_instructions():
    assert tuple(ladder.ROLE_DEFINITIONS) == jobs.ROLES
    for role, meaning in ladder.ROLE_DEFINITIONS.items():
        assert f"- {role}: {meaning}" in ladder.INSTRUCTIONS


def test_zero_shot_is_page_03s_before_prompt():
    assert ladder.conversation("zero-shot", POSTING) == prompt_for(POSTING, system=None)


def test_the_instructions_rung_is_one_user_turn_ending_with_the_posting():
    turns = ladder.conversation("instructions", POSTING)
    assert [t["role"] for t in turns] == ["user"]
    assert turns[0]["content"].startswith(ladder.INSTRUCTIONS)
    assert turns[0]["content"].endswith(f"Posting: {POSTING}")


def test_few_shot_examples_are_earlier_turns_answered_with_exact_labels():
    examples = ladder.fixed_examples()
    turns = ladder.conversation("few-shot", POSTING, examples)
    assert len(turns) == 2 + 2 * len(examples) + 1
    answers = [t["content"] for t in turns[2:-1] if t["role"] == "assistant"]
    assert answers == [e["role"] for e in examples]
    assert all(complies(answer) for answer in answers)
    assert turns[-1] == {"role": "user", "content": f"Posting: {POSTING}"}


def test_the_fixed_examples_are_one_training_posting_per_role_and_always_the_same():
    examples = ladder.fixed_examples()
    assert Counter(e["role"] for e in examples) == Counter(jobs.ROLES)
    assert {e["id"] for e in examples} <= {r["id"] for r in jobs.load_split("train")}
    assert examples == ladder.fixed_examples()


def test_an_unknown_rung_names_the_prompting_rungs():
    with pytest.raises(ValueError, match="'LoRA' is not a prompting rung.*zero-shot"):
        ladder.conversation("LoRA", POSTING)


def test_the_retrieval_rung_refuses_to_run_without_a_retriever():
    with pytest.raises(ValueError, match="needs a Retriever"):
        ladder.prompt_conversations("retrieval few-shot", TEST[:1])


def test_the_check_sample_is_one_posting_per_role_by_default():
    positions = ladder.check_sample(TEST)
    assert positions == sorted(set(positions))
    assert Counter(TEST[i]["role"] for i in positions) == Counter(jobs.ROLES)
    assert Counter(TEST[i]["role"] for i in ladder.check_sample(TEST, per_role=2)) == Counter(
        {role: 2 for role in jobs.ROLES})


# --------------------------------------------------------------------------- committed results


@pytest.fixture(scope="module")
def committed():
    return load_results(ladder.LADDER_RESULTS)


def test_the_committed_table_has_every_rung_in_ladder_order(committed):
    results = committed["results"]
    assert [row["rung"] for row in results["rows"]] == list(ladder.RUNGS)
    assert results["postings"] == len(TEST)
    assert sorted(results["answers"]) == sorted(ladder.RUNGS)
    assert all(len(answers) == len(TEST) for answers in results["answers"].values())


def test_every_committed_figure_follows_from_the_committed_answers(committed):
    """Accuracy, interval, macro-F1 and format compliance, recomputed with this checkout's parser."""
    golds = [r["role"] for r in TEST]
    for row in committed["results"]["rows"]:
        answers = committed["results"]["answers"][row["rung"]]
        predictions = [parse_label(a) for a in answers]
        report = classification_report(golds, predictions)
        low, high = wilson_interval(report.correct, report.total)
        assert row["correct"] == report.correct, row["rung"]
        assert row["accuracy"] == round(report.accuracy, 4)
        assert row["interval"] == [round(low, 4), round(high, 4)]
        assert row["macro_f1"] == round(report.macro_f1, 4)
        assert row["format_compliance"] == round(score_from_answers(answers, TEST).compliance, 4)


def test_the_committed_trained_rungs_carry_the_current_cache_keys(committed):
    rows = {row["rung"]: row for row in committed["results"]["rows"]}
    for rung, config in ladder.trained_configs().items():
        assert rows[rung]["run_key"] == config.key(), (
            f"{rung}: recipe, data or versions changed since the measurement; regenerate with "
            f"{ladder.LADDER_COMMAND}"
        )


def test_the_learning_curve_carries_the_current_cache_keys():
    curve = load_results(ladder.CURVE_RESULTS)["results"]
    configs = ladder.curve_configs()
    assert [row["run_key"] for row in curve["rows"]] == [config.key() for config in configs.values()]
    assert curve["rows"][-1]["examples"] == len(jobs.load_split("train"))


def test_the_curves_last_point_is_the_ladders_lora_rung(committed):
    """The same run (page 03's), so the same accuracy in both files."""
    lora = next(row for row in committed["results"]["rows"] if row["rung"] == "LoRA")
    last = load_results(ladder.CURVE_RESULTS)["results"]["rows"][-1]
    assert (last["run_key"], last["correct"]) == (lora["run_key"], lora["correct"])
