"""Did fine-tuning help?  Scores for one system, and tests for the gap between two.

Page 06 compares classifier systems on the same test set.  Three questions,
three tools:

* **How good is one system?**  :func:`classification_report` gives accuracy,
  macro-F1, per-label precision / recall / F1 and the confusion matrix, and
  :func:`wilson_interval` the uncertainty of an accuracy measured on a few
  hundred items.
* **Is B better than A, or did it get lucky on these items?**  Both systems
  answered the *same* items, so the comparison is paired:
  :func:`paired_bootstrap` gives a confidence interval for the difference in
  accuracy and :func:`mcnemar` an exact p-value from the items where exactly
  one system was right.
* :func:`compare` runs both tests and says in one line whether they agree.
* **Would another training seed say the same?**  :func:`seeds_and_items_bootstrap`
  resamples the runs of each system as well as the items (page 02).
* **Many comparisons on one test set?**  At 5% each, one in twenty true
  "no difference" comparisons comes out significant by chance;
  :func:`holm` adjusts a family of p-values so that the chance of *any*
  false "significant" stays at 5%.

A prediction of ``None`` (an answer :func:`ftlab.task.parse_label` could
not read) counts as wrong everywhere.  The heavy lifting is scikit-learn's and
SciPy's; this module checks its input, wires the pieces together, and turns
NumPy scalars into plain floats so results print cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn import metrics as skm

from ftlab import jobs

# Stands in for ``None`` predictions: scikit-learn cannot sort ``None``
# together with strings, and a label outside ``labels`` counts as a miss for
# the gold label without adding a class of its own to the macro average.
UNPARSED = "(unparsed)"
SIGNIFICANCE_LEVEL = 0.05  # the level compare() judges at (a 95% interval)


# --------------------------------------------------------------------------- one system


@dataclass(frozen=True)
class LabelScores:
    """Precision, recall and F1 of one label, and how many gold items carry it."""

    precision: float
    recall: float
    f1: float
    support: int


# eq=False: comparing two reports field by field would compare NumPy arrays,
# whose == gives an array, not a bool.
@dataclass(frozen=True, eq=False)
class ClassificationReport:
    """How one system's predictions compare with the gold labels."""

    labels: tuple[str, ...]
    total: int
    correct: int
    unparsed: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelScores]
    # Rows: gold labels in ``labels`` order.  Columns: predicted labels in the
    # same order, then one last column for unparsed answers (see ``columns``).
    confusion: np.ndarray

    @property
    def columns(self) -> tuple[str, ...]:
        """The confusion matrix's column names."""
        return (*self.labels, UNPARSED)

    def summary(self) -> str:
        return (
            f"accuracy {self.correct}/{self.total} = {self.accuracy:.1%}, "
            f"macro-F1 {self.macro_f1:.3f}, unparsed {self.unparsed}"
        )


