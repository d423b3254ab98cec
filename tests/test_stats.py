"""lrlab.stats against scipy and numpy: the paired-ratio interval and the sign test.

The oracle for the interval is the textbook computation written with scipy's Student's t
(``scipy.stats.t.interval`` on the log ratios); for the sign test, ``scipy.stats.binomtest``.
Bad arguments are drawn from the constraints the functions declare.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from lrlab.stats import paired_ratio_interval, sign_test

positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def paired(draw, elements, min_size: int):
    n = draw(st.integers(min_size, 12))
    a = draw(st.lists(elements, min_size=n, max_size=n))
    b = draw(st.lists(elements, min_size=n, max_size=n))
    return np.array(a), np.array(b)


@settings(max_examples=200, deadline=None)
@given(paired(positive, 2), st.floats(0.5, 0.999))
def test_ratio_interval_is_students_t_on_log_ratios(pair, confidence) -> None:
    a, b = pair
    d = np.log(a) - np.log(b)
    if d.std(ddof=1) == 0:  # scipy returns nan for a zero scale; ours the point itself
        low, high = paired_ratio_interval(a, b, confidence)
        assert low == pytest.approx(high) == pytest.approx(math.exp(d.mean()))
        return
    scale = scipy_stats.sem(d)
    lo, hi = scipy_stats.t.interval(confidence, len(d) - 1, loc=d.mean(), scale=scale)
    low, high = paired_ratio_interval(a, b, confidence=confidence)
    assert low == pytest.approx(math.exp(lo), rel=1e-9)
    assert high == pytest.approx(math.exp(hi), rel=1e-9)
    assert isinstance(low, float) and isinstance(high, float)


def test_ratio_interval_matches_the_lectures_three_seed_constant() -> None:
    # the lectures used to hard-code t_{2, 0.975} = 4.303; scipy's quantile is 4.3027
    a, b = np.array([0.2, 0.31, 0.25]), np.array([0.3, 0.4, 0.36])
    d = np.log(a) - np.log(b)
    half = 4.303 * d.std(ddof=1) / np.sqrt(3)
    expected = np.exp(d.mean() - half), np.exp(d.mean() + half)
    assert paired_ratio_interval(a, b) == pytest.approx(expected, rel=1e-4)


def test_ratio_interval_is_symmetric_under_swapping() -> None:
    a, b = [0.5, 0.7, 0.9, 0.4], [0.6, 0.6, 1.2, 0.5]
    low, high = paired_ratio_interval(a, b)
    low_swapped, high_swapped = paired_ratio_interval(b, a)
    assert low * high_swapped == pytest.approx(1.0)
    assert high * low_swapped == pytest.approx(1.0)


@settings(max_examples=300, deadline=None)
@given(paired(finite, 1))
def test_sign_test_is_scipys_binomial_test(pair) -> None:
    a, b = pair
    diff = a - b
    n = int(np.count_nonzero(diff))
    expected = 1.0 if n == 0 else scipy_stats.binomtest(int(np.sum(diff > 0)), n).pvalue
    assert sign_test(a, b) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n", range(1, 8))
def test_sign_test_all_wins_is_the_lectures_formula(n: int) -> None:
    a, b = np.arange(n) + 1.0, np.arange(n) + 0.5
    assert sign_test(a, b) == min(1.0, 2 * 0.5**n)
    assert sign_test(b, a) == min(1.0, 2 * 0.5**n)


def test_sign_test_drops_ties() -> None:
    assert sign_test([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.0, 3.0]) == 2 * 0.5**2
    assert sign_test([1.0, 2.0], [1.0, 2.0]) == 1.0


def _bad_arguments():
    for func in (paired_ratio_interval, sign_test):
        constraints = func.constraints
        valid = {name: c.valid_example() for name, c in constraints.items()}
        for name, constraint in constraints.items():
            for value in constraint.invalid_examples():
                case = f"{func.__name__}-{name}-{value!r}"
                yield pytest.param(func, {**valid, name: value}, name, id=case)


@pytest.mark.parametrize(("func", "kwargs", "name"), list(_bad_arguments()))
def test_bad_argument_is_a_value_error_naming_it(func, kwargs, name) -> None:
    with pytest.raises(ValueError, match=f"The '{name}' parameter of {func.__name__}"):
        func(**kwargs)


@pytest.mark.parametrize("func", [paired_ratio_interval, sign_test])
def test_mismatched_lengths_name_b(func) -> None:
    with pytest.raises(ValueError, match=r"The 'b' parameter .*\(3 pairs\)\. Got 2 values"):
        func([1.0, 2.0, 3.0], [1.0, 2.0])


def test_fewer_than_two_pairs_and_non_positive_values_are_refused() -> None:
    with pytest.raises(ValueError, match=r"'a' parameter .* at least 2 finite numbers > 0"):
        paired_ratio_interval([1.0], [2.0])
    with pytest.raises(ValueError, match=r"'b' parameter .* > 0\. Got"):
        paired_ratio_interval([1.0, 2.0], [0.0, 2.0])
    with pytest.raises(ValueError, match=r"'a' parameter .* Got \[\] instead"):
        sign_test([], [])
