"""Evaluation metrics and significance tests (ftlab.metrics), good input and bad."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from ftlab import jobs
from ftlab.metrics import (
    UNPARSED,
    BootstrapInterval,
    Comparison,
    McNemarResult,
    classification_report,
    compare,
    correctness,
    holm,
    mcnemar,
    paired_bootstrap,
    seeds_and_items_bootstrap,
    wilson_interval,
)

# A hand-checkable example: three labels, one unparsed answer, one confusion.
#   A: TP 1, FP 1 (a B called A), FN 1 (the unparsed one) -> P 1/2, R 1/2, F1 1/2
#   B: TP 1, FP 0, FN 1                                   -> P 1,   R 1/2, F1 2/3
#   C: TP 2, FP 0, FN 0                                   -> F1 1
# macro-F1 = (1/2 + 2/3 + 1) / 3 = 13/18
LABELS = ("A", "B", "C")
GOLDS = ["A", "A", "B", "B", "C", "C"]
PREDICTIONS = ["A", None, "B", "A", "C", "C"]


def paired(both_right: int, only_a: int, only_b: int, both_wrong: int) -> tuple[list[bool], list[bool]]:
    """Per-item correctness of systems A and B with the given 2x2 counts."""
    a = [True] * both_right + [True] * only_a + [False] * only_b + [False] * both_wrong
    b = [True] * both_right + [False] * only_a + [True] * only_b + [False] * both_wrong
    return a, b


# --------------------------------------------------------------------------- classification_report


def test_unparsed_predictions_count_as_wrong_exactly_as_sklearn_scores_a_wrong_label():
    report = classification_report(GOLDS, PREDICTIONS, labels=LABELS)
    # sklearn itself, with the None replaced by any string outside the labels.
    direct = f1_score(GOLDS, ["A", "no answer", "B", "A", "C", "C"], labels=list(LABELS), average="macro",
                      zero_division=0)
    assert report.macro_f1 == pytest.approx(13 / 18) == pytest.approx(direct)
    # Dropping unparsed items instead would flatter the system (A's recall becomes 1).
    dropped = f1_score(["A", "B", "B", "C", "C"], ["A", "B", "A", "C", "C"], average="macro")
    assert dropped == pytest.approx(7 / 9) and report.macro_f1 < dropped


def test_report_gives_accuracy_per_label_scores_and_a_confusion_matrix_with_an_unparsed_column():
    report = classification_report(GOLDS, PREDICTIONS, labels=LABELS)
    assert (report.correct, report.total, report.unparsed) == (4, 6, 1)
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.per_label["A"].precision == pytest.approx(0.5)
    assert report.per_label["A"].recall == pytest.approx(0.5)
    assert report.per_label["B"].precision == pytest.approx(1.0)
    assert report.per_label["B"].f1 == pytest.approx(2 / 3)
    assert [report.per_label[label].support for label in LABELS] == [2, 2, 2]
    assert report.columns == ("A", "B", "C", UNPARSED)
    np.testing.assert_array_equal(report.confusion, [[1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 2, 0]])
    # Every item is in the matrix: sklearn drops those it has no column for.
    assert report.confusion.sum() == report.total
    assert isinstance(report.macro_f1, float) and isinstance(report.per_label["A"].f1, float)


def test_report_defaults_to_the_eight_roles():
    golds = list(jobs.ROLES) * 2
    predictions = list(jobs.ROLES) + [None] + list(jobs.ROLES[1:])
    report = classification_report(golds, predictions)
    assert report.confusion.shape == (8, 9)
    assert report.confusion[0, -1] == 1  # the first role's second posting went unparsed
    assert report.macro_f1 == pytest.approx(np.mean([s.f1 for s in report.per_label.values()]))
    # First role: P 1, R 1/2, F1 2/3; the other seven F1 1: (2/3 + 7) / 8 = 0.958.
    assert report.macro_f1 == pytest.approx((2 / 3 + 7) / 8)
    assert report.summary() == "accuracy 15/16 = 93.8%, macro-F1 0.958, unparsed 1"


def test_correctness_never_counts_an_unparsed_prediction_as_right():
    assert correctness(GOLDS, PREDICTIONS) == [True, False, True, False, True, True]


@pytest.mark.parametrize(
    ("golds", "predictions", "match"),
    [
        (["A", "B"], ["A"], "same length.*golds has 2, predictions has 1"),
        ([], [], "empty"),
        (["A", "Z"], ["A", "A"], r"golds must all be in the label set; not in it: 'Z'"),
        (["A", None], ["A", "A"], r"golds must all be in the label set; not in it: None"),
        (["A", "B"], ["A", "Junior"], r"predictions must each be a label or None.*'Junior'"),
    ],
)
def test_report_rejects_bad_input(golds, predictions, match):
    with pytest.raises(ValueError, match=match):
        classification_report(golds, predictions, labels=LABELS)


def test_report_rejects_a_label_set_containing_the_unparsed_marker():
    with pytest.raises(ValueError, match="must not contain"):
        classification_report(["A"], [None], labels=("A", UNPARSED))


# --------------------------------------------------------------------------- wilson_interval


def wilson_closed_form(correct: int, total: int, confidence: float) -> tuple[float, float]:
    """Wilson (1927), written out; z from the standard library, not SciPy."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / total
    centre = (p + z**2 / (2 * total)) / (1 + z**2 / total)
    half_width = z / (1 + z**2 / total) * math.sqrt(p * (1 - p) / total + z**2 / (4 * total**2))
    return centre - half_width, centre + half_width


