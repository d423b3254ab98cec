"""Interactive schedule explorer: plotly figures with sliders, drawn from lrlab.schedules.

The schedule pages of the book (decay schedules, cosine annealing and warm restarts, warm-up
and cyclical learning rates) each hold one explorer cell::

    from lrlab.explorer import schedule_explorer
    schedule_explorer("cosine_warm_restarts")

Every curve the sliders can reach is computed with :mod:`lrlab.schedules` when the cell runs
and stored in the figure as one trace per grid point of the sliders. The sliders are plain
plotly sliders whose steps ``restyle`` the traces, so the same figure works wherever plotly.js
draws it, with no kernel, no network and no script of ours:

* in the book, the cell's ``text/html`` output (the book serves ``plotly.min.js`` itself);
* in JupyterLab or Notebook 7, the ``application/vnd.plotly.v1+json`` output, drawn by the
  plotly renderer that ships inside the ``plotly`` package.

Plotly sliders are independent: a step of one slider cannot know where the others stand. So
each slider switches a *different* trace attribute (the first ``visible``, the second
``opacity``, the third ``line.width``), and a curve is seen only where all of them say "on":
exactly the trace whose parameters match every slider.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from numbers import Integral
from typing import Any

import numpy as np
import plotly.graph_objects as go

from lrlab import schedules
from lrlab._validate import Interval, Options, validate_params

__all__ = ["KINDS", "ScheduleExplorer", "schedule_explorer"]

KINDS = ("step_decay", "exponential_decay", "cosine_warm_restarts", "warmup", "cyclic")
MIN_TOTAL_STEPS = 20
MAX_TOTAL_STEPS = 1000

BASE_LR = 0.1
MIN_LR = 0.001
LINE_COLOR = "#1f77b4"  # matplotlib's first colour, as in the book's static figures

# Pixel geometry of the figure. Sliders sit under the plot, one row each, so they keep their
# full width on a phone instead of being squeezed side by side.
PLOT_HEIGHT = 250
TOP_MARGIN = 30
AXIS_TITLE_SPACE = 48
SLIDER_ROW = 78

# What each slider switches, by slider row. Row 1 also turns hover on and off, so hovering
# reports the curve that is drawn; row 2 (only the cyclic explorer has three sliders) blanks
# the hover text of the curves it hides.
MAX_SLIDERS = 3
HOVER = "t = %{x}<br>α<sub>t</sub> = %{y:.4g}<extra></extra>"
NO_HOVER = "<extra></extra>"
PLOTLY_CONFIG = {"responsive": True, "displayModeBar": False, "scrollZoom": False}


@dataclass(frozen=True)
class Control:
    """One slider: the parameter it sets, the values it offers and where it starts."""

    name: str
    label: str
    values: tuple[Any, ...]
    default: Any

    def tick(self, value: Any) -> str:
        """Short text under a slider tick (short, so that a phone-wide slider stays legible)."""
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


@dataclass
class ScheduleExplorer:
    """A schedule explorer: the figure, its sliders, and the parameters behind every trace.

    ``settings[k]`` holds the slider values that trace ``k`` of ``figure`` was computed for;
    traces are ordered like ``itertools.product`` over ``controls`` (first slider slowest).
    Display it in a notebook (``_repr_mimebundle_``: plotly's own JSON for Jupyter, and the
    HTML for the book) or get the HTML with :meth:`to_html`.
    """

    kind: str
    total_steps: int
    title: str
    controls: tuple[Control, ...]
    settings: list[dict[str, Any]]
    figure: go.Figure
    _html: str | None = field(default=None, repr=False)

    @property
    def div_id(self) -> str:
        # Stable across builds, so re-executing an unchanged page yields identical HTML.
        spec = json.dumps([self.kind, self.total_steps, [c.values for c in self.controls]])
        return f"lrlab-explorer-{self.kind}-{hashlib.sha1(spec.encode()).hexdigest()[:8]}"

    def to_html(self) -> str:
        """The figure as an HTML fragment that needs ``window.Plotly`` and nothing else."""
        if self._html is None:
            self._html = self.figure.to_html(
                full_html=False,
                include_plotlyjs=False,  # the book loads its own copy of plotly.js
                include_mathjax=False,
                div_id=self.div_id,
                # No mode bar: on a phone it covers the title, and the sliders are the point here.
                config=PLOTLY_CONFIG,
            )
        return self._html

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        # JupyterLab and Notebook 7 prefer plotly's mimetype, which plotly's bundled renderer
        # draws with its own plotly.js (offline); the book's renderer knows only text/html.
        figure = json.loads(self.figure.to_json())
        return {
            "application/vnd.plotly.v1+json": {**figure, "config": PLOTLY_CONFIG},
            "text/html": self.to_html(),
            "text/plain": repr(self),
        }

    def __repr__(self) -> str:
        names = ", ".join(c.name for c in self.controls)
        return f"<ScheduleExplorer {self.kind!r}: {len(self.settings)} curves, sliders {names}>"


def _fractions_of(total_steps: int, fractions: Sequence[float], minimum: int = 1) -> tuple:
    values = sorted({max(minimum, round(total_steps * f)) for f in fractions})
    return tuple(values)


def _nearest(values: Sequence[Any], target: Any) -> Any:
    return min(values, key=lambda v: abs(v - target))


def _round_sig(values: np.ndarray, digits: int = 6) -> list[float]:
    # Six significant digits are far below what a reader can see and halve the page weight.
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float)]


def _spec(kind: str, total_steps: int) -> tuple[str, tuple[Control, ...], Callable[..., Any]]:
    """Title, sliders and schedule factory (slider values -> lrlab schedule) for one kind."""
    T = total_steps
    if kind == "step_decay":
        sizes = _fractions_of(T, (1 / 30, 1 / 15, 1 / 10, 1 / 6, 1 / 4, 1 / 3, 1 / 2))
        controls = (
            Control("gamma", "γ = ", (0.1, 0.2, 0.3, 0.5, 0.7, 0.9), 0.5),
            Control("step_size", "s = ", sizes, _nearest(sizes, T / 6)),
        )
        title = f"Step decay, α<sub>0</sub> = {BASE_LR:g}"
        return (
            title,
            controls,
            lambda gamma, step_size: schedules.step_decay(BASE_LR, step_size, gamma=gamma),
        )
    if kind == "exponential_decay":
        decay_steps = max(1, round(T / 10))
        controls = (
            Control("gamma", "γ per decay interval = ", (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95), 0.7),
            Control("staircase", "staircase: ", (False, True), False),
        )
        title = f"Exponential decay, α<sub>0</sub> = {BASE_LR:g}, interval {decay_steps}"
        return (
            title,
            controls,
            lambda gamma, staircase: schedules.exponential_decay(
                BASE_LR, gamma, decay_steps=decay_steps, staircase=staircase
            ),
        )
    if kind == "cosine_warm_restarts":
        firsts = _fractions_of(T, (1 / 30, 1 / 15, 1 / 10, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 1))
        controls = (
            Control("first_cycle_steps", "T<sub>0</sub> = ", firsts, _nearest(firsts, T / 10)),
            Control("cycle_mult", "T<sub>mult</sub> = ", (1, 2, 3), 2),
        )
        title = f"Cosine restarts, α<sub>0</sub> = {BASE_LR:g}, α<sub>min</sub> = {MIN_LR:g}"
        return (
            title,
            controls,
            lambda first_cycle_steps, cycle_mult: schedules.cosine_warm_restarts(
                BASE_LR, first_cycle_steps, cycle_mult=cycle_mult, min_lr=MIN_LR
            ),
        )
    if kind == "warmup":
        lengths = _fractions_of(T, (0, 1 / 30, 1 / 12, 1 / 6, 1 / 4, 1 / 3, 1 / 2), minimum=0)
        controls = (
            Control("warmup_steps", "warm-up steps = ", lengths, _nearest(lengths, T / 12)),
            Control("base", "after warm-up: ", ("cosine", "constant"), "cosine"),
        )

        def make_warmup(warmup_steps: int, base: str) -> Callable:
            # lrlab's warmup delays the wrapped schedule by W steps, so the cosine gets the
            # T - W steps left and still ends at step T.
            inner = (
                schedules.cosine_annealing(BASE_LR, T - warmup_steps)
                if base == "cosine"
                else schedules.constant(BASE_LR)
            )
            return schedules.warmup(inner, warmup_steps)

        return f"Linear warm-up to α<sub>0</sub> = {BASE_LR:g}", controls, make_warmup
    if kind == "cyclic":
        step_size_up = max(1, round(T / 6))
        controls = (
            Control("base_lr", "base lr = ", (0.001, 0.01, 0.02, 0.05), 0.01),
            Control("max_lr", "max lr = ", (0.06, 0.1, 0.15, 0.2), 0.1),
            Control("mode", "mode: ", ("triangular", "triangular2", "exp_range"), "triangular"),
        )
        gamma = 0.995
        title = f"Cyclic, half cycle {step_size_up} (exp_range γ = {gamma:g})"
        return (
            title,
            controls,
            lambda base_lr, max_lr, mode: schedules.cyclic(
                base_lr,
                max_lr,
                step_size_up,
                mode=mode,
                gamma=gamma if mode == "exp_range" else 1.0,
            ),
        )
    raise AssertionError(f"no explorer for {kind!r}")  # unreachable: kind is checked first


def _switches(row: int, on: list[bool]) -> dict[str, list[Any]]:
    """The restyle that slider ``row`` applies: its own trace attribute, on where ``on``."""
    if row == 0:
        return {"visible": on}
    if row == 1:
        return {
            "opacity": [1 if x else 0 for x in on],
            "hoverinfo": ["all" if x else "skip" for x in on],
        }
    return {
        "line.width": [2 if x else 0 for x in on],
        "hovertemplate": [HOVER if x else NO_HOVER for x in on],
    }


def _slider(control: Control, row: int, settings: list[dict[str, Any]]) -> dict[str, Any]:
    offset_px = AXIS_TITLE_SPACE + row * SLIDER_ROW
    steps = [
        {
            "label": control.tick(value),
            "method": "restyle",
            "args": [_switches(row, [s[control.name] == value for s in settings])],
        }
        for value in control.values
    ]
    return {
        "active": control.values.index(control.default),
        "currentvalue": {"prefix": control.label, "font": {"size": 13}},
        "font": {"size": 11},
        "len": 1.0,
        "x": 0.0,
        "xanchor": "left",
        "y": -offset_px / PLOT_HEIGHT,
        "yanchor": "top",
        "pad": {"t": 0, "b": 0, "l": 0, "r": 0},
        "ticklen": 4,
        "minorticklen": 0,
        "steps": steps,
    }


# Each curve is stored in the page: a longer horizon only makes the page heavier.
@validate_params(
    kind=Options(KINDS),
    total_steps=Interval(Integral, MIN_TOTAL_STEPS, MAX_TOTAL_STEPS, closed="both"),
)
def schedule_explorer(kind: str, total_steps: int = 300) -> ScheduleExplorer:
    """An offline plotly figure with sliders over the main parameters of one schedule family.

    Parameters
    ----------
    kind
        One of ``"step_decay"`` (sliders: γ and s), ``"exponential_decay"`` (γ per decay
        interval, staircase on/off), ``"cosine_warm_restarts"`` (T_0 and T_mult), ``"warmup"``
        (warm-up length, over a cosine or a constant schedule) and ``"cyclic"`` (base and
        maximum learning rate, mode).
    total_steps
        T, the number of steps drawn, from 20 to 1000. Slider values that are step counts
        (s, T_0, warm-up length, the cyclic half cycle) are fractions of T.

    Every reachable curve is computed now, with :mod:`lrlab.schedules`, at the integer steps
    t = 0, ..., T - 1, and rounded to six significant digits.
    """
    title, controls, make_schedule = _spec(kind, total_steps)
    if len(controls) > MAX_SLIDERS:
        raise AssertionError("each slider needs a trace attribute of its own")  # by design
    steps = np.arange(total_steps)

    figure = go.Figure()
    settings: list[dict[str, Any]] = []
    for combo in product(*(c.values for c in controls)):
        setting = {c.name: v for c, v in zip(controls, combo, strict=True)}
        schedule = make_schedule(**setting)
        name = ", ".join(f"{c.name}={c.tick(v)}" for c, v in zip(controls, combo, strict=True))
        figure.add_trace(
            go.Scatter(
                x0=0,
                dx=1,
                y=_round_sig(schedule(steps)),
                mode="lines",
                line={"color": LINE_COLOR, "width": 2},
                name=name,
                meta=setting,
                hovertemplate=HOVER,
                showlegend=False,
            )
        )
        settings.append(setting)
    # Each slider's switch starts at its default position, as if the reader had just set it.
    for row, control in enumerate(controls):
        on = [s[control.name] == control.default for s in settings]
        for attribute, values in _switches(row, on).items():
            for trace, value in zip(figure.data, values, strict=True):
                trace[attribute.replace(".", "_")] = value

    y_max = max(max(trace.y) for trace in figure.data)
    n_rows = len(controls)
    bottom = AXIS_TITLE_SPACE + n_rows * SLIDER_ROW
    figure.update_layout(
        template="none",
        title={"text": title, "font": {"size": 13}, "x": 0.0, "xanchor": "left", "y": 0.98},
        height=TOP_MARGIN + PLOT_HEIGHT + bottom,
        margin={"l": 60, "r": 20, "t": TOP_MARGIN + 10, "b": bottom},
        font={"family": "sans-serif", "size": 12},
        xaxis={
            "title": {"text": "step t", "standoff": 6},
            "range": [0, total_steps],
            "gridcolor": "#e5e5e5",
            "zeroline": False,
        },
        yaxis={
            "title": {"text": "learning rate α<sub>t</sub>"},
            # a little room below 0, so the y tick "0" does not sit on the x tick "0"
            "range": [-0.03 * y_max, 1.05 * y_max],
            "gridcolor": "#e5e5e5",
            "zeroline": False,
        },
        sliders=[_slider(c, row, settings) for row, c in enumerate(controls)],
        hovermode="x",
    )
    return ScheduleExplorer(kind, total_steps, title, controls, settings, figure)
