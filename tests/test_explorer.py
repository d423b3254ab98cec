"""Tests for lrlab.explorer: the offline plotly schedule explorer of the schedule pages.

The curves are read back from the emitted HTML (what a reader's browser receives) and compared
with lrlab.schedules, rebuilt here from each trace's slider settings. The sliders are plain
plotly ``restyle`` steps; applying them here the way plotly.js does shows which curve a reader
sees for every position of the sliders. tests/test_browser.py and tests/test_jupyterlab.py
move a real slider in the book and in JupyterLab.
"""

from __future__ import annotations

import json
import re
from itertools import product

import numpy as np
import pytest

from lrlab import schedules
from lrlab.explorer import BASE_LR, KINDS, MIN_LR, schedule_explorer

TOTAL_STEPS = 300


def reference_schedule(kind: str, total_steps: int, setting: dict):
    """The schedule a trace claims to show, built directly from lrlab.schedules."""
    if kind == "step_decay":
        return schedules.step_decay(BASE_LR, setting["step_size"], gamma=setting["gamma"])
    if kind == "exponential_decay":
        return schedules.exponential_decay(
            BASE_LR,
            setting["gamma"],
            decay_steps=round(total_steps / 10),
            staircase=setting["staircase"],
        )
    if kind == "cosine_warm_restarts":
        return schedules.cosine_warm_restarts(
            BASE_LR, setting["first_cycle_steps"], cycle_mult=setting["cycle_mult"], min_lr=MIN_LR
        )
    if kind == "warmup":
        base = {
            "cosine": schedules.cosine_annealing(BASE_LR, total_steps - setting["warmup_steps"]),
            "constant": schedules.constant(BASE_LR),
        }[setting["base"]]
        return schedules.warmup(base, setting["warmup_steps"])
    if kind == "cyclic":
        mode = setting["mode"]
        return schedules.cyclic(
            setting["base_lr"],
            setting["max_lr"],
            round(total_steps / 6),
            mode=mode,
            gamma=0.995 if mode == "exp_range" else 1.0,
        )
    raise AssertionError(kind)


def traces_in_html(html: str) -> list[dict]:
    """The trace list passed to Plotly.newPlot in the emitted script."""
    call = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html)
    assert call is not None, "no Plotly.newPlot call in the HTML"
    data, _ = json.JSONDecoder().raw_decode(html, call.end())
    return data


def drawn(trace: dict) -> bool:
    """Whether plotly.js shows the trace: visible, opaque and with a line of some width."""
    return (
        trace.get("visible", True) is not False
        and trace.get("opacity", 1) > 0
        and trace.get("line", {}).get("width", 2) > 0
    )


def press(traces: list[dict], step: dict) -> None:
    """Apply a slider step's restyle to the traces, as Plotly.restyle does with array values."""
    assert step["method"] == "restyle"
    (update,) = step["args"]
    for attribute, values in update.items():
        assert len(values) == len(traces)
        for trace, value in zip(traces, values, strict=True):
            *path, last = attribute.split(".")
            target = trace
            for key in path:
                target = target.setdefault(key, {})
            target[last] = value


@pytest.fixture(scope="module", params=KINDS)
def explorer(request):
    return schedule_explorer(request.param, total_steps=TOTAL_STEPS)


def test_html_is_a_plotly_div_with_sliders(explorer):
    html = explorer._repr_html_()
    assert 'class="plotly-graph-div"' in html
    assert f'id="{explorer.div_id}"' in html
    layout = explorer.figure.to_plotly_json()["layout"]
    assert len(layout["sliders"]) == len(explorer.controls) >= 2
    for slider, control in zip(layout["sliders"], explorer.controls, strict=True):
        assert len(slider["steps"]) == len(control.values) >= 2
        assert {step["method"] for step in slider["steps"]} == {"restyle"}
    # no script of ours: the sliders work wherever plotly.js draws the figure
    assert "<script" not in html.split("Plotly.newPlot", 1)[1].split("</script>", 1)[1]