@pytest.mark.parametrize(("correct", "total", "confidence"), [(150, 160, 0.95), (3, 160, 0.95), (0, 40, 0.9),
                                                               (40, 40, 0.99), (1, 1, 0.95)])
def test_wilson_interval_matches_the_closed_form(correct, total, confidence):
    low, high = wilson_interval(correct, total, confidence)
    expected_low, expected_high = wilson_closed_form(correct, total, confidence)
    assert low == pytest.approx(expected_low, abs=1e-12)
    assert high == pytest.approx(expected_high, abs=1e-12)
    assert 0.0 <= low <= correct / total <= high <= 1.0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((0, 0), ValueError, "total must be at least 1"),
        ((5, 4), ValueError, r"correct must be between 0 and total \(4\)"),
        ((-1, 4), ValueError, "correct must be between 0 and total"),
        ((2.5, 4), TypeError, "correct must be an integer"),
        ((2, 4, 1.5), ValueError, "confidence must be strictly between 0 and 1"),
    ],
)
def test_wilson_interval_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        wilson_interval(*args)


# --------------------------------------------------------------------------- paired_bootstrap

# 160 items: A right on 120, B on 130; 14 items only B gets, 4 only A gets.
A_160, B_160 = paired(both_right=116, only_a=4, only_b=14, both_wrong=26)


def test_bootstrap_interval_covers_the_observed_difference_and_repeats_with_the_same_seed():
    result = paired_bootstrap(A_160, B_160, seed=7)
    assert result.difference == pytest.approx(130 / 160 - 120 / 160)
    assert result.low < result.difference < result.high
    assert (result.confidence, result.resamples) == (0.95, 10_000)
    assert paired_bootstrap(A_160, B_160, seed=7) == result
    narrower = paired_bootstrap(A_160, B_160, seed=7, confidence=0.8)
    assert result.low < narrower.low <= narrower.high < result.high


def test_bootstrap_resamples_items_with_numpys_default_rng():
    # What scipy.stats.bootstrap(paired=True, method="percentile") does,
    # written out: one row of item indices per resample, shared by A and B.
    a, b = np.array(A_160, dtype=float), np.array(B_160, dtype=float)
    items = np.random.default_rng(3).integers(0, len(a), size=(2_000, len(a)))
    differences = b[items].mean(axis=1) - a[items].mean(axis=1)
    expected = np.quantile(differences, [0.025, 0.975])
    result = paired_bootstrap(A_160, B_160, resamples=2_000, seed=3)
    assert (result.low, result.high) == pytest.approx(tuple(expected))


