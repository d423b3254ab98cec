"""Plotting helpers shared by the lectures, so every figure in the book looks the same.

Figures are drawn by the lectures' own code cells; these helpers only fix the style and the
few plots that recur (a schedule curve, a loss curve on a log axis, mean-and-spread bands).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Integral

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from lrlab._validate import Boolean, Interval, IsCallable, Numbers, invalid, validate_params

__all__ = ["BOOK_STYLE", "fmt", "plot_band", "plot_schedule", "use_book_style"]

Schedule = Callable[[np.ndarray], np.ndarray]

BOOK_STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Figures are 7 in wide and shrink to the column: on a 390 px phone to about 374 px, so
    # 11 pt text is 11/72 * 374/7.1 = 8 CSS px, the least a reader can read (test_browser).
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 11,
    "legend.frameon": False,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "lines.linewidth": 1.8,
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a lecture).

    Its text sizes keep figure text at 8 CSS px or more on a phone; a figure wider than 7 in,
    or an explicit ``fontsize`` below 11, makes text smaller than that.
    """
    mpl.rcParams.update(BOOK_STYLE)


# A mean of several seeds may include a diverged run's inf or nan: shown, not refused.
@validate_params(
    values=Numbers(min_size=1, finite=False, ndim=None),
    digits=Interval(Integral, 0, None, closed="left"),
)
def fmt(values: Sequence[float] | np.ndarray, digits: int = 3) -> str:
    """Several seeds' results as the text ``"mean [min, max]"``, for tables and glued prose.

    Examples
    --------
    >>> fmt([0.91, 0.935, 0.95])
    '0.932 [0.910, 0.950]'
    >>> fmt(np.array([1.0, 2.0]), digits=1)
    '1.5 [1.0, 2.0]'
    """
    x = values
    return f"{x.mean():.{digits}f} [{x.min():.{digits}f}, {x.max():.{digits}f}]"


@validate_params(
    schedule=IsCallable(), total_steps=Interval(Integral, 1, None, closed="left"), log=Boolean()
)
def plot_schedule(
    schedule: Schedule,
    total_steps: int,
    ax: Axes | None = None,
    label: str | None = None,
    log: bool = False,
    **line_kwargs,
) -> Axes:
    """Draw ``alpha_t = schedule(t)`` for ``t = 0, ..., total_steps - 1``.

    The schedule is evaluated once on the whole step array: lrlab schedules are vectorized.
    """
    ax = ax if ax is not None else plt.gca()
    steps = np.arange(total_steps)
    ax.plot(steps, schedule(steps), label=label, **line_kwargs)
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"learning rate $\alpha_t$")
    if log:
        ax.set_yscale("log")
    return ax


@validate_params(x=Numbers(min_size=1, finite=False))
def plot_band(
    x: Sequence[float] | np.ndarray,
    runs: Iterable[Sequence[float]],
    ax: Axes | None = None,
    label: str | None = None,
    **line_kwargs,
) -> Axes:
    """Plot the mean of several seeded runs with a band from their minimum to their maximum.

    Showing the whole spread (not a standard error) keeps a handful of seeds honest.
    """
    values = np.asarray([np.asarray(run, dtype=float) for run in runs])
    if values.ndim != 2 or values.shape[1] != len(x):
        raise invalid(
            "plot_band",
            "runs",
            f"be sequences of {len(x)} numbers each, one per value of x",
            f"an array of shape {values.shape}",
        )
    ax = ax if ax is not None else plt.gca()
    (line,) = ax.plot(x, values.mean(axis=0), label=label, **line_kwargs)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=line.get_color(), alpha=0.2)
    return ax