def classification_report(
    golds: list[str], predictions: list[str | None], labels: tuple[str, ...] = jobs.ROLES
) -> ClassificationReport:
    """Accuracy, macro-F1, per-label scores and confusion matrix of one system.

    ``predictions[i]`` is a label or ``None`` (unparsed, counted as wrong).
    Macro-F1 averages the F1 of every label in ``labels``, each weighted
    equally (scikit-learn's ``average="macro"``); a label that is never
    predicted gets precision 0 rather than a warning.
    """
    labels = tuple(labels)
    _check_labels(labels)
    _check_same_length("golds", golds, "predictions", predictions)
    _check_golds(golds, labels)
    _check_predictions(predictions, labels)

    predicted = [UNPARSED if p is None else p for p in predictions]
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        golds, predicted, labels=list(labels), average=None, zero_division=0
    )
    # confusion_matrix silently drops items whose prediction is not in
    # ``labels``: list UNPARSED too, then drop its all-zero gold row.
    confusion = skm.confusion_matrix(golds, predicted, labels=[*labels, UNPARSED])[: len(labels)]
    correct = sum(g == p for g, p in zip(golds, predicted))
    return ClassificationReport(
        labels=labels,
        total=len(golds),
        correct=correct,
        unparsed=predicted.count(UNPARSED),
        accuracy=float(skm.accuracy_score(golds, predicted)),
        macro_f1=float(
            skm.f1_score(golds, predicted, labels=list(labels), average="macro", zero_division=0)
        ),
        per_label={
            label: LabelScores(float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        confusion=confusion,
    )


def correctness(golds: list[str], predictions: list[str | None]) -> list[bool]:
    """Per item, whether the prediction equals the gold label (``None`` never does).

    The input :func:`paired_bootstrap`, :func:`mcnemar` and :func:`compare` take.
    """
    _check_same_length("golds", golds, "predictions", predictions)
    return [p is not None and p == g for g, p in zip(golds, predictions)]


def wilson_interval(correct: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for an accuracy of ``correct / total``.

    Unlike the textbook ``p ± z·se`` interval it stays inside [0, 1] and does
    not collapse to a point at 0% or 100% accuracy.
    """
    for name, value in (("correct", correct), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"wilson_interval: {name} must be an integer count, got {value!r}")
    if total < 1:
        raise ValueError(f"wilson_interval: total must be at least 1, got {total}")
    if not 0 <= correct <= total:
        raise ValueError(f"wilson_interval: correct must be between 0 and total ({total}), got {correct}")
    _check_confidence(confidence)
    # The interval belongs to the two-sided test (binomtest's default):
    # proportion_ci follows the test's ``alternative``.
    interval = stats.binomtest(int(correct), int(total)).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(interval.low), float(interval.high)


# --------------------------------------------------------------------------- two systems, same items


@dataclass(frozen=True)
class BootstrapInterval:
    """Observed accuracy difference (B minus A) and its percentile bootstrap interval."""

    difference: float
    low: float
    high: float
    confidence: float
    resamples: int

    def covers_zero(self) -> bool:
        return self.low <= 0.0 <= self.high


def paired_bootstrap(
    correct_a: list[bool],
    correct_b: list[bool],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapInterval:
    """Accuracy of B minus accuracy of A, with a percentile bootstrap interval.

    Each resample draws test *items* with replacement (the same items for both
    systems, as they answered the same items) from
    ``numpy.random.default_rng(seed)``; the interval is the central
    ``confidence`` share of the resampled differences.
    """
    a, b = _paired_arrays(correct_a, correct_b, "paired_bootstrap")
    if len(a) < 2:
        raise ValueError("paired_bootstrap: needs at least 2 items to resample, got 1")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 1:
        raise ValueError(f"paired_bootstrap: resamples must be a positive integer, got {resamples!r}")
    _check_confidence(confidence)

    def accuracy_gain(a_sample, b_sample, axis=-1):
        return np.mean(b_sample, axis=axis) - np.mean(a_sample, axis=axis)

    result = stats.bootstrap(
        (a, b),
        accuracy_gain,
        paired=True,  # resample item indices, shared by both systems
        vectorized=True,  # all resamples in one call: one (resamples, items) array
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",  # scipy's default is BCa
        rng=np.random.default_rng(seed),
    )
    return BootstrapInterval(
        difference=float(accuracy_gain(a, b)),
        low=float(result.confidence_interval.low),
        high=float(result.confidence_interval.high),
        confidence=confidence,
        resamples=resamples,
    )


def seeds_and_items_bootstrap(
    runs_a: list[list[bool]],
    runs_b: list[list[bool]],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapInterval:
    """Mean accuracy of B's runs minus A's, with an interval that counts both sources of chance.

    ``runs_a[k][i]``: did A's run k (one training seed) get item i right.  A
    paired bootstrap over items alone treats one training run as *the*
    system; a second seed can land a few points away.  Each resample here
    draws runs with replacement for each system, then items with
    replacement (the same items for both); the interval is the central
    ``confidence`` share of the resampled differences.  With as few as three
    seeds it is rough (resampling three runs understates their spread), but
    a system the seed moves a lot gets a wider interval than one run gives.
    """
    if not runs_a or not runs_b:
        raise ValueError("seeds_and_items_bootstrap: each system needs at least one run")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 1:
        raise ValueError(f"seeds_and_items_bootstrap: resamples must be a positive integer, got {resamples!r}")
    a = [_paired_arrays(run, runs_a[0], "seeds_and_items_bootstrap")[0] for run in runs_a]
    b = [_paired_arrays(run, runs_a[0], "seeds_and_items_bootstrap")[0] for run in runs_b]
    if len(a[0]) < 2:
        raise ValueError("seeds_and_items_bootstrap: needs at least 2 items to resample, got 1")
    _check_confidence(confidence)
    a, b = np.stack(a), np.stack(b)
    rng = np.random.default_rng(seed)
    pick_a = rng.integers(0, len(a), size=(resamples, len(a)))
    pick_b = rng.integers(0, len(b), size=(resamples, len(b)))
    items = rng.integers(0, a.shape[1], size=(resamples, a.shape[1]))
    mean_a = a[pick_a[:, :, None], items[:, None, :]].mean(axis=(1, 2))
    mean_b = b[pick_b[:, :, None], items[:, None, :]].mean(axis=(1, 2))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(mean_b - mean_a, [tail, 100 - tail])
    return BootstrapInterval(
        difference=float(b.mean() - a.mean()), low=float(low), high=float(high),
        confidence=confidence, resamples=resamples,
    )


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's exact test on the items where exactly one system was right.

    ``b01``: A wrong, B right.  ``b10``: A right, B wrong.  Items both got
    right or both got wrong say nothing about which is better.
    """

    b01: int
    b10: int
    p_value: float


def mcnemar(correct_a: list[bool], correct_b: list[bool]) -> McNemarResult:
    """Exact two-sided McNemar test: is B right-where-A-is-wrong more often than the reverse?

    Under "no difference" each discordant item is equally likely to favour
    either system, so ``b01`` is binomial(``b01 + b10``, 1/2).
    """
    a, b = _paired_arrays(correct_a, correct_b, "mcnemar")
    b01 = int(np.sum(~a & b))
    b10 = int(np.sum(a & ~b))
    if b01 + b10 == 0:
        # No item separates the systems: no evidence either way (and
        # binomtest refuses n = 0).
        return McNemarResult(b01, b10, 1.0)
    return McNemarResult(b01, b10, float(stats.binomtest(b01, b01 + b10, 0.5).pvalue))


@dataclass(frozen=True)
class Comparison:
    """Two systems on the same items: accuracies and both tests of their gap."""

    name_a: str
    name_b: str
    accuracy_a: float
    accuracy_b: float
    total: int
    bootstrap: BootstrapInterval
    mcnemar: McNemarResult

    def verdict(self) -> str:
        """One line: the gap, its interval, McNemar's p, and whether it is significant at 5%."""
        interval = self.bootstrap
        level = f"{SIGNIFICANCE_LEVEL:.0%}"
        facts = (
            f"{self.name_b} {self.accuracy_b:.1%} vs {self.name_a} {self.accuracy_a:.1%} "
            f"on {self.total} items: {_points(interval.difference)} points "
            f"({interval.confidence:.0%} CI {_points(interval.low)} to {_points(interval.high)}), "
            f"McNemar p = {self.mcnemar.p_value:.3g}"
        )
        bootstrap_says = not interval.covers_zero()
        mcnemar_says = self.mcnemar.p_value < SIGNIFICANCE_LEVEL
        if bootstrap_says and mcnemar_says:
            better = self.name_b if interval.difference > 0 else self.name_a
            return f"{facts}: significant at {level}, {better} is better"
        if not bootstrap_says and not mcnemar_says:
            return f"{facts}: not significant at {level}"
        if bootstrap_says:
            return (
                f"{facts}: not clearly significant at {level}, the tests disagree: "
                f"the bootstrap interval excludes 0 but McNemar's p is not below {SIGNIFICANCE_LEVEL}"
            )
        return (
            f"{facts}: not clearly significant at {level}, the tests disagree: "
            f"McNemar's p is below {SIGNIFICANCE_LEVEL} but the bootstrap interval covers 0"
        )


def compare(
    name_a: str,
    correct_a: list[bool],
    name_b: str,
    correct_b: list[bool],
    *,
    resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """Compare system B with system A on the same items (``correct_*[i]``: item i right?)."""
    a, b = _paired_arrays(correct_a, correct_b, "compare")
    return Comparison(
        name_a=name_a,
        name_b=name_b,
        accuracy_a=float(a.mean()),
        accuracy_b=float(b.mean()),
        total=len(a),
        bootstrap=paired_bootstrap(
            correct_a, correct_b, resamples=resamples, seed=seed, confidence=1 - SIGNIFICANCE_LEVEL
        ),
        mcnemar=mcnemar(correct_a, correct_b),
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values, in the order given.

    The smallest p is multiplied by the family's size m, the next by m - 1,
    and so on; each adjusted value is at least the one before it in that
    order (and at most 1).  Rejecting where the adjusted p is below 5% keeps
    the chance of one or more false rejections in the family at 5% or less,
    whatever the dependence between the tests (Holm, 1979).
    """
    if any(not 0.0 <= p <= 1.0 for p in p_values):
        raise ValueError(f"holm: p-values must lie in [0, 1], got {p_values}")
    m, adjusted, running = len(p_values), [0.0] * len(p_values), 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


# --------------------------------------------------------------------------- input checks


def _points(difference: float) -> str:
    """A difference of accuracies in percentage points, signed: '+3.1'."""
    return f"{difference * 100:+.1f}"


def _check_same_length(name_a: str, a: list, name_b: str, b: list) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length (one entry per test item): "
            f"{name_a} has {len(a)}, {name_b} has {len(b)}"
        )
    if len(a) == 0:
        raise ValueError(f"{name_a} and {name_b} are empty: there is nothing to evaluate")


def _check_labels(labels: tuple[str, ...]) -> None:
    if not labels:
        raise ValueError("labels is empty: give the label set, e.g. ftlab.jobs.ROLES")
    if UNPARSED in labels:
        raise ValueError(f"labels must not contain {UNPARSED!r}: it marks unparsed predictions")


def _check_golds(golds: list[str], labels: tuple[str, ...]) -> None:
    unknown = sorted({repr(g) for g in golds if g not in labels})
    if unknown:
        raise ValueError(
            f"golds must all be in the label set; not in it: {', '.join(unknown)} "
            f"(labels: {', '.join(labels)})"
        )


def _check_predictions(predictions: list[str | None], labels: tuple[str, ...]) -> None:
    # parse_label returns a label or None; anything else means predictions
    # from another task or unparsed raw answers were passed by mistake.
    unknown = sorted({repr(p) for p in predictions if p is not None and p not in labels})
    if unknown:
        raise ValueError(
            f"predictions must each be a label or None (unparsed); not in the label set: {', '.join(unknown)}"
        )


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")


def _paired_arrays(correct_a: list[bool], correct_b: list[bool], caller: str) -> tuple[np.ndarray, np.ndarray]:
    """Both systems' per-item correctness as boolean arrays, after checking them."""
    try:
        _check_same_length("correct_a", correct_a, "correct_b", correct_b)
    except ValueError as error:
        raise ValueError(f"{caller}: {error}") from None
    for name, values in (("correct_a", correct_a), ("correct_b", correct_b)):
        # 0/1 or "yes" would be counted silently; a list of predictions passed
        # by mistake would look like all-True.  Only real booleans are accepted.
        for index, value in enumerate(values):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(
                    f"{caller}: {name} must hold booleans (True = item answered correctly); "
                    f"item {index} is {value!r} of type {type(value).__name__}"
                )
    return np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