def test_bootstrap_of_identical_systems_is_exactly_zero():
    same = [True, False, True, True]
    result = paired_bootstrap(same, same)
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)
    assert result.covers_zero()


@pytest.mark.parametrize(
    ("correct_a", "correct_b", "error", "match"),
    [
        ([True, False, True], [True, False], ValueError, "same length.*correct_a has 3, correct_b has 2"),
        ([], [], ValueError, "empty"),
        ([1, 0, 1], [True, False, True], TypeError, "correct_a must hold booleans.*item 0 is 1 of type int"),
        ([True, False], [True, None], TypeError, "correct_b must hold booleans.*item 1 is None"),
        ([True], [False], ValueError, "needs at least 2 items"),
    ],
)
def test_bootstrap_rejects_bad_input(correct_a, correct_b, error, match):
    with pytest.raises(error, match=match):
        paired_bootstrap(correct_a, correct_b)


def test_bootstrap_rejects_a_non_positive_number_of_resamples():
    with pytest.raises(ValueError, match="resamples must be a positive integer"):
        paired_bootstrap(A_160, B_160, resamples=0)


# --------------------------------------------------------------------------- mcnemar


def test_mcnemar_counts_discordant_items_and_gives_the_exact_binomial_p():
    a, b = paired(both_right=100, only_a=2, only_b=10, both_wrong=48)
    result = mcnemar(a, b)
    assert (result.b01, result.b10) == (10, 2)
    assert result.p_value == pytest.approx(stats.binomtest(10, 12, 0.5).pvalue)
    # By hand: 2 * P(X <= 2) for X ~ Binomial(12, 1/2) = 2 * (1 + 12 + 66) / 2**12.
    assert result.p_value == pytest.approx(2 * (1 + 12 + 66) / 2**12) == pytest.approx(0.0386, abs=1e-4)
    swapped = mcnemar(b, a)
    assert (swapped.b01, swapped.b10, swapped.p_value) == (2, 10, result.p_value)


def test_mcnemar_without_discordant_items_finds_no_difference():
    a, b = paired(both_right=5, only_a=0, only_b=0, both_wrong=3)
    assert mcnemar(a, b) == McNemarResult(b01=0, b10=0, p_value=1.0)


def test_mcnemar_rejects_bad_input():
    with pytest.raises(ValueError, match="mcnemar: .*correct_a has 2, correct_b has 3"):
        mcnemar([True, False], [True, False, True])
    with pytest.raises(TypeError, match="mcnemar: correct_a must hold booleans"):
        mcnemar(["yes", "no"], [True, False])


# --------------------------------------------------------------------------- compare and verdict


def test_compare_reports_accuracies_both_tests_and_a_significant_verdict():
    comparison = compare("base", A_160, "fine-tuned", B_160)
    assert (comparison.accuracy_a, comparison.accuracy_b, comparison.total) == (0.75, 0.8125, 160)
    assert (comparison.mcnemar.b01, comparison.mcnemar.b10) == (14, 4)
    assert comparison.bootstrap == paired_bootstrap(A_160, B_160)
    verdict = comparison.verdict()
    assert verdict.startswith("fine-tuned 81.2% vs base 75.0% on 160 items: +6.2 points (95% CI ")
    assert "McNemar p = 0.0309" in verdict
    assert verdict.endswith("significant at 5%, fine-tuned is better")


def test_compare_says_not_significant_for_a_small_gap():
    a, b = paired(both_right=110, only_a=5, only_b=7, both_wrong=38)
    verdict = compare("rank 8", a, "rank 16", b).verdict()
    assert verdict.endswith(": not significant at 5%"), verdict


def test_compare_flags_a_real_disagreement_between_the_tests():
    # 9 vs 2 discordant items: the percentile bootstrap (+0.6 to +8.1 points)
    # is bolder than the exact test (p = 2 * 67 / 2**11 = 0.065).
    a, b = paired(both_right=116, only_a=2, only_b=9, both_wrong=33)
    comparison = compare("base", a, "tuned", b)
    assert not comparison.bootstrap.covers_zero()
    assert comparison.mcnemar.p_value == pytest.approx(2 * 67 / 2**11)
    assert "the bootstrap interval excludes 0 but McNemar's p is not below 0.05" in comparison.verdict()


