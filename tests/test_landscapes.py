"""lrlab.landscapes: the 2-D problems' gradients, and trajectories run by lrlab.optim itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab import landscapes, optim, schedules

PROBLEMS = {
    "quadratic": landscapes.quadratic(),
    "rotated quadratic": landscapes.quadratic(condition_number=25.0, angle=0.7),
    "rosenbrock": landscapes.rosenbrock(),
    "rosenbrock a=0.5 b=10": landscapes.rosenbrock(a=0.5, b=10.0),
    "saddle": landscapes.saddle(),
}


@st.composite
def point_in_window(draw, problem: landscapes.Problem) -> tuple[float, float]:
    return draw(st.floats(*problem.xlim)), draw(st.floats(*problem.ylim))


@pytest.mark.parametrize("name", PROBLEMS)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_gradient_matches_torch_autograd(name, data):
    problem = PROBLEMS[name]
    x, y = data.draw(point_in_window(problem))
    # value() is plain arithmetic, so it runs on torch tensors too and autograd can check it.
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    problem.value(xt, yt).backward()
    expected = np.array([xt.grad.item(), yt.grad.item()])
    np.testing.assert_allclose(problem.gradient(x, y), expected, rtol=1e-10, atol=1e-10)
    assert problem.value(x, y) == pytest.approx(problem.value(xt, yt).item(), rel=1e-12)


@pytest.mark.parametrize("name", PROBLEMS)
def test_gradient_matches_central_differences(name):
    problem = PROBLEMS[name]
    X, Y, _ = problem.grid(n=15)
    h = 1e-6
    fd = np.stack(
        [
            (problem.value(X + h, Y) - problem.value(X - h, Y)) / (2 * h),
            (problem.value(X, Y + h) - problem.value(X, Y - h)) / (2 * h),
        ]
    )
    g = problem.gradient(X, Y)
    # The error of a central difference is O(h^2 f''') plus rounding O(eps |f| / h).
    scale = 1.0 + np.abs(problem.value(X, Y))
    np.testing.assert_allclose(g, fd, rtol=0, atol=1e-6 * scale.max())


@pytest.mark.parametrize("name", PROBLEMS)
def test_value_and_gradient_are_vectorized(name):
    problem = PROBLEMS[name]
    X, Y, Z = problem.grid(n=7)
    G = problem.gradient(X, Y)
    assert Z.shape == (7, 7) and G.shape == (2, 7, 7)
    for i, j in [(0, 0), (3, 5), (6, 2)]:
        assert Z[i, j] == problem.value(X[i, j], Y[i, j])
        np.testing.assert_array_equal(G[:, i, j], problem.gradient(X[i, j], Y[i, j]))
    # A scalar gradient is a plain (2,) array, and scalars broadcast against arrays.
    assert problem.gradient(0.3, -0.2).shape == (2,)
    assert problem.gradient(0.3, np.zeros(4)).shape == (2, 4)


@pytest.mark.parametrize("name", PROBLEMS)
def test_minima_are_the_lowest_points_and_stationary(name):
    problem = PROBLEMS[name]
    _, _, Z = problem.grid(n=101)
    for x, y in problem.minima:
        np.testing.assert_allclose(problem.gradient(x, y), 0.0, atol=1e-12)
        assert problem.value(x, y) <= Z.min() + 1e-12
        assert problem.xlim[0] <= x <= problem.xlim[1] and problem.ylim[0] <= y <= problem.ylim[1]
    x0, y0 = problem.start
    assert problem.xlim[0] <= x0 <= problem.xlim[1] and problem.ylim[0] <= y0 <= problem.ylim[1]


def test_saddle_point_curves_up_along_x_and_down_along_y():
    s = landscapes.saddle()
    assert s.critical_points == ((0.0, 0.0),)
    np.testing.assert_array_equal(s.gradient(0.0, 0.0), [0.0, 0.0])
    assert s.value(0.1, 0.0) > s.value(0.0, 0.0) > s.value(0.0, 0.1)
    assert s.value(0.0, 1.0) == -0.25 == s.value(0.0, -1.0)
    # Bounded below: far out, the quartic term wins.
    assert s.value(0.0, 10.0) > 0


def test_quadratic_condition_number_and_rotation():
    q = landscapes.quadratic(condition_number=16.0, angle=np.pi / 6)
    # Curvatures along the rotated axes are 1 and 16.
    u = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    w = np.array([-np.sin(np.pi / 6), np.cos(np.pi / 6)])
    assert q.value(*(2 * u)) == pytest.approx(0.5 * 4)
    assert q.value(*(2 * w)) == pytest.approx(0.5 * 16 * 4)
    np.testing.assert_allclose(q.gradient(*w), 16 * w)


# -- trajectories -------------------------------------------------------------------------------


def test_trajectory_of_sgd_is_hand_computed_gradient_descent():
    problem, lr = landscapes.rosenbrock(), 1e-3
    path = landscapes.trajectory(optim.SGD, problem, start=(-1.2, 1.0), steps=6, lr=lr)
    theta = np.array([-1.2, 1.0])
    expected = [theta]
    for _ in range(6):
        theta = theta - lr * problem.gradient(*theta)
        expected.append(theta)
    assert path.shape == (7, 2) and path.dtype == np.float64
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-14, atol=0)
    assert not np.allclose(path[-1], path[0])


def test_trajectory_of_heavy_ball_with_a_schedule_is_hand_computed():
    problem, mu = landscapes.quadratic(condition_number=10.0), 0.9
    # An lrlab schedule is a callable t -> α_t; this one halves the rate at every step.
    schedule = schedules.step_decay(0.1, step_size=1, gamma=0.5)

    path = landscapes.trajectory(
        optim.SGD, problem, steps=5, schedule=schedule, lr=123.0, momentum=mu
    )
    theta = np.array(problem.start)
    buffer = None
    for t in range(5):
        g = problem.gradient(*theta)
        buffer = g if buffer is None else mu * buffer + g  # the first step uses g as is
        theta = theta - 0.1 * 0.5**t * buffer
        np.testing.assert_allclose(path[t + 1], theta, rtol=1e-13)
    np.testing.assert_array_equal(path[0], problem.start)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD"])
def test_trajectory_equals_torchs_own_optimizer(name):
    # Same rule as torch on the 2-D problems too: the pictures show what training does.
    problem = landscapes.rosenbrock()
    hyper = {"lr": 1e-3, "momentum": 0.9} if name == "SGD" else {"lr": 1e-2}
    ours = landscapes.trajectory(getattr(optim, name), problem, steps=200, **hyper)
    theirs = landscapes.trajectory(getattr(torch.optim, name), problem, steps=200, **hyper)
    np.testing.assert_array_equal(ours, theirs)


def test_trajectory_runs_the_optimizer_class_it_is_given():
    calls = []

    class CountingAdam(optim.Adam):
        def step(self, closure=None):
            calls.append(self.param_groups[0]["params"][0].detach().clone())
            return super().step(closure)

    path = landscapes.trajectory(CountingAdam, landscapes.saddle(), steps=4, lr=0.1)
    assert len(calls) == 4
    np.testing.assert_array_equal(np.stack([c.numpy() for c in calls]), path[:-1])


def test_adam_on_the_quadratic_approaches_the_minimum():
    problem = landscapes.quadratic(condition_number=10.0)
    path = landscapes.trajectory(optim.Adam, problem, steps=300, lr=0.1)
    values = problem.value(path[:, 0], path[:, 1])
    assert np.linalg.norm(path[-1]) < 1e-3 < np.linalg.norm(path[0])
    assert values[-1] < 1e-6 * values[0]


def test_momentum_escapes_the_saddle_sooner_than_plain_descent():
    s = landscapes.saddle()

    def first_escape(path: np.ndarray) -> float:
        away = np.flatnonzero(np.abs(path[:, 1]) > 0.5)
        return away[0] if away.size else np.inf

    plain = landscapes.trajectory(optim.SGD, s, steps=150, lr=0.1)
    heavy = landscapes.trajectory(optim.SGD, s, steps=150, lr=0.1, momentum=0.9)
    assert first_escape(heavy) < first_escape(plain) < np.inf


def test_a_diverging_run_fills_with_inf_or_nan_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = landscapes.trajectory(optim.SGD, landscapes.rosenbrock(), steps=30, lr=0.1)
    assert np.isfinite(path[0]).all() and not np.isfinite(path[-1]).all()


# Bad arguments (steps, start, condition_number, b, n, ...) are generated from the
# declared constraints in tests/test_validation.py.


def test_zero_steps_is_just_the_start():
    path = landscapes.trajectory(optim.Adam, landscapes.saddle(), start=(0.5, 0.5), steps=0)
    np.testing.assert_array_equal(path, [[0.5, 0.5]])
