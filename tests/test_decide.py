"""The decision ladder: each rule fires and changes the outcome; bad facts are refused by name."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from ftlab.decide import (
    ENOUGH_EXAMPLES,
    FINE_TUNING,
    PRE_TRAINING,
    PRE_TRAINING_MIN_GPU_DAYS,
    PRE_TRAINING_MIN_TOKENS,
    PROMPTING,
    RAG,
    RULES,
    TOO_FEW_EXAMPLES,
    Situation,
    field_help,
    recommend,
)

# Nothing special: no rule but the default fires.
PLAIN = Situation(labelled_examples=0)
# Fine-tuning, and nothing else: a format need, a measured shortfall, enough data.
READY = Situation(labelled_examples=960, prompted_accuracy=0.5, needs_consistent_format=True)
# A new language, with the corpus and compute pre-training takes.
NEW_LANGUAGE = Situation(
    labelled_examples=0, new_language_or_domain=True,
    corpus_tokens=PRE_TRAINING_MIN_TOKENS, gpu_days=PRE_TRAINING_MIN_GPU_DAYS,
)


def fires(rule: str, situation: Situation) -> bool:
    return rule in recommend(situation).rules


def test_the_starting_points():
    assert recommend(PLAIN).rung == PROMPTING
    assert recommend(READY).rung == FINE_TUNING
    assert recommend(NEW_LANGUAGE).rung == PRE_TRAINING


# --- knowledge: RAG


def test_rule_current_facts():
    changing = replace(PLAIN, needs_current_facts=True)
    assert fires("current-facts", changing) and not fires("current-facts", PLAIN)
    assert recommend(changing).rung == RAG


def test_rule_private_facts():
    private = replace(PLAIN, needs_private_facts=True)
    assert fires("private-facts", private) and not fires("private-facts", PLAIN)
    assert recommend(private).rung == RAG


def test_knowledge_and_behaviour_combine():
    assert recommend(replace(READY, needs_current_facts=True)).rung == f"{RAG} + {FINE_TUNING}"


# --- what points to fine-tuning


def test_rule_consistent_format():
    assert fires("consistent-format", READY)
    # with the target met, the format need is the only thing pointing up
    met = replace(READY, prompted_accuracy=0.95)
    assert recommend(met).rung == PROMPTING
    assert fires("consistent-format", met)
    assert not fires("consistent-format", replace(READY, needs_consistent_format=False))


def test_rule_specialised_language():
    legal = replace(READY, needs_consistent_format=False, specialised_language=True, prompted_accuracy=None)
    assert fires("specialised-language", legal)
    assert recommend(replace(legal, prompted_accuracy=0.6)).rung == FINE_TUNING
    assert recommend(replace(legal, specialised_language=False, prompted_accuracy=None)).rung == PROMPTING


def test_rule_prompting_plateaued():
    behind = replace(READY, needs_consistent_format=False)
    assert fires("prompting-plateaued", behind)
    assert recommend(behind).rung == FINE_TUNING
    at_target = replace(behind, prompted_accuracy=behind.target_accuracy)
    assert not fires("prompting-plateaued", at_target)
    assert recommend(at_target).rung == PROMPTING


def test_rule_prompt_over_budget():
    long_prompt = Situation(labelled_examples=960, prompted_accuracy=0.95, prompt_tokens=2400, max_prompt_tokens=500)
    assert fires("prompt-over-budget", long_prompt)
    assert recommend(long_prompt).rung == FINE_TUNING
    within = replace(long_prompt, max_prompt_tokens=2400)
    assert not fires("prompt-over-budget", within)
    assert recommend(within).rung == PROMPTING


def test_rule_high_volume():
    busy = Situation(labelled_examples=960, prompted_accuracy=0.95, prompt_tokens=1000, requests_per_day=100_000)
    assert fires("high-volume", busy)
    assert recommend(busy).rung == FINE_TUNING
    quieter = replace(busy, requests_per_day=99_999)
    assert not fires("high-volume", quieter)
    assert recommend(quieter).rung == PROMPTING


def test_rule_enough_examples():
    assert fires("enough-examples", replace(READY, labelled_examples=ENOUGH_EXAMPLES))
    one_short = replace(READY, labelled_examples=ENOUGH_EXAMPLES - 1)
    assert not fires("enough-examples", one_short)
    assert recommend(one_short).rung == PROMPTING


# --- what stops fine-tuning


def test_rule_not_measured():
    unmeasured = replace(READY, prompted_accuracy=None)
    assert fires("not-measured", unmeasured) and not fires("not-measured", READY)
    assert recommend(unmeasured).rung == PROMPTING


def test_rule_base_works_well():
    works = replace(READY, prompted_accuracy=0.9)
    assert fires("base-works-well", works) and not fires("base-works-well", READY)
    assert recommend(works).rung == PROMPTING


def test_base_works_well_does_not_stop_a_cost_reason():
    works_but_slow = replace(READY, prompted_accuracy=0.95, prompt_tokens=2400, max_prompt_tokens=500)
    assert not fires("base-works-well", works_but_slow)
    assert recommend(works_but_slow).rung == FINE_TUNING


def test_rule_too_few_examples():
    few = replace(READY, labelled_examples=TOO_FEW_EXAMPLES - 1)
    assert fires("too-few-examples", few)
    assert not fires("too-few-examples", replace(READY, labelled_examples=TOO_FEW_EXAMPLES))
    assert recommend(few).rung == PROMPTING


def test_rule_collect_more_examples():
    some = replace(READY, labelled_examples=TOO_FEW_EXAMPLES)
    assert fires("collect-more-examples", some)
    assert "collect 450 more" in str(recommend(some))
    assert recommend(some).rung == PROMPTING
    assert recommend(replace(some, labelled_examples=ENOUGH_EXAMPLES)).rung == FINE_TUNING


def test_rule_general_purpose():
    broad = replace(READY, general_purpose=True)
    assert fires("general-purpose", broad) and not fires("general-purpose", READY)
    assert recommend(broad).rung == PROMPTING


def test_every_blocker_is_listed_not_only_the_first():
    assert recommend(replace(READY, prompted_accuracy=None, labelled_examples=10, general_purpose=True)).rules == (
        "consistent-format", "not-measured", "too-few-examples", "general-purpose", "start-with-prompting",
    )


# --- pre-training


def test_rule_pre_train():
    assert fires("pre-train", NEW_LANGUAGE)
    assert recommend(replace(NEW_LANGUAGE, new_language_or_domain=False)).rung == PROMPTING


@pytest.mark.parametrize("short", [
    {"corpus_tokens": PRE_TRAINING_MIN_TOKENS - 1},
    {"gpu_days": PRE_TRAINING_MIN_GPU_DAYS - 0.1},
])
def test_rule_pre_training_out_of_reach(short):
    poor = replace(NEW_LANGUAGE, **short)
    assert fires("pre-training-out-of-reach", poor) and not fires("pre-train", poor)
    assert recommend(poor).rung == PROMPTING


def test_pre_training_threshold_is_the_stated_arithmetic():
    # 10 runs x 6 FLOPs x 1e9 parameters x 2e10 tokens at 40% of 989 TFLOP/s: about 35 H100-days
    assert PRE_TRAINING_MIN_GPU_DAYS == pytest.approx(35.1, abs=0.05)


# --- the default


def test_rule_start_with_prompting():
    assert recommend(PLAIN).rules == ("start-with-prompting",)
    assert not fires("start-with-prompting", replace(PLAIN, needs_current_facts=True))


def test_every_rule_has_a_test_of_its_own():
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_rule_")}
    assert tests == {"test_rule_" + rule.replace("-", "_") for rule in RULES}


def test_reasons_name_known_rules_and_render_as_text():
    rec = recommend(replace(READY, needs_private_facts=True))
    assert set(rec.rules) <= set(RULES)
    assert str(rec).splitlines()[0] == f"{RAG} + {FINE_TUNING}"
    assert "  - private-facts: " in str(rec)


def test_every_field_is_explained():
    assert all(field_help().values())
    assert list(field_help())[0] == "labelled_examples"


# --- bad input


@pytest.mark.parametrize("name, value, words", [
    ("labelled_examples", -1, "must be 0 or more"),
    ("labelled_examples", 12.5, "must be a whole number"),
    ("labelled_examples", "960", "must be a whole number"),
    ("labelled_examples", True, "must be a whole number"),
    ("prompt_tokens", -5, "must be 0 or more"),
    ("requests_per_day", None, "must be a whole number"),
    ("corpus_tokens", -1, "must be 0 or more"),
    ("max_prompt_tokens", 0, "must be 1 or more (or None)"),
    ("max_prompt_tokens", 1.5, "must be a whole number (or None)"),
    ("prompted_accuracy", 1.2, "must be between 0 and 1 (or None if not measured)"),
    ("prompted_accuracy", -0.1, "must be between 0 and 1"),
    ("prompted_accuracy", 85, "write 0.85 for 85%"),
    ("prompted_accuracy", float("nan"), "must be between 0 and 1"),
    ("prompted_accuracy", "0.8", "must be a number between 0 and 1"),
    ("target_accuracy", 0, "must be above 0"),
    ("target_accuracy", 2, "must be between 0 and 1"),
    ("target_accuracy", None, "must be a number between 0 and 1"),
    ("needs_current_facts", "yes", "must be True or False"),
    ("needs_consistent_format", 1, "must be True or False"),
    ("general_purpose", None, "must be True or False"),
    ("gpu_days", -1, "must be a finite number, 0 or more"),
    ("gpu_days", float("inf"), "must be a finite number"),
    ("gpu_days", "10", "must be a finite number"),
])
def test_bad_facts_are_refused_naming_the_field(name, value, words):
    with pytest.raises(ValueError) as error:
        Situation(**{"labelled_examples": 100, name: value})
    message = str(error.value)
    assert message.startswith(f"Situation.{name} ")
    assert words in message
    assert repr(value) in message


def test_facts_must_be_named():
    with pytest.raises(TypeError):
        Situation(960)  # keyword-only: a bare 960 could be any count


def test_a_situation_is_frozen():
    with pytest.raises(AttributeError):
        READY.labelled_examples = 10


def test_recommend_wants_a_situation():
    with pytest.raises(TypeError, match="takes a Situation, got dict"):
        recommend({"labelled_examples": 960})