def test_jupyter_gets_plotly_json_with_the_same_figure(explorer):
    bundle = explorer._repr_mimebundle_()
    figure = bundle["application/vnd.plotly.v1+json"]
    json.dumps(figure)  # plain JSON, as a notebook stores it
    assert figure["data"] == traces_in_html(bundle["text/html"])
    assert figure["layout"]["sliders"] == explorer.figure.to_plotly_json()["layout"]["sliders"]
    assert figure["config"]["displayModeBar"] is False


def test_html_is_offline_and_small(explorer):
    html = explorer.to_html()
    lowered = html.lower()
    assert "cdn" not in lowered
    assert "https://" not in lowered and "http://" not in lowered
    assert "<script src" not in lowered and "require(" not in lowered
    assert len(html.encode()) < 300_000


def test_traces_equal_lrlab_schedules(explorer):
    traces = traces_in_html(explorer.to_html())
    assert (
        len(traces)
        == len(explorer.settings)
        == int(np.prod([len(c.values) for c in explorer.controls]))
    )
    steps = np.arange(TOTAL_STEPS)
    for trace, setting in zip(traces, explorer.settings, strict=True):
        assert trace["meta"] == json.loads(json.dumps(setting))
        assert trace["x0"] == 0 and trace["dx"] == 1
        expected = reference_schedule(explorer.kind, TOTAL_STEPS, setting)(steps)
        np.testing.assert_allclose(trace["y"], expected, rtol=1e-5, atol=1e-12)


def test_every_slider_value_reaches_a_distinct_curve(explorer):
    # Moving any one slider away from the start must change the curve, or the slider is dead.
    traces = traces_in_html(explorer.to_html())
    shown = [k for k, trace in enumerate(traces) if drawn(trace)]
    assert len(shown) == 1, "exactly one curve is visible at first"
    start = explorer.settings[shown[0]]
    assert start == {c.name: c.default for c in explorer.controls}
    for control in explorer.controls:
        for value in control.values:
            if value == control.default:
                continue
            moved = {**start, control.name: value}
            k = explorer.settings.index(moved)
            assert not np.allclose(traces[k]["y"], traces[shown[0]]["y"]), (control.name, value)


def test_any_slider_positions_show_exactly_their_curve(explorer):
    # Sliders are independent in plotly: whatever a reader moved last, in whatever order, the
    # one curve drawn must be the one computed for the positions all sliders show now.
    traces = traces_in_html(explorer.to_html())
    sliders = explorer.figure.to_plotly_json()["layout"]["sliders"]
    positions = [slider["active"] for slider in sliders]
    for target in product(*(range(len(c.values)) for c in explorer.controls)):
        # move the sliders last-first, then first-last, from wherever they stand
        for order in (reversed(range(len(sliders))), range(len(sliders))):
            for row in order:
                if positions[row] != target[row]:
                    press(traces, sliders[row]["steps"][target[row]])
                    positions[row] = target[row]
            shown = [k for k, trace in enumerate(traces) if drawn(trace)]
            expected = {c.name: c.values[i] for c, i in zip(explorer.controls, target, strict=True)}
            assert [explorer.settings[k] for k in shown] == [expected]
            # a hidden curve never answers the hover: hover is off, or its label is empty
            ghosts = [
                t
                for k, t in enumerate(traces)
                if k not in shown and t.get("visible", True) is not False
            ]
            assert all(
                t.get("hoverinfo") == "skip" or t.get("hovertemplate") == "<extra></extra>"
                for t in ghosts
            )


def test_html_is_reproducible():
    first = schedule_explorer("warmup", total_steps=120).to_html()
    assert first == schedule_explorer("warmup", total_steps=120).to_html()


def test_unknown_kind_names_the_allowed_values():
    with pytest.raises(ValueError, match="The 'kind' parameter") as info:
        schedule_explorer("cosine")
    for kind in KINDS:
        assert kind in str(info.value)


@pytest.mark.parametrize("total_steps", [0, 19, 1001, 2.5, True])
def test_bad_total_steps_is_rejected(total_steps):
    with pytest.raises(ValueError, match="total_steps"):
        schedule_explorer("cyclic", total_steps=total_steps)