def make_comparison(low: float, high: float, p_value: float) -> Comparison:
    return Comparison(
        name_a="A", name_b="B", accuracy_a=0.70, accuracy_b=0.75, total=160,
        bootstrap=BootstrapInterval(difference=0.05, low=low, high=high, confidence=0.95, resamples=10_000),
        mcnemar=McNemarResult(b01=12, b10=4, p_value=p_value),
    )


@pytest.mark.parametrize(
    ("low", "high", "p_value", "ending"),
    [
        (0.01, 0.09, 0.01, "significant at 5%, B is better"),
        (-0.01, 0.09, 0.20, "not significant at 5%"),
        (0.0, 0.09, 0.05, "not significant at 5%"),  # an interval touching 0 covers it; p = 0.05 is not below
        (0.01, 0.09, 0.07, "the bootstrap interval excludes 0 but McNemar's p is not below 0.05"),
        (-0.01, 0.09, 0.03, "McNemar's p is below 0.05 but the bootstrap interval covers 0"),
    ],
)
def test_verdict_says_plainly_whether_the_tests_agree(low, high, p_value, ending):
    verdict = make_comparison(low, high, p_value).verdict()
    assert verdict.endswith(ending), verdict
    assert "\n" not in verdict
    if "disagree" in verdict:
        assert "not clearly significant at 5%" in verdict


def test_verdict_names_the_better_system_when_it_is_a():
    comparison = compare("A", B_160, "B", A_160)
    assert comparison.verdict().endswith("significant at 5%, A is better")


def test_compare_rejects_systems_scored_on_different_items():
    with pytest.raises(ValueError, match="compare: .*correct_a has 160, correct_b has 159"):
        compare("base", A_160, "fine-tuned", B_160[:-1])


# --------------------------------------------------------------------------- holm


def test_holm_multiplies_the_sorted_p_values_by_m_down_to_1_and_keeps_them_monotone():
    # m = 4, ascending: 0.005*4, 0.01*3, 0.03*2, then 0.04*1 raised to 0.06 (monotone).
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_holm_agrees_with_the_rejections_of_the_step_down_procedure():
    p_values = [0.001, 0.011, 0.02, 0.04, 0.3]
    rejected = [p < 0.05 for p in holm(p_values)]
    # By hand: 0.001 < 0.05/5, 0.011 < 0.05/4, 0.02 >= 0.05/3 stops the procedure.
    assert rejected == [True, True, False, False, False]


def test_holm_rejects_values_that_are_not_probabilities():
    with pytest.raises(ValueError, match="holm: p-values must lie in"):
        holm([0.2, 1.5])


# --------------------------------------------------------------------------- seeds and items


def test_seeds_and_items_bootstrap_counts_the_spread_between_seeds():
    rng = np.random.default_rng(1)
    items = 160
    steady = [list(rng.random(items) < 0.8) for _ in range(3)]
    # B's three seeds land far apart: 60%, 80% and 100% of the items
    spread = [[bool(x) for x in rng.random(items) < p] for p in (0.6, 0.8, 1.0)]
    one_run = paired_bootstrap(steady[0], spread[1])
    both = seeds_and_items_bootstrap(steady, spread)
    assert both.high - both.low > one_run.high - one_run.low
    same = seeds_and_items_bootstrap(steady, steady)
    assert same.difference == 0.0 and same.low <= 0.0 <= same.high


def test_seeds_and_items_bootstrap_refuses_runs_of_other_lengths_and_non_booleans():
    with pytest.raises(ValueError, match="seeds_and_items_bootstrap"):
        seeds_and_items_bootstrap([[True, False]], [[True, False, True]])
    with pytest.raises(TypeError, match="booleans"):
        seeds_and_items_bootstrap([[1, 0]], [[True, False]])
    with pytest.raises(ValueError, match="at least one run"):
        seeds_and_items_bootstrap([], [[True, False]])
