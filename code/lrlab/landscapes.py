"""Two-dimensional test problems and optimizer trajectories over them, for the lecture pictures.

The lectures on momentum and adaptive methods draw the path an optimizer takes over the
contour plot of a small problem: an ill-conditioned quadratic valley, Rosenbrock's banana
and a saddle. Each problem is plain NumPy: ``value(x, y)`` and ``gradient(x, y)`` take
arrays (a whole contour grid at once) as well as scalars.

:func:`trajectory` runs an ``lrlab.optim`` class itself, the very code that trains the
networks in the other lectures, on a two-element float64 parameter whose gradient is set
from the NumPy formula at every step. There is no second NumPy copy of any update rule
to drift away from the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch

from lrlab._validate import InstanceOf, Interval, IsCallable, Numbers, validate_params

__all__ = ["Problem", "quadratic", "rosenbrock", "saddle", "trajectory"]

ArrayLike = np.ndarray | float


@dataclass(frozen=True)
class Problem:
    """A differentiable function of two variables, with what a picture of it needs.

    Attributes
    ----------
    name:
        A short title for plots.
    value:
        ``value(x, y)``, the function, elementwise over broadcastable arrays.
    gradient:
        ``gradient(x, y)``, an array of shape ``(2, *broadcast shape)`` holding
        (∂f/∂x, ∂f/∂y).
    minima:
        The global minimizers, as (x, y) points.
    start:
        A starting point that shows the problem's difficulty.
    xlim, ylim:
        A window that contains the start and the minima, for contour plots.
    critical_points:
        Other stationary points worth marking (the saddle's saddle point).
    """

    name: str
    value: Callable[[ArrayLike, ArrayLike], np.ndarray]
    gradient: Callable[[ArrayLike, ArrayLike], np.ndarray]
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    critical_points: tuple[tuple[float, float], ...] = field(default=())

    @validate_params(n=Interval(Integral, 2, None, closed="left"))
    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)`` over the problem's window on an n x n grid, ready for ``contour``."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.value(X, Y)


@validate_params(
    condition_number=Interval(Real, 1, None, closed="left"), angle=Interval(Real, None, None)
)
def quadratic(condition_number: float = 10.0, angle: float = 0.0) -> Problem:
    """An ill-conditioned quadratic bowl f = ½ (u² + κ w²), with minimum 0 at the origin.

    (u, w) are (x, y) rotated by ``angle`` radians, so the valley's long axis makes that angle
    with the x axis. The curvatures are 1 and κ = ``condition_number``: gradient descent is
    stable only for α < 2/κ, and at that speed it crawls along the flat direction, which
    is the picture that motivates momentum. A rotated valley (``angle`` not a multiple of
    π/2) is also the case where coordinate-wise methods such as Adam lose their advantage.
    """
    kappa = condition_number
    c, s = float(np.cos(angle)), float(np.sin(angle))

    def value(x, y):
        u, w = c * x + s * y, -s * x + c * y
        return 0.5 * (u**2 + kappa * w**2)

    def gradient(x, y):
        u, w = c * x + s * y, -s * x + c * y
        # chain rule through the rotation: ∇_xy = Rᵀ ∇_uw, with ∇_uw = (u, κ w)
        return np.stack(np.broadcast_arrays(c * u - s * kappa * w, s * u + c * kappa * w))

    return Problem(
        name=f"quadratic, condition number {kappa:g}",
        value=value,
        gradient=gradient,
        minima=((0.0, 0.0),),
        # (u, w) = (-2, -0.8): far out along the flat axis, a little up the steep one.
        start=(-2.0 * c + 0.8 * s, -2.0 * s - 0.8 * c),
        xlim=(-2.5, 2.5),
        ylim=(-1.5, 1.5) if angle == 0 else (-2.5, 2.5),
    )


@validate_params(a=Interval(Real, None, None), b=Interval(Real, 0, None, closed="neither"))
def rosenbrock(a: float = 1.0, b: float = 100.0) -> Problem:
    """Rosenbrock's banana f = (a − x)² + b (y − x²)², minimum 0 at (a, a²).

    The minimum lies at the end of a long, curved, flat-bottomed valley: reaching the valley
    is easy, following it is slow, and a learning rate large enough to move along it makes
    plain gradient descent bounce between its steep walls.
    """

    def value(x, y):
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def gradient(x, y):
        r = y - x**2
        return np.stack(np.broadcast_arrays(-2 * (a - x) - 4 * b * x * r, 2 * b * r))

    return Problem(
        name="Rosenbrock",
        value=value,
        gradient=gradient,
        minima=((a, a**2),),
        start=(-1.5, 2.0),
        # The classic window for a = 1, widened if another a puts the minimum outside it.
        xlim=(min(-2.0, a - 1.0), max(2.0, a + 1.0)),
        ylim=(min(-1.0, a**2 - 1.0), max(3.0, a**2 + 1.0)),
    )


def saddle() -> Problem:
    """A saddle between two valleys: f = ½ x² − ½ y² + ¼ y⁴.

    The origin is a saddle point (curvature +1 along x, −1 along y); the minima are
    (0, ±1) with f = −¼. Unlike x² − y² the function is bounded below, so a run that
    escapes the saddle settles in a valley instead of leaving the picture. Started near
    y = 0, gradient descent first slides towards the saddle and lingers there, since the
    gradient vanishes; momentum and adaptive steps get away sooner.
    """

    def value(x, y):
        return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4

    def gradient(x, y):
        return np.stack(np.broadcast_arrays(x, y**3 - y))

    return Problem(
        name="saddle",
        value=value,
        gradient=gradient,
        minima=((0.0, 1.0), (0.0, -1.0)),
        start=(-1.8, 1e-3),
        xlim=(-2.0, 2.0),
        ylim=(-1.6, 1.6),
        critical_points=((0.0, 0.0),),
    )


@validate_params(
    optimizer_cls=IsCallable(),
    problem=InstanceOf(Problem, "lrlab.landscapes.Problem"),
    start=[Numbers(size=2), None],
    steps=Interval(Integral, 0, None, closed="left"),
    schedule=[IsCallable(), None],
)
def trajectory(
    optimizer_cls: type[torch.optim.Optimizer],
    problem: Problem,
    start: tuple[float, float] | np.ndarray | None = None,
    steps: int = 100,
    schedule: Callable[[int], float] | None = None,
    **hyper: object,
) -> np.ndarray:
    """The points an optimizer visits on a 2-D problem: an array of shape (steps + 1, 2).

    Row t is θ_t, starting with ``start`` (default: the problem's own ``start``). The
    optimizer is ``optimizer_cls(params, **hyper)``, any ``torch.optim.Optimizer`` class and
    normally one from ``lrlab.optim``. If ``schedule`` is given (any callable t -> α_t, such
    as an ``lrlab.schedules`` schedule), the learning rate is set to ``schedule(t)`` before
    step t. A run that diverges keeps going; its later rows are inf or nan, which plotting
    skips.

    Examples
    --------
    Gradient descent on the default valley (curvatures 1 and κ = 10) with α = 1/κ: the
    steep coordinate reaches 0 in one step, the flat one shrinks by 1 − α = 0.9 a step.

    >>> from lrlab import optim
    >>> path = trajectory(optim.SGD, quadratic(), steps=3, lr=0.1)
    >>> path.shape
    (4, 2)
    >>> path[0], path[-1].round(3)
    (array([-2. , -0.8]), array([-1.458,  0.   ]))
    """
    theta0 = np.asarray(problem.start if start is None else start, dtype=np.float64)

    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_cls([theta], **hyper)
    path = np.empty((steps + 1, 2))
    path[0] = theta0
    # Diverging runs overflow to inf and nan on purpose (a lecture shows them); no warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            if schedule is not None:
                for group in optimizer.param_groups:
                    group["lr"] = float(schedule(t))
            x, y = theta.detach().numpy()
            theta.grad = torch.as_tensor(problem.gradient(x, y), dtype=torch.float64)
            optimizer.step()
            path[t + 1] = theta.detach().numpy()
    return path
