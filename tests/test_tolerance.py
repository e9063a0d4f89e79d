"""The number-by-number comparison behind tolerant page blocks (tests/pages.py)."""

import pytest

from pages import Tolerance, parse_tolerance, tolerance_problems

PPL = Tolerance(rel=0.01, abs=0.15)  # a perplexity and its "+0.2%" column


def test_numbers_as_pages_print_them_are_compared():
    shown = "trainable params: 4,884,480 || ppl 29.55 (+0.2%) delta 1.1e-03"
    assert tolerance_problems(shown, "trainable params: 4,884,480 || ppl 29.52 (+0.1%) delta 1.1e-03", PPL) == []


def test_digits_inside_a_word_are_text():
    # Q8_0 and q_proj are names: a changed digit in them is a changed word.
    problems = tolerance_problems("Q8_0 tensors: 1", "Q4_0 tensors: 1", PPL)
    assert problems and "the text differs" in problems[0]


def test_a_missing_line_fails():
    assert tolerance_problems("a 1.0\nb 2.0", "a 1.0", PPL) == [
        "the page shows 2 lines of output, the block printed 1"
    ]


def test_absolute_tolerance_for_numbers_near_zero():
    assert tolerance_problems("+0.0%", "-0.1%", Tolerance(abs=0.15)) == []
    assert tolerance_problems("+0.0%", "-0.2%", Tolerance(abs=0.15))


def test_integers_may_vary_only_when_the_mark_says_so():
    assert tolerance_problems("12/40", "13/40", Tolerance(rel=0.1))
    assert tolerance_problems("12/40", "13/40", Tolerance(rel=0.1, integers=True)) == []


@pytest.mark.parametrize("mark", ["pytest.mark.tolerance(0.01)", "pytest.mark.tolerance(relative=0.01)",
                                  "pytest.mark.tolerance(rel=x)"])
def test_a_malformed_mark_is_refused(mark):
    with pytest.raises(ValueError, match="expected pytest.mark.tolerance"):
        parse_tolerance(mark)


def test_text_may_differ_only_after_the_named_labels():
    shown = "fp32    A data engineer builds pipelines.\nbf16    A data engineer builds pipelines."
    tolerance = Tolerance(text_may_differ=("bf16",))
    assert tolerance_problems(shown, shown.replace("bf16    A data engineer builds", "bf16    A data engineer is"),
                              tolerance) == []
    assert tolerance_problems(shown, shown.replace("fp32    A data engineer builds", "fp32    A data engineer is"),
                              tolerance)
    assert "should start with 'bf16'" in tolerance_problems(shown, shown.replace("bf16", "int8"), tolerance)[0]
