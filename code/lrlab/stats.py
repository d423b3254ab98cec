"""The course's standard of evidence for comparing runs paired by seed.

Two runs with the same seed share their initial weights and their batches, so the lectures
compare two schedules seed by seed. :func:`paired_ratio_interval` is the test the
``experiments`` lecture introduces (a confidence interval of the typical ratio of two losses,
Student's t on the per-seed log ratios); :func:`sign_test` is the exact two-sided sign test
the first lectures use ("run a won in every one of the n seeds").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
from scipy import stats as _scipy_stats

from lrlab._validate import Interval, Numbers, invalid, validate_params

__all__ = ["paired_ratio_interval", "sign_test"]


def _same_length(func: str, a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise invalid(
            func, "b", f"hold one value per value of 'a' ({len(a)} pairs)", f"{len(b)} values"
        )


@validate_params(
    a=Numbers(min_size=2, positive=True),
    b=Numbers(min_size=2, positive=True),
    confidence=Interval(Real, 0, 1, closed="neither"),
)
def paired_ratio_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
) -> tuple[float, float]:
    r"""Confidence interval of the typical ratio ``a / b`` over paired runs.

    With :math:`d_i = \log a_i - \log b_i` over the :math:`n` pairs, mean :math:`\bar d`
    and sample standard deviation :math:`s`, the interval is

    .. math::

        \exp\left(\bar d \pm t_{n-1,\,(1+c)/2}\, s / \sqrt{n}\right),

    Student's t on the log ratios, returned as ratios. Losses span decades, so ratios, not
    differences, are what is comparable across seeds; the comparison is *resolved* when the
    interval excludes 1.

    Parameters
    ----------
    a, b:
        Paired positive values (e.g. final losses of two schedules, one per seed), at least 2
        pairs, ``a[i]`` paired with ``b[i]``.
    confidence:
        The interval's confidence level ``c``, in (0, 1).

    Returns
    -------
    tuple[float, float]
        The lower and upper end of the interval of the typical ratio ``a / b``.

    Raises
    ------
    ValueError
        If ``a`` or ``b`` has fewer than 2 values, a value that is not a finite number > 0,
        or if their lengths differ.

    Examples
    --------
    >>> low, high = paired_ratio_interval([0.20, 0.31, 0.25], [0.30, 0.40, 0.36])
    >>> round(low, 3), round(high, 3)
    (0.586, 0.862)
    >>> high < 1  # a is lower than b in a way three seeds resolve
    True
    """
    _same_length("paired_ratio_interval", a, b)  # type: ignore[arg-type]
    d = np.log(a) - np.log(b)
    n = len(d)
    quantile = float(_scipy_stats.t.ppf((1 + confidence) / 2, n - 1))
    half = quantile * float(d.std(ddof=1)) / math.sqrt(n)
    mean = float(d.mean())
    return math.exp(mean - half), math.exp(mean + half)


@validate_params(a=Numbers(min_size=1), b=Numbers(min_size=1))
def sign_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    r"""Two-sided p-value of the exact sign test on the paired differences ``a - b``.

    Under the null hypothesis each non-zero difference is positive with probability 1/2, so
    the number :math:`k` of positive ones among the :math:`n` non-zero ones is
    Binomial(n, 1/2), and

    .. math::

        p = \min\left(1,\; 2 \sum_{i=0}^{\min(k, n-k)} \binom{n}{i} 2^{-n}\right).

    Ties (zero differences) are dropped. When ``a`` wins in every one of ``n`` pairs,
    ``p = 2 * 0.5**n``: with 3 seeds, 0.25, so three seeds alone never reach the 5 % level.

    Parameters
    ----------
    a, b:
        Paired finite values, ``a[i]`` paired with ``b[i]``, at least 1 pair.

    Returns
    -------
    float
        The two-sided p-value, in (0, 1]; 1.0 when every pair is a tie.

    Raises
    ------
    ValueError
        If ``a`` or ``b`` is empty or holds a value that is not a finite number, or if their
        lengths differ.

    Examples
    --------
    >>> sign_test([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])  # a larger in all 3 pairs
    0.25
    >>> sign_test([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0, 3, 2, 1, 0, 0])
    0.21875
    """
    _same_length("sign_test", a, b)  # type: ignore[arg-type]
    diff = np.asarray(a) - np.asarray(b)
    n = int(np.count_nonzero(diff))
    k = int(np.count_nonzero(diff > 0))
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1))
    # exact integer arithmetic, then one division: no rounding before the final float
    return min(1.0, 2 * tail / 2**n)
